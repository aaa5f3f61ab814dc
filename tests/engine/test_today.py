"""The Today digest over a real history file: only stories solved or revealed today, in the order
played, each with a one-line summary and its outlets; and its Markdown, safe from what feeds contain."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from engine.articles import Article
from engine.paths import app_paths
from engine.riddles import Provenance, Riddle
from engine.store import Store
from engine.store import play as plays
from engine.store.clusters import assign_new_articles
from engine.today import Outlet, digest, escape_markdown, one_line_summary, to_markdown, web_link
from tests.engine.test_clusters import OTHER, QUAKE
from tests.engine.test_clusters import articles as cluster_articles

STORIES = [
    (
        "Council approves the river bridge",
        "https://news.example.org/bridge",
        "City Wire",
        "The council approved a new bridge on Tuesday. Work starts in spring. Costs were debated.",
        "a bridge",
    ),
    ("Comet seen over the Alps", "https://news.example.org/comet", "Sky Daily", "", "a comet"),
    ("Markets close higher", "javascript:alert(1)", "Money Post", "Shares rose.", "the market"),
    ("Unplayed story", "https://news.example.org/unplayed", "City Wire", "Nothing yet.", "nothing"),
    ("Skipped story", "https://news.example.org/skipped", "City Wire", "Skipped.", "skip"),
]


QUAKE_RIDDLE = Riddle("I shake but am not a dancer.", "earthquake", ("ground", "Peru"))


def _provenance() -> Provenance:
    return Provenance(
        "m.gguf", "", "tiny", "few-shot", json.dumps({}), 1, 1, 1.0, 0.1, 1.0, datetime.now(UTC).isoformat()
    )


@pytest.fixture
def store():
    store = Store(app_paths().ensure().database)
    now = datetime.now(UTC)
    articles = store.save_articles(
        [
            Article(title, link, source, now - timedelta(minutes=i), summary)
            for i, (title, link, source, summary, _answer) in enumerate(STORIES)
        ]
    )
    provenance = Provenance(
        "m.gguf", "", "tiny", "few-shot", json.dumps({}), 1, 1, 1.0, 0.1, 1.0, now.isoformat()
    )
    ids = [
        store.save_riddle(article, Riddle(f"I am {answer}.", answer, ("one", "two")), provenance).id
        for article, (*_rest, answer) in zip(articles, STORIES, strict=True)
    ]
    plays.reveal(store, ids[1])  # played first
    plays.take_hint(store, ids[0])
    plays.guess(store, ids[0], "a bridge")  # then solved with a hint
    plays.guess(store, ids[2], "the market", mode="text")
    plays.skip(store, ids[4])
    store.ids = ids
    yield store
    store.close()


def test_the_digest_lists_todays_played_stories_in_order(store):
    today = digest(store)
    assert [s.headline for s in today.stories] == [
        "Comet seen over the Alps",
        "Council approves the river bridge",
        "Markets close higher",
    ]
    comet, bridge, markets = today.stories
    assert bridge.one_line == "The council approved a new bridge on Tuesday."
    assert bridge.status == "solved" and bridge.points == 2 and bridge.hints_used == 1
    assert comet.one_line == "Comet seen over the Alps" and comet.status == "revealed" and comet.points == 0
    assert bridge.outlets == (Outlet("City Wire", "https://news.example.org/bridge"),)
    assert markets.outlets == (Outlet("Money Post", ""),)  # a javascript: link is never carried
    assert today.solved == 2 and today.points == 5


def test_another_day_has_its_own_digest(store):
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    with store.db.conn:
        store.db.execute("UPDATE riddles SET played_at = ? WHERE id = ?", [yesterday, store.ids[1]])
    assert [s.riddle_id for s in digest(store).stories] == [store.ids[0], store.ids[2]]
    assert [s.riddle_id for s in digest(store, date.today() - timedelta(days=1)).stories] == [store.ids[1]]
    assert digest(store, date.today() + timedelta(days=1)).stories == ()


def test_outlets_can_come_from_elsewhere(store):
    """A story carried by several outlets (a cluster) lists them all."""
    many = (Outlet("City Wire", "https://a.example/1"), Outlet("Sky Daily", "https://b.example/2"))
    assert all(s.outlets == many for s in digest(store, outlets=lambda _s, _e: many).stories)


def test_a_story_carried_by_three_feeds_lists_its_three_outlets(tmp_path):
    """Clustered at ingest as a refresh does (engine.store.clusters), riddled once from one outlet:
    the digest and its Markdown name every outlet of the story, the riddle's own among them."""
    history = Store(tmp_path / "h.sqlite3")
    try:
        saved = history.save_articles(cluster_articles(*QUAKE, OTHER))
        assign_new_articles(history)
        [quake, other] = [history.save_riddle(a, QUAKE_RIDDLE, _provenance()).id for a in saved[2:]]
        plays.reveal(history, quake)
        plays.guess(history, other, QUAKE_RIDDLE.answer)
        quake_story, other_story = digest(history).stories
        markdown = to_markdown(digest(history))
    finally:
        history.close()
    # The outlet that broke the story first, first.
    assert quake_story.outlets == tuple(Outlet(a.source, a.link) for a in saved[:3])
    assert other_story.outlets == (Outlet(saved[3].source, saved[3].link),)  # a story of its own
    links = ", ".join(f"[{a.source}](<{a.link}>)" for a in saved[:3])
    assert f"## {QUAKE[2][0]}\n" in markdown and f"- Outlets: {links}\n" in markdown


def test_markdown_has_a_section_per_story_with_linked_outlets(store):
    text = to_markdown(digest(store))
    assert text.startswith(f"# What went on, {date.today().isoformat()}\n")
    assert "3 stories learnt through the game: 2 solved, 5 points." in text
    assert "## Council approves the river bridge\n\nThe council approved a new bridge on Tuesday.\n" in text
    assert "- Answer: a bridge (solved, 2 points)" in text
    assert "- Outlets: [City Wire](<https://news.example.org/bridge>)" in text
    assert "- Outlets: Money Post\n" in text
    assert "javascript" not in text
    assert "Unplayed" not in text and "Skipped story" not in text


def test_an_empty_day_says_what_to_do():
    store = Store(app_paths().ensure().database)
    try:
        text = to_markdown(digest(store))
    finally:
        store.close()
    assert "No stories played yet today" in text


def test_feed_text_cannot_become_markdown_structure():
    assert escape_markdown("# Big [news](javascript:x) <img src=x> *now*") == (
        r"\# Big \[news\](javascript:x) \<img src=x\> \*now\*"
    )
    assert escape_markdown("- not a list") == r"\- not a list"
    assert escape_markdown("1. not a list either") == r"1\. not a list either"
    assert escape_markdown("Line\nbreaks   collapse") == "Line breaks collapse"


def test_one_line_summary_and_web_links():
    assert one_line_summary("First one. Second one.", "Headline") == "First one."
    assert one_line_summary("", "  A   headline ") == "A headline"
    long = "word " * 100
    cut = one_line_summary(long, "")
    assert len(cut) <= 181 and cut.endswith("…") and "  " not in cut
    assert web_link("https://x.example/a b") == "https://x.example/a b"
    assert web_link("file:///etc/passwd") == "" and web_link("https://") == "" and web_link("data:,x") == ""


def test_export_writes_the_markdown_whole_or_says_why_not(store, tmp_path):
    from engine.errors import StoreError
    from engine.today import export_markdown

    target = export_markdown(digest(store), tmp_path / "today.md")
    assert target.read_text(encoding="utf-8") == to_markdown(digest(store))
    assert not (tmp_path / "today.md.partial").exists()
    with pytest.raises(StoreError, match="Could not write the digest"):
        export_markdown(digest(store), tmp_path / "no-such-folder" / "today.md")

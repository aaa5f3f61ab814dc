"""One story, once (issue 19) on the History page: a selected riddle lists the outlets that told its
story, a wrong one is split out with "Not the same story", and nothing is lost. Real widgets
offscreen over a real history file whose clusters were made by the engine's matcher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from desktop.text_fit import ElidedLink
from engine.articles import Article
from engine.paths import app_paths
from engine.riddles import Riddle
from engine.store import Store
from engine.store import play as plays
from engine.store.clusters import assign_new_articles, cluster_id, clusters, split
from tests.desktop.test_history_page import open_history
from tests.engine.test_clusters import OTHER, QUAKE
from tests.engine.test_store import provenance


def seed_story(played: bool = True) -> tuple[list[Article], int, int]:
    """Three outlets' tellings of one earthquake (one cluster, one riddle) and an unrelated story with
    its own riddle. Returns the articles, the quake's riddle id and the other riddle's id."""
    store = Store(app_paths().ensure().database)
    now = datetime.now(UTC)
    saved = store.save_articles(
        [
            Article(
                title, f"https://outlet{i}.example.org/story", f"Outlet {i}", now - timedelta(hours=i), text
            )
            for i, (title, text) in enumerate([*QUAKE, OTHER])
        ]
    )
    assign_new_articles(store)
    assert [c.size for c in clusters(store)] == [3]
    quake = store.save_riddle(saved[0], Riddle("I shake the coast.", "earthquake", ("a", "b")), provenance())
    other = store.save_riddle(saved[3], Riddle("I hold the rate.", "interest", ("a", "b")), provenance())
    if played:
        plays.reveal(store, quake.id)
    store.close()
    return saved, quake.id, other.id


def everything_kept(saved: list[Article]) -> None:
    store = Store(app_paths().database)
    try:
        assert store.count_articles() == len(saved)
        assert store.db["riddles"].count == 2
        assert all(store.article(a.id).title == a.title for a in saved)
    finally:
        store.close()


def select(page, qtbot, riddle_id: int) -> None:
    row = next(r for r in range(page.model.rowCount()) if page.model.line_at(r).id == riddle_id)
    page.list.setCurrentIndex(page.model.index(row))
    qtbot.waitUntil(lambda: page.story.entry is not None and page.story.entry.id == riddle_id, timeout=5000)


def stored_clusters() -> dict[int, int | None]:
    store = Store(app_paths().database)
    try:
        return {o.article_id: cluster_id(store, o.article_id) for c in clusters(store) for o in c.outlets}
    finally:
        store.close()


def test_a_played_riddle_lists_its_outlets_and_splitting_keeps_every_article_and_riddle(make_window, qtbot):
    saved, quake, other = seed_story()
    _window, page = open_history(make_window, qtbot)
    select(page, qtbot, quake)
    story = page.story
    qtbot.waitUntil(lambda: len(story.split_buttons) == 3 and story.isVisible(), timeout=5000)
    text = story.text()
    assert "told by 3 outlets" in text
    for article in saved[:3]:
        assert article.source in text and article.title in text
    links = [link.link().toString() for link in story.findChildren(ElidedLink)]
    assert sorted(links) == sorted(a.link for a in saved[:3])
    assert saved[3].title not in text  # another story is not listed

    qtbot.mouseClick(story.split_buttons[saved[2].id], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "now stands alone" in page.status.text(), timeout=5000)
    assert saved[2].title in page.status.text() and "stays with 2 other outlets" in page.status.text()
    qtbot.waitUntil(lambda: sorted(story.split_buttons) == [saved[0].id, saved[1].id], timeout=5000)
    assert saved[2].title not in story.text()
    assert sorted(stored_clusters()) == [saved[0].id, saved[1].id]  # the cluster shrank to two
    everything_kept(saved)

    # The filter shows the riddles of stories told by several outlets; splitting the riddle's own
    # article out leaves none, and its riddle is still in the history.
    page.several_outlets.setChecked(True)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and not page.model.loading, timeout=5000)
    select(page, qtbot, quake)
    qtbot.waitUntil(lambda: len(story.split_buttons) == 2, timeout=5000)
    qtbot.mouseClick(story.split_buttons[saved[0].id], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "its riddle and article are kept" in page.status.text(), timeout=5000)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0 and not page.model.loading, timeout=5000)
    assert stored_clusters() == {}
    everything_kept(saved)
    page.several_outlets.setChecked(False)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and not page.model.loading, timeout=5000)
    assert {page.model.line_at(r).id for r in range(2)} == {quake, other}


def test_an_unplayed_riddle_names_the_outlets_but_hides_their_headlines(make_window, qtbot):
    saved, quake, other = seed_story(played=False)
    _window, page = open_history(make_window, qtbot)
    select(page, qtbot, quake)
    qtbot.waitUntil(lambda: page.story.isVisible(), timeout=5000)
    text = page.story.text()
    assert all(a.source in text for a in saved[:3]) and "once you solve or reveal" in text
    assert not any(a.title in text for a in saved[:3])  # a headline gives the answer away
    assert page.story.split_buttons == {}
    select(page, qtbot, other)  # a story told by one outlet shows no story panel
    qtbot.waitUntil(lambda: not page.story.isVisible() and page.story.outlets != (), timeout=5000)


def test_a_split_that_fails_is_a_sentence_and_changes_nothing(make_window, qtbot):
    saved, quake, _other = seed_story()
    _window, page = open_history(make_window, qtbot)
    select(page, qtbot, quake)
    qtbot.waitUntil(lambda: len(page.story.split_buttons) == 3, timeout=5000)
    # Meanwhile the CLI split that article out already (`riddlewire clusters split`).
    store = Store(app_paths().database)
    split(store, saved[1].id)
    store.close()
    before = stored_clusters()
    qtbot.mouseClick(page.story.split_buttons[saved[1].id], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "already a story of its own" in page.status.text(), timeout=5000)
    qtbot.waitUntil(lambda: len(page.story.split_buttons) == 2, timeout=5000)  # shown as it now is
    assert stored_clusters() == before
    everything_kept(saved)

"""Full-text extraction: the article's own paragraphs, read from a real page on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from engine.articles import Article
from engine.feeds.extract import SHORT_SUMMARY_CHARS, article_text
from engine.ingest import fill_full_text
from engine.riddles import Provenance, Riddle
from engine.store import Store

PAGE = """<html><head><title>x</title><script>var tracker = "do not keep me";</script></head><body>
<nav><p>Home · World · Science · Sport · Culture · Weather · More sections here</p></nav>
<article><h1>Comet brightens</h1>
<p>Astronomers at the hill observatory say the comet will be visible to the naked eye next month.</p>
<p>Its tail, made of dust and gas pushed away by sunlight, already stretches across two degrees.</p>
<p>Short caption.</p><iframe src="http://127.0.0.1:1/never"></iframe>
<p>Observers should look low in the west just after sunset, away from city lights, on clear nights.</p>
</article><footer><p>Copyright notice and a long list of links nobody reads at the bottom of pages.</p>
</footer>
</body></html>"""


def test_article_text_keeps_the_articles_paragraphs_only():
    text = article_text(PAGE)
    assert text.splitlines()[0].startswith("Astronomers at the hill observatory")
    assert len(text.splitlines()) == 3  # the caption is too short to be a paragraph
    for unwanted in ("tracker", "Home", "Copyright", "Short caption", "never"):
        assert unwanted not in text


def test_a_page_without_article_tags_gives_its_long_paragraphs():
    html = (
        "<body><p>"
        + "A long enough paragraph about the harbour and its new ferry. " * 2
        + "</p><p>tiny</p></body>"
    )
    assert article_text(html).startswith("A long enough paragraph") and "tiny" not in article_text(html)


def _article(title: str, link: str, summary: str = "Brief.") -> Article:
    return Article(
        title=title, link=link, source="Wire", published=datetime(2026, 11, 24, tzinfo=UTC), summary=summary
    )


def test_brief_unriddled_articles_get_their_page_text_and_failures_say_why(feed_server, tmp_path):
    server = feed_server
    store = Store(tmp_path / "h.db")
    page = server.add("/comet.html", body=PAGE.encode(), content_type="text/html; charset=utf-8")
    missing = server.add("/gone.html", status=404, body=b"no")
    riddled_link = server.add("/riddled.html", body=PAGE.encode(), content_type="text/html")
    long_summary = "Already enough words to riddle from. " * 10
    brief, gone, riddled, rich = store.save_articles(
        [
            _article("Comet brightens", page),
            _article("Gone story", missing),
            _article("Riddled", riddled_link),
            _article("Rich story", server.url("/rich.html"), summary=long_summary),
        ]
    )
    assert len(long_summary) >= SHORT_SUMMARY_CHARS
    store.save_riddle(
        riddled,
        Riddle("I glow.", "lamp", ("a", "b")),
        Provenance("m", "", "tiny", "few-shot", json.dumps({}), 1, 1, 1.0, 0.1, 1.0, "2026"),
    )

    report = fill_full_text(store)

    assert report.filled == 1
    assert store.article(brief.id).summary.startswith("Astronomers at the hill observatory")
    assert [link for link, _sentence in report.failed] == [missing]
    assert "404" in report.failed[0][1]
    assert store.article(gone.id).summary == "Brief."
    assert (
        server.hits("/riddled.html") == [] and server.hits("/rich.html") == []
    )  # nothing fetched needlessly
    assert store.article(rich.id).summary == long_summary
    # The full-text index follows: the page's words are searchable now.
    hits = store.db.execute(
        "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'observatory'"
    ).fetchone()
    assert hits == (1,)

"""Real feed files of every common shape, and hostile ones, through our parser."""

from datetime import UTC, datetime

import pytest

from engine.errors import FeedError
from engine.feeds.parse import MAX_FEED_BYTES, parse, parse_feed
from tests.engine.feeds.conftest import fixture_bytes

WHEN = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_rss_090_keeps_titles_and_strips_tracking():
    feed = parse_feed(fixture_bytes("rss090.rdf"), feed_url="http://old.example.org/rss", fetched_at=WHEN)
    assert feed.title == "Old Netscape Wire"
    assert [a.link for a in feed.articles] == [
        "http://old.example.org/lighthouse",
        "http://old.example.org/ferry",
    ]
    assert all(a.published == WHEN for a in feed.articles), "undated items take the fetch time"


def test_rss_091_with_latin1_declaration_and_doctype():
    [article] = parse(fixture_bytes("rss091.xml"), feed_url="http://userland.example.org/rss")
    assert article.title == "Café owners celebrate a record harvest of coffee beans"
    assert article.source == "Userland Daily"


def test_rss_10_dates_are_utc_and_authors_kept():
    [article] = parse(fixture_bytes("rss10.rdf"))
    assert article.published == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert article.published.tzinfo is UTC
    assert article.author == "Ada Stone"
    assert article.summary == "Engineers spent two years replacing the arches."


def test_rss_20_prefers_full_content_and_resolves_relative_links():
    first, second = parse(fixture_bytes("rss20.xml"), feed_url="https://harbour.example.org/feed.xml")
    assert first.summary.startswith("Twelve tall ships sailed into the harbour"), (
        "content:encoded beats a teaser"
    )
    assert "<" not in first.summary
    assert first.link == "https://harbour.example.org/regatta?id=7"
    assert first.published == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert second.link == "https://harbour.example.org/market"


def test_atom_with_xml_base_and_html_title():
    [article] = parse(fixture_bytes("atom.xml"), feed_url="https://atom.example.org/feed")
    assert article.title == "Glacier retreat measured from orbit"
    assert article.link == "https://atom.example.org/news/glacier-retreat"
    assert article.summary == "Satellite images show the glacier lost a kilometre in a decade."
    assert article.author == "R. Ice"


def test_missing_encoding_declaration_is_read_as_utf8():
    body = (
        "<rss version='2.0'><channel><title>Ñews</title>"
        "<item><title>Zürich façade</title></item></channel></rss>"
    )
    [article] = parse(body.encode("utf-8"))
    assert article.title == "Zürich façade" and article.source == "Ñews"


def test_wrong_declared_encoding_keeps_items_with_a_warning():
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Mislabelled</title>'
        "<item><title>Caf\xe9 reopens</title><link>http://e.org/c</link></item></channel></rss>"
    ).encode("latin-1")
    feed = parse_feed(body, feed_url="http://e.org/rss")
    assert len(feed.articles) == 1
    assert feed.articles[0].title.startswith("Caf") and "reopens" in feed.articles[0].title
    assert "not well-formed" in feed.warning


def test_http_charset_header_wins_over_a_missing_declaration():
    body = "<rss version='2.0'><channel><title>T</title><item><title>Señor</title></item></channel></rss>"
    [article] = parse(
        body.encode("cp1252"), headers={"Content-Type": "application/rss+xml; charset=windows-1252"}
    )
    assert article.title == "Señor"


def test_scripts_iframes_and_javascript_links_become_inert_text():
    feed = parse_feed(fixture_bytes("hostile.xml"), feed_url="https://hostile.example.org/rss")
    first, second = feed.articles
    assert "alert" not in feed.title and "script" not in feed.title.lower()
    assert first.title == "Harmless headline"
    assert first.link == "" and second.link == "", "javascript: and file: links are dropped"
    assert first.summary == "Real words here.\nclick"
    for text in (first.summary, first.title):
        for bad in ("<", "script", "iframe", "javascript", "http://", "steal", "background"):
            assert bad not in text


def test_an_entity_expansion_bomb_is_defused_quickly():
    levels = "".join(f'<!ENTITY e{i} "{"".join(f"&e{i - 1};" for _ in range(10))}">' for i in range(1, 10))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e0 "boom">{levels}]>'
        '<rss version="2.0"><channel><title>Bomb</title><item><title>Safe &e9;</title>'
        "<link>http://e.org/b</link></item></channel></rss>"
    ).encode()
    import time

    started = time.perf_counter()
    articles = parse(body)
    assert time.perf_counter() - started < 5
    assert len(articles) == 1 and len(articles[0].title) < 100, "the entity was not expanded"


def test_a_feed_over_the_cap_is_refused_with_a_sentence():
    fifty_mb = b"<rss version='2.0'><channel>" + b"<item><title>x</title></item>" * (50 * 1024 * 1024 // 29)
    assert len(fifty_mb) > MAX_FEED_BYTES
    with pytest.raises(FeedError, match=r"50 MB, more than the 20 MB"):
        parse(fifty_mb)


def test_an_html_page_is_not_a_feed():
    with pytest.raises(FeedError, match="No news items could be read from http://e.org/page"):
        parse(
            b"<!doctype html><html><head><title>Home</title></head><body>Hi</body></html>",
            feed_url="http://e.org/page",
        )


def test_at_most_500_items_are_kept():
    items = "".join(
        f"<item><title>Story number {i}</title><link>http://e.org/{i}</link></item>" for i in range(600)
    )
    assert (
        len(parse(f"<rss version='2.0'><channel><title>Big</title>{items}</channel></rss>".encode())) == 500
    )


def test_html_to_text_stays_linear_on_unclosed_tag_runs():
    import time

    from engine.feeds.text import html_to_text

    started = time.perf_counter()
    for hostile in ("<a" * 40_000, "<p " * 30_000, "<!x" * 30_000, "<!--" + "<b" * 40_000):
        html_to_text(hostile, max_chars=20_000)
    assert time.perf_counter() - started < 2, "a quadratic pattern would take tens of seconds here"

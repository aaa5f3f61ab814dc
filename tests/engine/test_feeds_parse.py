from datetime import UTC

import pytest

from engine.errors import FeedError
from engine.feeds import parse
from engine.feeds.links import canonical_link
from engine.feeds.text import html_to_text
from tests.conftest import SAMPLE_FEED


def test_sample_feed_gives_twenty_normalised_articles():
    articles = parse(SAMPLE_FEED.read_bytes())
    assert len(articles) == 20
    assert len({a.key for a in articles}) == 20
    for article in articles:
        assert article.title and article.summary
        assert article.published.tzinfo is UTC
        assert article.link.startswith("https://news.example.org/")
        assert "utm_" not in article.link
        assert "<" not in article.summary, "summaries are plain text"


def test_canonical_link_strips_tracking_and_refuses_non_web_schemes():
    assert (
        canonical_link("https://Example.org/a?utm_source=x&id=3&fbclid=y#top") == "https://example.org/a?id=3"
    )
    assert canonical_link("javascript:alert(1)") == ""
    assert canonical_link("file:///etc/passwd") == ""
    assert canonical_link("/story", base="https://example.org/news/") == "https://example.org/story"


def test_html_to_text_drops_scripts_and_keeps_words():
    text = html_to_text(
        '<p>Hello <b>world</b><script>alert("x")</script><iframe src="http://x"></iframe></p>&amp; more'
    )
    assert "alert" not in text and "iframe" not in text
    assert "Hello world" in text and "& more" in text


def test_garbage_is_a_feed_error_with_a_sentence():
    with pytest.raises(FeedError, match="No news items"):
        parse(b"this is not a feed at all", feed_url="http://127.0.0.1/x")


def test_missing_date_falls_back_to_fetch_time():
    from datetime import datetime

    body = b"<rss version='2.0'><channel><title>T</title><item><title>Undated</title><link>http://e.org/u</link></item></channel></rss>"
    when = datetime(2026, 1, 2, tzinfo=UTC)
    [article] = parse(body, fetched_at=when)
    assert article.published == when

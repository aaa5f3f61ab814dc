"""The bundled sample news: what the first run riddles when there is no network (and what tests use)."""

from __future__ import annotations

from engine.articles import Article
from engine.feeds import parse
from engine.paths import resource

SAMPLE_FEED = resource("samples", "world-news.rss")


def sample_articles() -> list[Article]:
    return parse(SAMPLE_FEED.read_bytes(), feed_url="riddlewire:samples/world-news.rss")

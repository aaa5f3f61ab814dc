"""Feed test fixtures: a real HTTP server on 127.0.0.1 and real feed files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.feeds.fetch import FetchLimits
from tests.support.feed_server import FeedServer

FIXTURES = Path(__file__).parent / "fixtures"
# Short limits so the slow-server tests take a second, not the production 10-30 s.
QUICK = FetchLimits(connect_s=2.0, read_s=0.5, total_s=1.5, max_bytes=2 * 1024 * 1024, max_redirects=5)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def rss(title: str, items: list[tuple[str, str]], extra: str = "") -> bytes:
    """A small RSS 2.0 feed: items are (headline, link) pairs."""
    body = "".join(
        f"<item><title>{headline}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Tue, 24 Nov 2026 0{i % 10}:00:00 GMT</pubDate>"
        f"<description>Story {i} of {title}: {headline}.</description>{extra}</item>"
        for i, (headline, link) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://{title.lower().replace(' ', '')}.example.org/</link>{body}</channel></rss>"
    ).encode()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server

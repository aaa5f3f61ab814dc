"""Feed bytes -> frozen Articles, through feedparser (which never touches the network here)."""

from __future__ import annotations

import calendar
import io
from datetime import UTC, datetime

import feedparser

from engine.articles import Article
from engine.errors import FeedError
from engine.feeds.links import canonical_link
from engine.feeds.text import html_to_text, one_line

MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 500


def parse(
    body: bytes,
    *,
    feed_url: str = "",
    fetched_at: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> list[Article]:
    """Parse RSS/Atom bytes into Articles. A malformed ("bozo") feed that still yields entries is
    kept; one that yields nothing raises FeedError with the parser's reason in words."""
    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"The feed is {len(body) // 1_048_576} MB, more than the 20 MB a feed may be.")
    fetched_at = fetched_at or datetime.now(UTC)
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers or {}, sanitize_html=True, resolve_relative_uris=True
    )
    entries = parsed.entries[:MAX_ENTRIES]
    if not entries:
        reason = getattr(parsed, "bozo_exception", None)
        detail = f" ({one_line(str(reason))[:160]})" if reason else ""
        raise FeedError(f"No news items could be read from {feed_url or 'this feed'}{detail}.")
    source = one_line(parsed.feed.get("title", "")) or _host(feed_url) or "Unknown source"
    site = parsed.feed.get("link", "") or feed_url
    articles = [_article(entry, source, site, feed_url, fetched_at) for entry in entries]
    return [a for a in articles if a.title]


def _article(entry, source: str, site: str, feed_url: str, fetched_at: datetime) -> Article:  # noqa: ANN001
    raw_summary = entry.get("summary", "") or _first_content(entry)
    return Article(
        title=one_line(html_to_text(entry.get("title", ""), max_chars=400)),
        link=canonical_link(entry.get("link", ""), base=site),
        source=source,
        published=_published(entry, fetched_at),
        summary=html_to_text(raw_summary, max_chars=4000),
        author=one_line(entry.get("author", ""))[:200],
        guid=str(entry.get("id", ""))[:500],
        feed_url=feed_url,
    )


def _first_content(entry) -> str:  # noqa: ANN001
    content = entry.get("content") or []
    return content[0].get("value", "") if content else ""


def _published(entry, fallback: datetime) -> datetime:  # noqa: ANN001
    for key in ("published_parsed", "updated_parsed"):
        struct = entry.get(key)
        if struct:
            try:
                return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return fallback


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc

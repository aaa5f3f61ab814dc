"""Feed bytes -> frozen Articles, through feedparser (which never touches the network here)."""

from __future__ import annotations

import calendar
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import feedparser

from engine.articles import Article, one_line
from engine.errors import FeedError
from engine.feeds.links import canonical_link
from engine.feeds.text import html_to_text

MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 500
# An internal DTD subset is where entity bombs live. Real feeds never need one, so it is cut out
# before parsing; expat's own amplification limit is a second fence, not the only one.
_INTERNAL_DTD = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.DOTALL | re.IGNORECASE)
_PROLOGUE_BYTES = 65_536
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+))")
_DECLARED_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([^"']{0,80})["']"""
)
_ENCODING_NAME = re.compile(rb"[A-Za-z][A-Za-z0-9._:-]{0,39}")


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    site: str  # the feed's home page, if it names one
    articles: tuple[Article, ...]
    warning: str = ""  # set when the feed is malformed but still gave items ("bozo")


def parse(
    body: bytes,
    *,
    feed_url: str = "",
    fetched_at: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> list[Article]:
    """Parse RSS/Atom bytes into Articles. A malformed ("bozo") feed that still yields entries is
    kept; one that yields nothing raises FeedError with the parser's reason in words."""
    return list(parse_feed(body, feed_url=feed_url, fetched_at=fetched_at, headers=headers).articles)


def parse_feed(
    body: bytes,
    *,
    feed_url: str = "",
    fetched_at: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> ParsedFeed:
    """Like parse(), keeping the feed's own title and any warning about its shape."""
    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"The feed is {len(body) // 1_048_576} MB, more than the 20 MB a feed may be.")
    fetched_at = fetched_at or datetime.now(UTC)
    headers = {name.lower(): value for name, value in (headers or {}).items()}
    if feed_url.lower().startswith(("http://", "https://")):
        headers.setdefault("content-location", feed_url)  # the base for relative links in the feed
    parsed = feedparser.parse(
        io.BytesIO(_without_impossible_characters(_without_internal_dtd(_sane_declaration(body)))),
        response_headers=headers,
        # The markup becomes plain text below (html_to_text): nothing of it is ever rendered.
        sanitize_html=False,
        resolve_relative_uris=False,  # links inside summaries are dropped with the markup anyway
    )
    entries = parsed.entries[:MAX_ENTRIES]
    reason = getattr(parsed, "bozo_exception", None)
    if not entries:
        detail = f" ({one_line(str(reason))[:160]})" if reason else ""
        raise FeedError(f"No news items could be read from {feed_url or 'this feed'}{detail}.")
    title = one_line(html_to_text(parsed.feed.get("title", ""), max_chars=300))
    source = title or _host(feed_url) or "Unknown source"
    site = parsed.feed.get("link", "") or feed_url
    articles = [_article(entry, source, site, feed_url, fetched_at) for entry in entries]
    warning = (
        f"The feed is not well-formed ({one_line(str(reason))[:160]}); its readable items were kept."
        if parsed.bozo and reason is not None
        else ""
    )
    return ParsedFeed(title, canonical_link(site), tuple(a for a in articles if a.title), warning)


def _without_internal_dtd(body: bytes) -> bytes:
    head = body[:_PROLOGUE_BYTES]
    if b"<!DOCTYPE" not in head and b"<!doctype" not in head:
        return body
    return _INTERNAL_DTD.sub(b"", head, count=1) + body[_PROLOGUE_BYTES:]


def _sane_declaration(body: bytes) -> bytes:
    """feedparser crashes (UnicodeDecodeError, ValueError) on a byte such as 0x80 or NUL inside the XML
    declaration's encoding name (found by tests/robustness/test_hostile_feeds.py). A name that cannot be
    an encoding is read as UTF-8, the XML default, so the feed's items are still kept."""
    match = _DECLARED_ENCODING.match(body[:512])
    if match is None or _ENCODING_NAME.fullmatch(match.group(1)):
        return body
    return body[: match.start(1)] + b"utf-8" + body[match.end(1) :]


def _without_impossible_characters(body: bytes) -> bytes:
    """feedparser's fallback parser crashes on a reference to a character that cannot exist (a UTF-16
    surrogate such as `&#xD800;`, or one past U+10FFFF), and one such reference lost the whole feed
    (found by tests/robustness/test_hostile_feeds.py). They become U+FFFD, as HTML parsers do."""
    if b"&#" not in body:
        return body

    def fix(match: re.Match[bytes]) -> bytes:
        digits = match.group(1) or match.group(2)
        value = int(digits, 16 if match.group(1) else 10) if len(digits) <= 8 else -1
        possible = 0 <= value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF
        return match.group(0) if possible else b"&#65533"

    return _CHAR_REF.sub(fix, body)


def _article(entry, source: str, site: str, feed_url: str, fetched_at: datetime) -> Article:  # noqa: ANN001
    return Article(
        title=one_line(html_to_text(entry.get("title", ""), max_chars=400)),
        link=canonical_link(entry.get("link", ""), base=site),
        source=source,
        published=_published(entry, fetched_at),
        summary=html_to_text(_richest_text(entry), max_chars=4000),
        author=one_line(entry.get("author", ""))[:200],
        guid=str(entry.get("id", ""))[:500],
        feed_url=feed_url,
    )


def _richest_text(entry) -> str:  # noqa: ANN001
    """The longer of the summary and the full content: many feeds carry the whole story in
    content:encoded, which gives the model more to riddle from without fetching the page."""
    summary = entry.get("summary", "") or ""
    content = entry.get("content") or []
    full = content[0].get("value", "") if content else ""
    return full if len(full) > len(summary) else summary


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
    return urlsplit(url).netloc

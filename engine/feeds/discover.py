"""Feed autodiscovery: the user pastes a site's address, we find its feed from the page's
`<link rel="alternate" type="application/rss+xml" href=...>` the way browsers and readers do."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from engine.errors import FeedError
from engine.feeds.fetch import FeedResponse, fetch
from engine.feeds.parse import ParsedFeed, parse_feed

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+xml")
_HEAD_BYTES = 512 * 1024  # <link> tags live in the head; a page's tail is never read


@dataclass(frozen=True)
class FoundFeed:
    url: str  # the feed itself, after any redirects
    title: str
    parsed: ParsedFeed


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        found = {name: (value or "") for name, value in attrs}
        rels = found.get("rel", "").lower().split()
        if "alternate" in rels and found.get("type", "").lower().split(";")[0].strip() in FEED_TYPES:
            if found.get("href"):
                self.links.append(found["href"].strip())


def feed_links(html: str, page_url: str) -> list[str]:
    """Absolute http(s) feed addresses a page announces, in page order, without repeats."""
    collector = _AlternateLinks()
    collector.feed(html[:_HEAD_BYTES])
    absolute = (urljoin(page_url, href) for href in collector.links)
    return list(dict.fromkeys(u for u in absolute if u.lower().startswith(("http://", "https://"))))


def find_feed(url: str, *, client: httpx.Client | None = None) -> FoundFeed:
    """The feed at `url`, or the first working feed its web page announces."""
    response = fetch(url, client=client)
    parsed = _try_parse(response)
    if parsed is not None:
        return FoundFeed(response.url, parsed.title, parsed)
    candidates = feed_links(_decode(response), response.url)
    if not candidates:
        raise FeedError(
            f"{url} is not a feed: it is a web page that names no feed. Paste the feed's own address "
            "(it often ends in /feed, /rss or .xml)."
        )
    errors = []
    for candidate in candidates[:5]:
        try:
            found = fetch(candidate, client=client)
        except FeedError as error:
            errors.append(error.sentence)
            continue
        parsed = _try_parse(found)
        if parsed is not None:
            return FoundFeed(found.url, parsed.title, parsed)
    detail = f" ({errors[0]})" if errors else ""
    raise FeedError(f"{url} names a feed, but it could not be read{detail}.")


def _try_parse(response: FeedResponse) -> ParsedFeed | None:
    try:
        return parse_feed(response.body, feed_url=response.url, headers=response.headers)
    except FeedError:
        return None


def _decode(response: FeedResponse) -> str:
    return response.body[:_HEAD_BYTES].decode("utf-8", errors="replace")

"""The Article: one news item, normalised and frozen. Parsed feed entries become these; store rows are
made from these, never from feedparser's raw dicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Article:
    title: str
    link: str  # canonical: tracking parameters stripped
    source: str  # the feed's or site's display name
    published: datetime  # always timezone-aware UTC
    summary: str  # plain text, HTML removed
    author: str = ""
    guid: str = ""
    feed_url: str = ""
    id: int | None = None  # set once stored

    @property
    def key(self) -> str:
        """What makes two items the same story for dedupe: the canonical link, else the guid."""
        return self.link or self.guid or self.title.casefold()

    def brief(self, max_chars: int = 600) -> str:
        """Headline plus summary, cut at a word boundary: what a prompt gets to see."""
        text = self.summary.strip()
        if len(text) > max_chars:
            text = text[:max_chars].rsplit(" ", 1)[0] + "…"
        return text


def one_line(text: str) -> str:
    """Collapse all whitespace to single spaces (titles, prompt fields)."""
    return " ".join(text.split())

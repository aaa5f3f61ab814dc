"""What Riddlewire knows about a feed: the stored subscription, and the outcome of one fetch of it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from engine.articles import Article

# Feed.last_status values
OK, NOT_MODIFIED, UNCHANGED, FAILED = "ok", "not modified", "unchanged", "error"


@dataclass(frozen=True)
class Feed:
    id: int
    url: str
    title: str = ""
    category: str = ""
    site: str = ""
    added_at: str = ""
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    last_fetched: str = ""
    last_status: str = ""
    last_error: str = ""
    last_warning: str = ""
    last_new: int = 0

    @property
    def name(self) -> str:
        return self.title or urlsplit(self.url).netloc or self.url


@dataclass(frozen=True)
class FeedOutcome:
    """One fetch of one feed. `articles` is empty unless status is OK."""

    feed_id: int
    url: str
    status: str  # OK | NOT_MODIFIED | UNCHANGED | FAILED
    fetched_at: str
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    title: str = ""  # the feed's own title
    site: str = ""
    articles: tuple[Article, ...] = ()
    error: str = ""  # a sentence, when FAILED
    warning: str = ""  # a sentence, when the feed was malformed but readable


@dataclass(frozen=True)
class SavedOutcome:
    """What storing one outcome did."""

    feed_id: int
    status: str
    new: int = 0
    seen: int = 0  # already stored, or repeated within the feed
    muted: int = 0
    error: str = ""

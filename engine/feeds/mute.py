"""Mute filters: words and sources the user never wants riddled. A muted article is not stored, so
it can never reach a prompt; the refresh report counts it so nothing disappears unexplained."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

from engine.articles import Article

KINDS = ("keyword", "source")


@dataclass(frozen=True)
class MuteRule:
    kind: str  # "keyword": a word or phrase in the title or summary; "source": a feed name or a web site
    pattern: str
    id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"mute kind {self.kind!r}")

    @cached_property
    def _words(self) -> re.Pattern[str]:
        # Whole words only: muting "war" must not mute "award" or "Warsaw".
        return re.compile(rf"(?<!\w){re.escape(self.pattern.strip())}(?!\w)", re.IGNORECASE)

    def matches(self, article: Article) -> bool:
        if not self.pattern.strip():
            return False
        if self.kind == "keyword":
            return bool(self._words.search(article.title) or self._words.search(article.summary))
        wanted = self.pattern.strip().casefold()
        return (
            wanted == article.source.casefold()
            or _on_site(article.link, wanted)
            or _on_site(article.feed_url, wanted)
        )


def is_muted(article: Article, rules: Iterable[MuteRule]) -> bool:
    return any(rule.matches(article) for rule in rules)


def _on_site(url: str, site: str) -> bool:
    """example.org mutes example.org and www.example.org / news.example.org, never notexample.org."""
    host = (urlsplit(url).hostname or "").casefold()
    site = site.removeprefix("www.")
    return bool(host) and (host == site or host.endswith("." + site))

"""One story, one article: items are the same when their canonical links match, or when their titles
are near-identical (the same wire story syndicated by two outlets, a headline re-sent with a new
tracking link, a trailing "- Source" added by an aggregator)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from engine.articles import Article

# Titles only count as the same story within this window: "Live updates" next week is another story.
SAME_STORY_WINDOW = timedelta(days=3)
_SOURCE_SUFFIX = re.compile(r"\s+[-|–—]\s+[^-|–—]{2,40}$")
_NOT_WORD = re.compile(r"[^\w]+")
_MIN_KEY_CHARS = 12  # very short titles ("Update", "Photos") say too little to be called duplicates


@lru_cache(maxsize=8192)  # one refresh asks for each headline's key several times
def title_key(title: str) -> str:
    """A fingerprint of a headline: accents, case, punctuation and a trailing " - Source" dropped."""
    title = _SOURCE_SUFFIX.sub("", title.strip()).casefold()
    letters = title if title.isascii() else "".join(
        ch for ch in unicodedata.normalize("NFKD", title) if not unicodedata.combining(ch))
    key = " ".join(_NOT_WORD.sub(" ", letters).split())
    return key if len(key) >= _MIN_KEY_CHARS else ""


def unique_articles(articles: Iterable[Article]) -> list[Article]:
    """The first of each story, in order; later copies by link or near-identical title are dropped."""
    seen_keys: set[str] = set()
    seen_titles: dict[str, list[Article]] = {}
    kept = []
    for article in articles:
        if article.key in seen_keys or is_same_story(article, seen_titles.get(title_key(article.title), [])):
            continue
        seen_keys.add(article.key)
        if fingerprint := title_key(article.title):
            seen_titles.setdefault(fingerprint, []).append(article)
        kept.append(article)
    return kept


def is_same_story(article: Article, same_title: Iterable[Article]) -> bool:
    """True when any of `same_title` (articles whose title_key matches) was published close enough."""
    return any(abs(article.published - other.published) <= SAME_STORY_WINDOW for other in same_title)

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


# Words that outlets add, drop or move when they rewrite the same wire headline.
_FILLER = frozenset(
    "a an the of in on at to for from by with and or as is are was were be been its it this that "
    "after before over into amid says said new".split()
)
_MIN_KEY_WORDS = 3  # with fewer content words, word order is all that tells two headlines apart


@lru_cache(maxsize=8192)  # one refresh asks for each headline's key several times
def title_key(title: str) -> str:
    """A fingerprint of a headline that near-identical versions share: accents, case, punctuation and
    a trailing " - Source" dropped; then, when at least three content words remain, filler words
    dropped and plurals folded (word order kept: "Dog bites man" is not "Man bites dog"), so
    "Central bank raises interest rates" and "Central Bank Raises the Interest Rate - Wire" meet.
    A stored fingerprint is compared by equality (an index lookup), never pairwise."""
    title = _SOURCE_SUFFIX.sub("", title.strip()).casefold()
    letters = (
        title
        if title.isascii()
        else "".join(ch for ch in unicodedata.normalize("NFKD", title) if not unicodedata.combining(ch))
    )
    key = " ".join(_NOT_WORD.sub(" ", letters).split())
    if len(key) < _MIN_KEY_CHARS:
        return ""
    content = [_singular(word) for word in key.split() if word not in _FILLER]
    return " ".join(content) if len(content) >= _MIN_KEY_WORDS else key


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


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

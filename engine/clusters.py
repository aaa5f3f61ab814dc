"""One story, once: articles from different feeds about the same story form one cluster.

Matching is on content (headline and summary), not on wording alone. Each article becomes a set of
story words: accents, case and punctuation dropped, common words and number words ("million", "bn")
dropped, the rest reduced to Snowball stems; numbers kept with their separators normalised ("310,000"
and "310000" meet, "£2.4bn" gives "2.4"). Names (capitalised words that do not start a sentence) and
numbers count twice. Two articles are the same story when the Jaccard similarity of their story
words reaches SAME_STORY_JACCARD and they were published within STORY_WINDOW.

Why these choices (measured on tests/data/story_pairs.jsonl with bench/clusters.py, see
BENCHMARKS.md): outlets that reword a story keep its names, numbers and key nouns but not their
order, while a story on the same topic shares the nouns and not the names or numbers. So word
bigrams (order) did worse, and weighting names and numbers did best under cross-validation. The
threshold is low because a rewritten summary shares only a fifth or so of its words.

Finding the candidates: posting lists (story word → recent articles), and for a new article a count
of the words each recent one shares with it (Counter, in C), which gives the exact Jaccard with no
pairwise set work. MinHash LSH (datasketch) was measured against it on the same articles
(bench/clusters.py, BENCHMARKS.md): at the low threshold a story needs, LSH takes 128 bands of 2 rows,
and banding the last two days of 200 feeds cost ~20 times the posting lists (and ~280 MB to keep
warm), for the same answers on the labelled pairs. Qt-free and store-free: engine/store/clusters.py
keeps the clusters."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import chain

import snowballstemmer

# Tuned on the labelled pairs (bench/clusters.py prints the sweep and a 5-fold cross-validation).
SAME_STORY_JACCARD = 0.15
# Stories are matched only within two days of each other: "Central bank holds rates" next month is
# another meeting, whatever its words.
STORY_WINDOW = timedelta(days=2)
_STOP_WORDS = frozenset(
    """a an the of in on at to for from by with and or as is are was were be been being its it this
    that these those after before over into amid says said say new has have had will would could can
    not no but than more most their they them he she his her hers who whom which what when where while
    about up down out off also then there here we our us you your i my all any some such so if per
    just very only other many much few one two three four five six seven eight nine ten first second
    last next least nearly almost since until during under between across against through toward
    towards monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow week
    weeks year years month months day days percent cent per million millions billion billions
    thousand thousands trillion bn mn m k km pct""".split()
)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+)([^\W\d_]+)", re.UNICODE)
# The Snowball stemmer is pure Python (~0.1 ms a word); _content_word caches its answers.
_stem = snowballstemmer.stemmer("english").stemWord


@lru_cache(maxsize=16384)  # a refresh asks again for the same recent articles' words
def story_words(title: str, summary: str, weighted: bool = True) -> frozenset[str]:
    """The words that say which story an article tells (see the module docstring). Names (capitalised
    words that do not start a sentence) and numbers count twice when `weighted`: each also enters as
    "^word", since they tell one story from another on the same topic."""
    words: set[str] = set()
    marked: set[str] = set()
    for text in (title, summary):
        if not text.isascii():  # most English news is: folding accents char by char is the slow part
            text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
        starts = {m.start(1) for m in _SENTENCE_START.finditer(text)}
        for match in _TOKEN.finditer(text):
            token = match.group(0)
            if token[0].isdigit():
                word = "#" + _number(token)
                marked.add(word)
            else:
                word = _content_word(token)
                if not word:
                    continue
                if token[0].isupper() and match.start() not in starts:
                    marked.add(word)
            words.add(word)
    return frozenset(words | {f"^{w}" for w in marked}) if weighted else frozenset(words)


@lru_cache(maxsize=65536)
def _content_word(token: str) -> str:
    """A token's stem, or "" for a common word (one cached call per token: news repeats its words)."""
    folded = token.casefold()
    return "" if folded in _STOP_WORDS or len(folded) < 2 else _stem(folded)


def _number(token: str) -> str:
    """ "310,000" → "310000", "2.4" stays, "1.000.000" → "1000000": thousands separators dropped."""
    parts = re.split(r"[.,]", token)
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]):
        return "".join(parts)
    return token.replace(",", ".")


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Exact Jaccard similarity of two articles' story words."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def same_story(a: frozenset[str], b: frozenset[str], threshold: float = SAME_STORY_JACCARD) -> bool:
    return similarity(a, b) >= threshold


@dataclass(frozen=True)
class StoryItem:
    """What clustering needs of an article: its id, when it was published, and its headline and summary."""

    article_id: int
    published: datetime
    title: str
    summary: str

    @property
    def words(self) -> frozenset[str]:
        return story_words(self.title, self.summary)


@dataclass(frozen=True)
class Assignment:
    article_id: int
    cluster_id: int
    matched: int | None  # the article it was matched to; None when it starts a cluster of its own
    score: float


class StoryIndex:
    """Recent articles with the cluster each belongs to, and a way to find the candidates for a new
    one. This one (shipped) keeps a posting list per story word and counts the words each indexed
    article shares with the new one: exact, so a pair at the threshold is never missed, and at the
    size of 200 feeds it costs a twentieth of building MinHash LSH bands for the same articles
    (bench/clusters.py measures both: the choice was made by that measurement)."""

    def __init__(self, threshold: float = SAME_STORY_JACCARD, window: timedelta = STORY_WINDOW):
        self.threshold = threshold
        self.window = window
        self._items: dict[int, StoryItem] = {}
        self._cluster: dict[int, int] = {}
        self._postings: dict[str, list[int]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def prepare(self, items: list[StoryItem]) -> None:
        """Work that is cheaper done for many articles at once (nothing here)."""

    def add(self, item: StoryItem, cluster_id: int) -> None:
        if item.article_id in self._items:
            return
        self._items[item.article_id] = item
        self._cluster[item.article_id] = cluster_id
        self._insert(item)

    def add_all(self, items: list[tuple[StoryItem, int]]) -> None:
        self.prepare([item for item, _ in items if item.article_id not in self._items])
        for item, cluster in items:
            self.add(item, cluster)

    def best_match(self, item: StoryItem, refused: frozenset[int] = frozenset()) -> tuple[int, float] | None:
        """The most similar indexed article of the same story (its id and score), skipping those in
        clusters `refused`; None when there is none."""
        best: tuple[int, float] | None = None
        size = len(item.words)
        # J(a, b) >= t needs |a & b| >= t * |a| shared words: the rest cannot reach the threshold.
        least = math.ceil(self.threshold * size)
        for other_id, shared in self._candidates(item).items():
            if shared < least:
                continue
            other = self._items[other_id]
            if abs(other.published - item.published) > self.window or self._cluster[other_id] in refused:
                continue
            score = shared / (size + len(other.words) - shared)
            if score >= self.threshold and (best is None or (score, -other_id) > (best[1], -best[0])):
                best = (other_id, score)
        return best

    def cluster_of(self, article_id: int) -> int:
        return self._cluster[article_id]

    def set_cluster(self, article_id: int, cluster_id: int) -> None:
        self._cluster[article_id] = cluster_id

    def __contains__(self, article_id: int) -> bool:
        return article_id in self._items

    def published(self, article_id: int) -> datetime:
        return self._items[article_id].published

    def _insert(self, item: StoryItem) -> None:
        for word in item.words:
            self._postings.setdefault(word, []).append(item.article_id)

    def _candidates(self, item: StoryItem) -> dict[int, int]:
        """Indexed articles sharing any story word with `item`, with how many they share (Counter
        counts in C: the posting lists of common words are long)."""
        return Counter(chain.from_iterable(self._postings.get(word, ()) for word in item.words))


def assign(
    index: StoryIndex,
    new: Iterable[StoryItem],
    refused: dict[int, frozenset[int]] | None = None,
    new_cluster: Callable[[int], int] | None = None,
) -> list[Assignment]:
    """Cluster each new article (oldest first) into the cluster of its most similar indexed article,
    or a new cluster of its own, named by `new_cluster(article_id)` (default: -article_id, which no
    stored cluster uses). Each one joins the index at once, so new articles about the same story
    meet each other too. `refused` maps an article to clusters it must never join (a person split it
    out of them)."""
    refused = refused or {}
    new_cluster = new_cluster or (lambda article_id: -article_id)
    todo = sorted(new, key=lambda i: (i.published, i.article_id))
    index.prepare(todo)
    result = []
    for item in todo:
        match = index.best_match(item, refused.get(item.article_id, frozenset()))
        cluster = index.cluster_of(match[0]) if match else new_cluster(item.article_id)
        index.add(item, cluster)
        result.append(
            Assignment(item.article_id, cluster, match[0] if match else None, match[1] if match else 0.0)
        )
    return result

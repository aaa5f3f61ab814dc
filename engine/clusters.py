"""One story, once: articles from different feeds about the same story form one cluster.

Matching is on content (headline and summary), not on wording alone. Each article becomes a set of
story words: accents, case and punctuation dropped, common words and number words ("million", "bn")
dropped, the rest reduced to Snowball stems; numbers kept with their separators normalised ("310,000"
and "310000" meet, "£2.4bn" gives "2.4"). Two articles are the same story when the Jaccard similarity
of their story words reaches SAME_STORY_JACCARD and they were published within STORY_WINDOW.

Why these choices (measured on tests/data/story_pairs.jsonl, see BENCHMARKS.md and bench/clusters.py):
plain story words beat word bigrams and extra weight on names or numbers, because outlets that
reword a story keep its names, numbers and key nouns but not their order, while a story on the same
topic shares the nouns and not the names. The threshold is low because a rewritten summary shares
only a fifth or so of its words.

Finding the candidates is MinHash LSH (datasketch): each article's words are MinHashed once and
banded, so a refresh looks up its new articles in the bands instead of comparing every pair. The
LSH only proposes; the exact Jaccard of the two word sets decides, so the estimate's noise cannot
merge two stories. Qt-free and store-free: engine/store/clusters.py keeps the clusters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import snowballstemmer
from datasketch import MinHash, MinHashLSH

# Tuned on the labelled pairs (bench/clusters.py prints the sweep and a 5-fold cross-validation).
SAME_STORY_JACCARD = 0.125
# Stories are matched only within two days of each other: "Central bank holds rates" next month is
# another meeting, whatever its words.
STORY_WINDOW = timedelta(days=2)
# 256 permutations in 128 bands of 2 rows: a pair at the threshold (J = 0.125) becomes a candidate
# with probability 1 - (1 - 0.125²)^128 ≈ 0.87, at J = 0.2 ≈ 0.99; unrelated pairs (J ≈ 0.03) rarely.
NUM_PERM = 256
BANDS, ROWS = 128, 2

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
_stem = snowballstemmer.stemmer("english").stemWord


@lru_cache(maxsize=16384)  # a refresh asks again for the same recent articles' words
def story_words(title: str, summary: str) -> frozenset[str]:
    """The words that say which story an article tells (see the module docstring)."""
    text = unicodedata.normalize("NFKD", f"{title} {summary}".casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = set()
    for token in _TOKEN.findall(text):
        if token[0].isdigit():
            words.add("#" + _number(token))
        elif token not in _STOP_WORDS and len(token) > 1:
            words.add(_stem(token))
    return frozenset(words)


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
    """Recent articles, banded for MinHash LSH lookups, with the cluster each belongs to."""

    def __init__(self, threshold: float = SAME_STORY_JACCARD, window: timedelta = STORY_WINDOW):
        self.threshold = threshold
        self.window = window
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=(BANDS, ROWS))
        self._items: dict[int, StoryItem] = {}
        self._cluster: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: StoryItem, cluster_id: int, signature: MinHash | None = None) -> None:
        if item.article_id in self._items:
            return
        self._items[item.article_id] = item
        self._cluster[item.article_id] = cluster_id
        if item.words:
            self._lsh.insert(
                item.article_id,
                signature if signature is not None else signatures([item])[0],
                check_duplication=False,
            )

    def add_all(self, items: list[tuple[StoryItem, int]]) -> None:
        fresh = [(item, cluster) for item, cluster in items if item.article_id not in self._items]
        for (item, cluster), signature in zip(fresh, signatures([i for i, _ in fresh]), strict=True):
            self.add(item, cluster, signature)

    def best_match(
        self, item: StoryItem, signature: MinHash, refused: frozenset[int] = frozenset()
    ) -> tuple[int, float] | None:
        """The most similar indexed article of the same story (its id and score), skipping those in
        clusters `refused`; None when there is none."""
        best: tuple[int, float] | None = None
        words = item.words
        for other_id in self._lsh.query(signature) if words else ():
            other = self._items[other_id]
            if abs(other.published - item.published) > self.window or self._cluster[other_id] in refused:
                continue
            score = similarity(words, other.words)
            if score >= self.threshold and (best is None or (score, -other_id) > (best[1], -best[0])):
                best = (other_id, score)
        return best

    def cluster_of(self, article_id: int) -> int:
        return self._cluster[article_id]


def signatures(items: Iterable[StoryItem]) -> list[MinHash]:
    """MinHash signatures, many at once (one shared set of permutations: much faster than one by one)."""
    word_lists = [[w.encode() for w in sorted(item.words)] for item in items]
    return MinHash.bulk(word_lists, num_perm=NUM_PERM) if word_lists else []


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
    result = []
    for item, signature in zip(todo, signatures(todo), strict=True):
        match = index.best_match(item, signature, refused.get(item.article_id, frozenset()))
        cluster = index.cluster_of(match[0]) if match else new_cluster(item.article_id)
        index.add(item, cluster, signature)
        result.append(
            Assignment(item.article_id, cluster, match[0] if match else None, match[1] if match else 0.0)
        )
    return result

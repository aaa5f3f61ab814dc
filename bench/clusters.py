"""Story clusters (issue 19): how well, and at what refresh-time cost.

1. Quality on the hand-labelled pairs (tests/data/story_pairs.jsonl): precision and recall of the
   shipped matcher through its real path (posting-list candidates, exact Jaccard decision) and with
   MinHash LSH candidates instead; and of the word sets it was chosen over, each at its own best
   threshold on the whole set (optimistic) and under 5-fold cross-validation (the threshold tuned on
   four folds, scored on the fifth: what a new pair should expect). The headline fingerprint of
   engine.feeds.dedupe is the floor.
2. Cost at 200 feeds: a history holding two days of 200 feeds x 20 items (8,000 articles), then a
   refresh of 200 feeds x 20 new items from a local server, with clustering and without (the ingest's
   clustering call replaced by nothing), alternating, each on a fresh copy (the process's first
   refresh: nothing indexed yet); assign_new_articles alone for N new, cold and warm; and the
   two candidate finders (posting lists, shipped; datasketch MinHash LSH) on the same articles.
   Needs datasketch (`.venv/bin/pip install datasketch==2.0.0`, in the test extra).

    .venv/bin/python -m bench.clusters [--runs 3]"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import snowballstemmer
from datasketch import MinHash, MinHashLSH

import engine.ingest
from bench.common import machine, table
from engine.articles import Article
from engine.clusters import (
    SAME_STORY_JACCARD,
    STORY_WINDOW,
    StoryIndex,
    StoryItem,
    assign,
    similarity,
    story_words,
)
from engine.feeds.dedupe import title_key
from engine.ingest import refresh
from engine.store import Store
from engine.store.clusters import assign_new_articles
from engine.store.feeds import add_feed
from tests.support.feed_server import FeedServer

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data" / "story_pairs.jsonl"
FEEDS, ITEMS, DAYS = 200, 20, 2
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
FOLDS = 5
NUM_PERM, BANDS, ROWS = 256, 128, 2
MODES = (
    "names+numbers x2 (shipped)",
    "story words, unweighted",
    "story words + word bigrams",
    "headline only",
)


# -- the alternative candidate finder ------------------------------------------------------------------
class MinHashStoryIndex(StoryIndex):
    """engine.clusters.StoryIndex with datasketch's MinHash LSH finding the candidates instead of the
    posting lists, and the same exact Jaccard deciding: the alternative measured here. 256
    permutations in 128 bands of 2 rows: a pair at the threshold (J = 0.15) becomes a candidate with
    probability 1 - (1 - 0.15²)^128 ≈ 0.95; fewer bands lost recall on the labelled pairs."""

    def __init__(self, threshold: float = SAME_STORY_JACCARD, window: timedelta = STORY_WINDOW):
        super().__init__(threshold, window)
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=(BANDS, ROWS))
        self._signatures: dict[int, MinHash] = {}

    def prepare(self, items: list[StoryItem]) -> None:
        # One shared set of permutations for many articles: much faster than one MinHash at a time.
        word_lists = [[w.encode() for w in sorted(item.words)] for item in items]
        for item, signature in zip(items, MinHash.bulk(word_lists, num_perm=NUM_PERM), strict=True):
            self._signatures[item.article_id] = signature

    def _signature(self, item: StoryItem) -> MinHash:
        if item.article_id not in self._signatures:
            self.prepare([item])
        return self._signatures[item.article_id]

    def _insert(self, item: StoryItem) -> None:
        if item.words:
            self._lsh.insert(item.article_id, self._signature(item), check_duplication=False)

    def _candidates(self, item: StoryItem) -> dict[int, int]:
        if not item.words:
            return {}
        words = item.words
        return {i: len(words & self._items[i].words) for i in self._lsh.query(self._signature(item))}


# -- 1. quality -----------------------------------------------------------------------------------------
_stem = snowballstemmer.stemmer("english").stemWord
_WORD = re.compile(r"[^\W\d_]+|\d+(?:[.,]\d+)*")


def _variant_words(mode: str) -> Callable[[dict], frozenset[str]]:
    """The shipped story words and the alternatives it was chosen over."""

    def words(side: dict) -> frozenset[str]:
        if mode == "headline only":
            return story_words(side["title"], "")
        if mode.startswith("names+numbers x2"):
            return story_words(side["title"], side["summary"])
        plain = story_words(side["title"], side["summary"], weighted=False)
        if mode == "story words + word bigrams":
            tokens = [_stem(t.casefold()) for t in _WORD.findall(f"{side['title']} {side['summary']}")]
            kept = [t for t in tokens if t in plain]
            return plain | {f"{a}_{b}" for a, b in zip(kept, kept[1:], strict=False)}
        return plain

    return words


def scores(pairs: list[dict], words: Callable[[dict], frozenset[str]]) -> list[tuple[float, bool]]:
    return [(similarity(words(p["a"]), words(p["b"])), p["same"]) for p in pairs]


def precision_recall(scored: list[tuple[float, bool]], threshold: float) -> tuple[float, float]:
    tp = sum(s >= threshold and same for s, same in scored)
    fp = sum(s >= threshold and not same for s, same in scored)
    fn = sum(s < threshold and same for s, same in scored)
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def best_threshold(scored: list[tuple[float, bool]]) -> float:
    grid = [i / 200 for i in range(4, 120)]
    return max(grid, key=lambda t: (f1(*precision_recall(scored, t)), -t))


def cross_validated(scored: list[tuple[float, bool]], kinds: list[str]) -> tuple[float, float, list[float]]:
    """Pooled precision and recall over 5 folds (stratified by kind), each fold scored at the
    threshold tuned on the other four; and the thresholds chosen."""
    order = list(range(len(scored)))
    random.Random(19).shuffle(order)
    order.sort(key=lambda i: kinds[i])  # stable: shuffled within each kind, then dealt round-robin
    fold_of = {i: n % FOLDS for n, i in enumerate(order)}
    tp = fp = fn = 0
    chosen = []
    for fold in range(FOLDS):
        train = [scored[i] for i in order if fold_of[i] != fold]
        test = [scored[i] for i in order if fold_of[i] == fold]
        threshold = best_threshold(train)
        chosen.append(threshold)
        tp += sum(s >= threshold and y for s, y in test)
        fp += sum(s >= threshold and not y for s, y in test)
        fn += sum(s < threshold and y for s, y in test)
    return tp / (tp + fp), tp / (tp + fn), chosen


def shipped_path(
    pairs: list[dict], index_type: type[StoryIndex] = StoryIndex
) -> tuple[float, float, dict[str, int]]:
    """The shipped matcher end to end: the first article indexed, the second assigned through LSH."""
    tp = fp = fn = 0
    wrong: dict[str, int] = {}
    for n, pair in enumerate(pairs):
        a = StoryItem(2 * n + 1, NOW, pair["a"]["title"], pair["a"]["summary"])
        b = StoryItem(2 * n + 2, NOW + timedelta(hours=3), pair["b"]["title"], pair["b"]["summary"])
        index = index_type()
        index.add_all([(a, 0)])
        joined = assign(index, [b])[0].cluster_id == 0
        tp += joined and pair["same"]
        fp += joined and not pair["same"]
        fn += not joined and pair["same"]
        if joined != pair["same"]:
            wrong[pair["kind"]] = wrong.get(pair["kind"], 0) + 1
    return tp / (tp + fp), tp / (tp + fn), wrong


def quality() -> None:
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    kinds = [p["kind"] for p in pairs]
    counts = {k: kinds.count(k) for k in sorted(set(kinds))}
    print(f"Labelled pairs: {len(pairs)} ({', '.join(f'{n} {k}' for k, n in counts.items())})\n")
    for name, index_type in (("posting lists (shipped)", StoryIndex), ("MinHash LSH", MinHashStoryIndex)):
        p, r, wrong = shipped_path(pairs, index_type)
        print(
            f"Shipped words, {name} candidates, exact Jaccard >= {SAME_STORY_JACCARD}: precision {p:.3f}, "
            f"recall {r:.3f}, F1 {f1(p, r):.3f}; wrong calls by kind: {wrong}"
        )
    print()
    rows = []
    key_scored = [
        (
            float(
                bool(title_key(x["a"]["title"])) and title_key(x["a"]["title"]) == title_key(x["b"]["title"])
            ),
            x["same"],
        )
        for x in pairs
    ]
    kp, kr = precision_recall(key_scored, 0.5)
    rows.append(["headline fingerprint (engine.feeds.dedupe, floor)", "equal", kp, kr, "", "", ""])
    for mode in MODES:
        scored = scores(pairs, _variant_words(mode))
        t = best_threshold(scored)
        bp, br = precision_recall(scored, t)
        cp, cr, chosen = cross_validated(scored, kinds)
        rows.append([mode, t, bp, br, cp, cr, f"{min(chosen):.3f}–{max(chosen):.3f}"])
    print(
        table(
            [
                "matcher (exact Jaccard)",
                "best threshold",
                "P (tuned on all)",
                "R (tuned on all)",
                "P (5-fold CV)",
                "R (5-fold CV)",
                "CV thresholds",
            ],
            rows,
        )
    )


# -- 2. cost at 200 feeds ---------------------------------------------------------------------------------
def _vocabulary(rng: random.Random) -> tuple[list[str], list[int]]:
    """News words with their real frequencies: every word of the labelled pairs' headlines and
    summaries, counted. Synthetic articles drawn from it share common words ("government", "rate")
    as news does, which is where the LSH's candidate cost hides."""
    counts: dict[str, int] = {}
    for line in PAIRS.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        for side in (pair["a"], pair["b"]):
            for word in _WORD.findall(f"{side['title']} {side['summary']}"):
                counts[word] = counts.get(word, 0) + 1
    words = sorted(counts)
    return words, [counts[w] for w in words]


def _text(rng: random.Random, vocabulary: tuple[list[str], list[int]], words: int) -> str:
    """Words drawn by their frequency in news, plus a made-up name that is this story's own."""
    name = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3)).capitalize()
    return " ".join([*rng.choices(vocabulary[0], vocabulary[1], k=words), name])


def _history(path: Path, rng: random.Random, vocabulary: tuple[list[str], list[int]]) -> None:
    store = Store(path)
    old = [
        Article(
            title=_text(rng, vocabulary, 9).capitalize(),
            link=f"https://feed{n % FEEDS}.example.org/old/{n}",
            source=f"Feed {n % FEEDS}",
            published=NOW - timedelta(minutes=n * DAYS * 24 * 60 // (FEEDS * ITEMS * DAYS) + 60),
            summary=_text(rng, vocabulary, 40),
        )
        for n in range(FEEDS * ITEMS * DAYS)
    ]
    store.save_articles(old)
    assign_new_articles(store)
    store.close()


def _feed(n: int, rng: random.Random, vocabulary: tuple[list[str], list[int]]) -> bytes:
    items = "".join(
        f"<item><title>{_text(rng, vocabulary, 9).capitalize()}</title>"
        f"<link>https://feed{n}.example.org/new/{i}</link><guid>f{n}-{i}</guid>"
        f"<pubDate>Tue, 24 Nov 2026 {11 - i % 10:02d}:{i:02d}:00 GMT</pubDate>"
        f"<description>{_text(rng, vocabulary, 40)}</description></item>"
        for i in range(ITEMS)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>https://feed{n}.example.org/</link>{items}</channel></rss>"
    ).encode()


def cost(runs: int) -> None:
    rng = random.Random(200)
    vocabulary = _vocabulary(rng)
    clustering = engine.ingest.assign_new_articles
    with tempfile.TemporaryDirectory() as folder, FeedServer() as server:
        base = Path(folder) / "base.sqlite3"
        _history(base, rng, vocabulary)
        urls = [server.add(f"/f{n}", body=_feed(n, rng, vocabulary)) for n in range(FEEDS)]
        store = Store(base)
        for url in urls:
            add_feed(store, url)
        store.close()
        times: dict[str, list[float]] = {"without clustering (baseline)": [], "with clustering": []}
        new = 0
        for run in range(runs + 1):  # the first round warms caches and is dropped
            for name in times:
                copy = Path(folder) / f"run{run}-{len(name)}.sqlite3"
                shutil.copy(base, copy)
                store = Store(copy)
                engine.ingest.assign_new_articles = clustering if name == "with clustering" else _nothing
                try:
                    started = time.perf_counter()
                    new = refresh(store).new
                    elapsed = time.perf_counter() - started
                finally:
                    engine.ingest.assign_new_articles = clustering
                    store.close()
                if run:
                    times[name].append(elapsed)
        alone = _assign_alone(Path(folder), base, rng, vocabulary, runs)
    finders = _finders(rng, vocabulary, runs)
    base_s = statistics.median(times["without clustering (baseline)"])
    print(
        f"\nRefresh of {FEEDS} feeds x {ITEMS} new items ({new} stored) from 127.0.0.1 into a history "
        f"holding {FEEDS * ITEMS * DAYS} articles of the last {DAYS} days, "
        f"median of {runs} alternating runs:\n"
    )
    print(
        table(
            ["refresh", "median s", "ratio to baseline"],
            [[name, statistics.median(t), statistics.median(t) / base_s] for name, t in times.items()],
        )
    )
    print(
        f"\nassign_new_articles alone against the same {FEEDS * ITEMS * DAYS} articles, median of {runs} "
        "(cold: the process's first call, as in the refreshes above; warm: the next refresh's):\n"
    )
    print(
        table(
            ["new articles", "cold s", "warm s", "warm ms per new article"],
            [[n, c, w, 1000 * w / n] for n, c, w in alone],
        )
    )
    print(
        f"\nCandidate finders on the same {FEEDS * ITEMS * DAYS} indexed articles, then {FINDER_NEW} new "
        f"assigned, median of {runs}:\n"
    )
    lists = finders["posting lists (shipped)"]
    print(
        table(
            ["finder", "index s", "assign s", "total s", "ratio to posting lists"],
            [[name, i, a, i + a, (i + a) / sum(lists)] for name, (i, a) in finders.items()],
        )
    )


FINDER_NEW = 200


def _finders(
    rng: random.Random, vocabulary: tuple[list[str], list[int]], runs: int
) -> dict[str, tuple[float, float]]:
    """Seconds to index two days of 200 feeds, and to assign FINDER_NEW new articles, per finder."""
    total = FEEDS * ITEMS * DAYS
    items = [
        StoryItem(
            i,
            NOW - timedelta(minutes=i * 60 * 24 * DAYS // total),
            _text(rng, vocabulary, 9),
            _text(rng, vocabulary, 40),
        )
        for i in range(total + FINDER_NEW)
    ]
    for item in items:
        _ = item.words  # the words are the same work for both: computed once, outside the timing
    results = {}
    for name, index_type in (
        ("posting lists (shipped)", StoryIndex),
        ("MinHash LSH (datasketch)", MinHashStoryIndex),
    ):
        indexing, assigning = [], []
        for _ in range(runs):
            started = time.perf_counter()
            index = index_type()
            index.add_all([(item, item.article_id) for item in items[:total]])
            indexing.append(time.perf_counter() - started)
            started = time.perf_counter()
            assign(index, items[total:])
            assigning.append(time.perf_counter() - started)
        results[name] = (statistics.median(indexing), statistics.median(assigning))
    return results


def _nothing(_store: Store) -> None:
    return None


def _assign_alone(
    folder: Path, base: Path, rng: random.Random, vocabulary: tuple[list[str], list[int]], runs: int
) -> list[tuple[int, float, float]]:
    """(new articles, cold s, warm s): the first call of a process indexes the recent articles from
    the file; a later one (the app's next refresh) finds them indexed already."""
    results = []
    for count in (20, 200, FEEDS * ITEMS):
        cold: list[float] = []
        warm: list[float] = []
        for run in range(runs):
            copy = folder / f"alone{count}-{run}.sqlite3"
            shutil.copy(base, copy)
            store = Store(copy)
            for samples in (cold, warm):
                store.save_articles(
                    [
                        Article(
                            title=_text(rng, vocabulary, 9),
                            link=f"https://new.example.org/{count}/{run}/{len(samples)}/{id(samples)}/{i}",
                            source="New",
                            published=NOW - timedelta(minutes=i),
                            summary=_text(rng, vocabulary, 40),
                        )
                        for i in range(count)
                    ]
                )
                started = time.perf_counter()
                assign_new_articles(store)
                samples.append(time.perf_counter() - started)
            store.close()
        results.append((count, statistics.median(cold), statistics.median(warm)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args([] if __name__ != "__main__" else None)
    print(f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at start\n")
    quality()
    cost(args.runs)
    print(f"\nLoad average {os.getloadavg()[0]:.1f} at the end.")


if __name__ == "__main__":
    main()

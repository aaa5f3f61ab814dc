"""Blind ratings: riddles from several arms in one shuffled queue, rated on three marks with no arm
shown (docs/evaluation/rubric.md), and each arm's rates with 95% Wilson intervals once rated.

The queue hands out the next unrated item in a fixed random order (so arms interleave and a rater
cannot tell one from another by position); an item carries the four headlines, the riddle, its
hints and answer, never its arm or model. The arm appears only in `report` and `export`."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.errors import EngineError
from engine.store import Store

Z95 = 1.959963984540054  # the normal quantile for a two-sided 95% interval


@dataclass(frozen=True)
class NewItem:
    """One arm's riddle (or its failure) for one story, before it is queued."""

    arm: str
    story_key: str
    section: str
    title: str
    summary: str
    options: tuple[str, ...]
    answer_index: int
    riddle: str = ""
    answer: str = ""
    hints: tuple[str, ...] = ()
    road: str = ""
    quality: str = ""
    model: str = ""
    seconds: float = 0.0
    failure: str = ""


@dataclass(frozen=True)
class BlindItem:
    """What the rater sees: no arm, no model."""

    id: int
    options: tuple[str, ...]
    riddle: str
    hints: tuple[str, ...]
    answer: str
    answer_index: int  # revealed after the rater has tried to pick the headline
    title: str
    summary: str
    left: int  # unrated items in the batch, this one included

    def text(self) -> str:
        """The item as the CLI prints it: headlines and riddle first, the answer and story after."""
        lines = [f"Item {self.id} ({self.left} left to rate)", "", "Which headline is it?"]
        lines += [f"  {chr(65 + i)}. {title}" for i, title in enumerate(self.options)]
        lines += ["", f"Riddle: {self.riddle}"]
        lines += [f"Hint {n}: {hint}" for n, hint in enumerate(self.hints, start=1)]
        lines += [
            "",
            "--- then reveal ---",
            f"Answer: {self.answer}",
            f"Story: {chr(65 + self.answer_index)}. {self.title}",
            f"Summary: {self.summary}",
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class Rate:
    hits: int
    n: int

    @property
    def share(self) -> float:
        return self.hits / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.hits, self.n)

    def words(self) -> str:
        low, high = self.interval
        return f"{self.share:.0%} ({self.hits}/{self.n}, 95% CI {low:.0%}–{high:.0%})" if self.n else "n/a"


@dataclass(frozen=True)
class ArmReport:
    arm: str
    made: int  # riddles made
    failed: int  # stories the arm could not riddle
    rated: int
    answer: Rate
    story: Rate
    good: Rate
    seconds: float  # generation time of all its items, failures included

    @property
    def riddles_per_min(self) -> float:
        return 60.0 * self.made / self.seconds if self.seconds > 0 else 0.0

    @property
    def good_per_min(self) -> float:
        """The headline number: good riddles per minute on this machine (good rate × riddles/min)."""
        return self.good.share * self.riddles_per_min


def wilson(hits: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial share: keeps inside [0, 1] and stays honest at 0 or n
    hits and for small n, where the normal approximation does not."""
    if n <= 0:
        return 0.0, 1.0
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def add_items(store: Store, batch: str, items: list[NewItem], seed: int = 0) -> int:
    """Queue items for rating under `batch`, each at a random place in the queue. Returns how many."""
    rng = random.Random(f"{batch}/{seed}/{_count(store, batch)}")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rows = [
        {
            "batch": batch,
            "arm": item.arm,
            "story_key": item.story_key,
            "section": item.section,
            "title": item.title,
            "summary": item.summary,
            "options": json.dumps(list(item.options), ensure_ascii=False),
            "answer_index": item.answer_index,
            "riddle": item.riddle,
            "answer": item.answer,
            "hints": json.dumps(list(item.hints), ensure_ascii=False),
            "road": item.road,
            "quality": item.quality,
            "model": item.model,
            "seconds": item.seconds,
            "failure": item.failure,
            "shuffle": rng.randrange(2**31),
            "created_at": now,
        }
        for item in items
    ]
    with store.db.conn:
        store.db["rating_items"].insert_all(rows)
    return len(rows)


_ITEM = "i.id, i.options, i.riddle, i.hints, i.answer, i.answer_index, i.title, i.summary"


def next_item(store: Store, batch: str | None = None) -> BlindItem | None:
    """The next unrated riddle in the queue (made ones only), or None when all are rated."""
    where, params = _batch_clause(batch)
    unrated = (
        f"FROM rating_items i LEFT JOIN ratings r ON r.item_id = i.id WHERE r.item_id IS NULL "
        f"AND i.failure = '' {where}"
    )
    row = store.db.execute(f"SELECT {_ITEM} {unrated} ORDER BY i.shuffle, i.id LIMIT 1", params).fetchone()
    if row is None:
        return None
    return _blind(row, store.db.execute(f"SELECT count(*) {unrated}", params).fetchone()[0])


def item(store: Store, item_id: int) -> BlindItem:
    row = store.db.execute(f"SELECT {_ITEM} FROM rating_items i WHERE i.id = ?", [item_id]).fetchone()
    if row is None:
        raise EngineError(f"There is no rating item {item_id}.")
    return _blind(row, 0)


def _blind(row: tuple, left: int) -> BlindItem:
    item_id, options, riddle, hints, answer, index, title, summary = row
    return BlindItem(
        id=item_id,
        options=tuple(json.loads(options)),
        riddle=riddle,
        hints=tuple(json.loads(hints)),
        answer=answer,
        answer_index=index,
        title=title,
        summary=summary,
        left=left,
    )


def mark(store: Store, item_id: int, answer: bool, story: bool, good: bool, rater: str = "") -> None:
    """Keep the three marks for an item (marking it again replaces them)."""
    found = store.db.execute("SELECT failure FROM rating_items WHERE id = ?", [item_id]).fetchone()
    if found is None:
        raise EngineError(f"There is no rating item {item_id}.")
    if found[0]:
        raise EngineError(f"Item {item_id} has no riddle to rate (its arm could not make one).")
    with store.db.conn:
        store.db["ratings"].upsert(
            {
                "item_id": item_id,
                "answer": int(answer),
                "story": int(story),
                "good": int(good),
                "rater": rater,
                "rated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            pk="item_id",
        )


def report(store: Store, batch: str | None = None) -> list[ArmReport]:
    """Each arm's rates over its rated riddles, with intervals, and its speed; arms by name."""
    where, params = _batch_clause(batch)
    rows = store.db.execute(
        "SELECT i.arm, count(*), sum(i.failure != ''), sum(i.seconds), count(r.item_id), "
        "coalesce(sum(r.answer), 0), coalesce(sum(r.story), 0), coalesce(sum(r.good), 0) "
        f"FROM rating_items i LEFT JOIN ratings r ON r.item_id = i.id WHERE 1 = 1 {where} "
        "GROUP BY i.arm ORDER BY i.arm",
        params,
    ).fetchall()
    return [
        ArmReport(
            arm=arm,
            made=total - failed,
            failed=failed,
            rated=rated,
            answer=Rate(answer, rated),
            story=Rate(story, rated),
            good=Rate(good, rated),
            seconds=seconds or 0.0,
        )
        for arm, total, failed, seconds, rated, answer, story, good in rows
    ]


def report_text(reports: list[ArmReport]) -> str:
    if not reports:
        return "Nothing has been queued for rating yet."
    lines = []
    for r in sorted(reports, key=lambda r: -r.good_per_min):
        lines.append(
            f"{r.arm}: {r.good_per_min:.2f} good riddles/min ({r.riddles_per_min:.1f} riddles/min × good "
            f"{r.good.share:.0%}); good {r.good.words()}; answer names the story {r.answer.words()}; "
            f"story identifiable {r.story.words()}; {r.rated} rated of {r.made} made, {r.failed} failed"
        )
    return "\n".join(lines)


def export(store: Store, path: Path, batch: str | None = None) -> int:
    """Every item with its arm and marks, as JSONL (or CSV for a .csv path). Returns the row count."""
    where, params = _batch_clause(batch)
    cursor = store.db.execute(
        "SELECT i.id, i.batch, i.arm, i.section, i.title, i.summary, i.options, i.answer_index, i.riddle, "
        "i.answer, i.hints, i.road, i.quality, i.model, i.seconds, i.failure, r.answer AS mark_answer, "
        "r.story AS mark_story, r.good AS mark_good, r.rater, r.rated_at FROM rating_items i "
        f"LEFT JOIN ratings r ON r.item_id = i.id WHERE 1 = 1 {where} ORDER BY i.id",
        params,
    )
    names = [c[0] for c in cursor.description]
    rows: list[dict[str, Any]] = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        import csv

        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=names)
            writer.writeheader()
            writer.writerows(rows)
    else:
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                row["options"], row["hints"] = json.loads(row["options"]), json.loads(row["hints"])
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def latest_batch(store: Store) -> str | None:
    """The rating run queued last (None before any)."""
    row = store.db.execute("SELECT batch FROM rating_items ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def headline(store: Store) -> tuple[str | None, list[ArmReport]]:
    """The latest rating run and its arms' reports (what the Evaluate page leads with)."""
    batch = latest_batch(store)
    return batch, (report(store, batch) if batch else [])


def queued_stories(store: Store, batch: str, arm: str) -> set[str]:
    """The story keys `arm` has already riddled (or failed) in `batch`: a rating run that stopped part
    way continues with the rest instead of riddling, and queueing, a story twice."""
    rows = store.db.execute("SELECT story_key FROM rating_items WHERE batch = ? AND arm = ?", [batch, arm])
    return {r[0] for r in rows}


def batches(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT DISTINCT batch FROM rating_items ORDER BY batch")]


def _count(store: Store, batch: str) -> int:
    return store.db.execute("SELECT count(*) FROM rating_items WHERE batch = ?", [batch]).fetchone()[0]


def _batch_clause(batch: str | None) -> tuple[str, list]:
    return ("AND i.batch = ?", [batch]) if batch else ("", [])

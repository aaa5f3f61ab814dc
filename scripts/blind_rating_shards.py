"""Share a blind rating batch among several raters, then store their marks (how the 2026-12-03 ratings
in docs/evaluation/ were made; docs/evaluation/blind-rating.md has the whole procedure).

    export: every unrated, riddled item of BATCH, in the queue's shuffled order, dealt into N shards,
            never two riddles of one story in one shard (--round-robin: as the first run was dealt).
            A rater sees shard-local labels only (S2-017): never the item id, which runs in arm-sized
            blocks, and never the arm. Each shard is two files: part1 (four headlines, riddle, hints;
            the rater guesses the headline first) and part2 (the reveal: answer, true headline,
            summary). The label -> item map goes to PRIVATE, which raters are told not to open.
    import: each shard's marks file (label, guess, answer, story, good, why) through the product's
            rating API (`engine.evaluate.ratings.mark`), after checking every label is marked once.

    python scripts/blind_rating_shards.py export DB BATCH N OUTDIR PRIVATE [--round-robin]
    python scripts/blind_rating_shards.py import DB N OUTDIR PRIVATE [RATER-PREFIX]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from engine.evaluate import ratings
from engine.store import Store


def deal(store: Store, ids: list[int], shards: int) -> list[list[int]]:
    """Each item, in queue order, to the emptiest shard that has not met its story: a rater who saw
    one arm's riddle of a story would meet the next with its headlines already in mind (in the first
    run, dealt round-robin, 83 of 358 items were a story the rater had already met)."""
    stories = dict(
        store.db.execute(
            f"SELECT id, story_key FROM rating_items WHERE id IN ({','.join('?' * len(ids))})", ids
        )
    )
    dealt: list[list[int]] = [[] for _ in range(shards)]
    met: list[set[str]] = [set() for _ in range(shards)]
    for item_id in ids:
        fresh = [k for k in range(shards) if stories[item_id] not in met[k]] or list(range(shards))
        k = min(fresh, key=lambda n: (len(dealt[n]), n))
        dealt[k].append(item_id)
        met[k].add(stories[item_id])
    return dealt


def export(store: Store, batch: str, shards: int, out: Path, private: Path, spread: bool = True) -> None:
    rows = store.db.execute(
        "SELECT i.id FROM rating_items i LEFT JOIN ratings r ON r.item_id = i.id "
        "WHERE r.item_id IS NULL AND i.failure = '' AND i.batch = ? ORDER BY i.shuffle, i.id",
        [batch],
    ).fetchall()
    dealt = (
        deal(store, [r[0] for r in rows], shards)
        if spread
        else [[r[0] for r in rows][k::shards] for k in range(shards)]
    )
    for k in range(1, shards + 1):
        part1, part2, labels = [], [], {}
        for j, item_id in enumerate(dealt[k - 1], 1):
            label = f"S{k}-{j:03d}"
            labels[label] = item_id
            it = ratings.item(store, item_id)
            hints = [f"Hint {n}: {hint}" for n, hint in enumerate(it.hints, 1)]
            choices = [f"  {chr(65 + n)}. {title}" for n, title in enumerate(it.options)]
            part1.append(
                "\n".join([f"=== {label}", "Which headline is it?", *choices, f"Riddle: {it.riddle}", *hints])
            )
            true_story = f"True story: {chr(65 + it.answer_index)}. {it.title}"
            reveal = [f"=== {label}", f"Answer: {it.answer}", true_story, f"Summary: {it.summary}"]
            part2.append("\n".join([*reveal, f"Riddle (again): {it.riddle}", *hints]))
        (out / f"shard{k}-part1.txt").write_text("\n\n".join(part1) + "\n", encoding="utf-8")
        (out / f"shard{k}-part2.txt").write_text("\n\n".join(part2) + "\n", encoding="utf-8")
        (private / f"shard{k}-map.json").write_text(json.dumps(labels), encoding="utf-8")
        print(f"shard {k}: {len(part1)} items")


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def store_marks(store: Store, shards: int, out: Path, private: Path, rater: str = "rater-") -> None:
    total = 0
    for k in range(1, shards + 1):
        labels = json.loads((private / f"shard{k}-map.json").read_text(encoding="utf-8"))
        marks = _lines(out / f"shard{k}-marks.jsonl")
        guesses = {g["label"]: g["guess"] for g in _lines(out / f"shard{k}-guesses.jsonl")}
        if sorted(m["label"] for m in marks) != sorted(labels):
            raise SystemExit(f"shard {k}: the marks do not cover each label exactly once")
        for m in marks:
            if m["guess"] != guesses[m["label"]]:
                raise SystemExit(f"shard {k}: {m['label']}'s guess changed after the reveal")
            marked = (bool(m["answer"]), bool(m["story"]), bool(m["good"]))
            ratings.mark(store, labels[m["label"]], *marked, rater=f"{rater}{k}")
            total += 1
    print(f"{total} marks stored")


def main(argv: list[str]) -> int:
    if argv[:1] == ["export"] and len(argv) in (6, 7):
        store = Store(Path(argv[1]))
        export(store, argv[2], int(argv[3]), Path(argv[4]), Path(argv[5]), spread="--round-robin" not in argv)
    elif argv[:1] == ["import"] and len(argv) in (5, 6):
        store = Store(Path(argv[1]))
        store_marks(store, int(argv[2]), Path(argv[3]), Path(argv[4]), *argv[5:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

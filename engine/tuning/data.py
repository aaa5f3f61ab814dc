"""Training data: the shipped hand-written riddles, the user's own liked or solved riddles, and
(optionally) distilled ones, checked, deduplicated, kept apart from the held-out set, split into
train and validation, and written as JSONL in the evaluation's "completion" dataset format
(engine.datasets: {"prompt": "News: ….\nRiddle:", "completion": " …\n###"}), which the trainer reads."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.datasets import as_completion, check_file
from engine.paths import resource
from engine.prompts import Example
from engine.riddles import Riddle, RiddleRejected, fold, validate

TRAIN_FILE = resource("riddles", "train.jsonl")
HELDOUT_FILE = resource("riddles", "heldout.jsonl")
SOURCES = ("history", "shipped", "distilled")  # also the priority when two examples tell the same story


@dataclass(frozen=True)
class TrainingExample:
    title: str
    summary: str
    riddle: str
    answer: str
    hints: tuple[str, str]
    difficulty: str
    source: str  # one of SOURCES

    def as_example(self) -> Example:
        return Example(self.title, self.summary, self.riddle, self.answer, self.hints, self.difficulty)

    @property
    def story_key(self) -> str:
        return " ".join(fold(self.title).split())


@dataclass(frozen=True)
class HeldOutItem:
    title: str
    summary: str
    answer: str  # the reference answer: what a riddle about this story should be about


@dataclass(frozen=True)
class TrainingSet:
    train: tuple[TrainingExample, ...]
    validation: tuple[TrainingExample, ...]
    excluded: tuple[tuple[str, str], ...]  # (title, why) — shown to the user before training

    def counts(self) -> dict[str, int]:
        """Examples per source (train + validation), for the summary shown before training."""
        return dict(Counter(e.source for e in (*self.train, *self.validation)))


def from_record(row: dict, source: str = "shipped") -> TrainingExample:
    hints = tuple(str(h) for h in row.get("hints", ()))
    if len(hints) < 2:
        raise ValueError("an example needs two hints")
    return TrainingExample(
        title=str(row["title"]),
        summary=str(row.get("summary", "")),
        riddle=str(row["riddle"]),
        answer=str(row["answer"]),
        hints=(hints[0], hints[1]),
        difficulty=str(row.get("difficulty", "medium")),
        source=str(row.get("source", source)),
    )


def read_jsonl(path: Path, source: str = "shipped") -> list[TrainingExample]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return [from_record(row, source) for row in rows]


def write_jsonl(examples: Iterable[TrainingExample], path: Path) -> Path:
    """The examples in the evaluation's completion format, checked by its schema check."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(as_completion(e.as_example()), ensure_ascii=False) for e in examples]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check_file(path, "completion")
    return path


def shipped_examples() -> list[TrainingExample]:
    return read_jsonl(TRAIN_FILE, "shipped")


def heldout_items(path: Path = HELDOUT_FILE) -> list[HeldOutItem]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [HeldOutItem(r["title"], r.get("summary", ""), r["answer"]) for r in rows]


def rejection(example: TrainingExample) -> str | None:
    """Why an example must not be trained on (the same checks a generated riddle passes), or None."""
    try:
        validate(Riddle(example.riddle, example.answer, example.hints, example.difficulty))
    except RiddleRejected as rejected:
        return rejected.reason
    return None


def assemble(
    sources: Iterable[TrainingExample],
    heldout: Iterable[HeldOutItem] = (),
    validation_percent: int = 10,
) -> TrainingSet:
    """Check, deduplicate (one example per story, and per riddle text, the higher-priority source
    wins), drop anything about a held-out story, and split by a hash of the story, so an example
    stays on the same side of the split however the set grows."""
    heldout_keys = {" ".join(fold(item.title).split()) for item in heldout}
    ordered = sorted(sources, key=lambda e: SOURCES.index(e.source) if e.source in SOURCES else len(SOURCES))
    seen_stories: set[tuple[str, bool]] = set()
    seen_riddles: set[str] = set()
    kept: list[TrainingExample] = []
    excluded: list[tuple[str, str]] = []
    for example in ordered:
        riddle_key = " ".join(fold(example.riddle).split())
        # A teacher's riddle about a story the user or the shipped set already covers is a second,
        # different riddle for it (not a copy): stories are deduplicated within the written examples
        # and within the distilled ones, riddle texts across all of them.
        story = (example.story_key, example.source == "distilled")
        why = rejection(example)
        if why is None and example.story_key in heldout_keys:
            why = "the story is in the held-out set"
        elif why is None and (story in seen_stories or riddle_key in seen_riddles):
            why = "duplicate"
        if why is not None:
            excluded.append((example.title, why))
            continue
        seen_stories.add(story)
        seen_riddles.add(riddle_key)
        kept.append(example)
    validation = [e for e in kept if _bucket(e.story_key) < validation_percent]
    if not validation and len({e.story_key for e in kept}) >= 2 and validation_percent > 0:
        validation = [e for e in kept if e.story_key == kept[-1].story_key]  # a story stays on one side
    train = [e for e in kept if e not in validation]
    return TrainingSet(tuple(train), tuple(validation), tuple(excluded))


def _bucket(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big") % 100

"""Training data: the shipped hand-written riddles, the user's own liked or solved riddles, and
(optionally) distilled ones, checked, deduplicated, kept apart from the held-out set, split into
train and validation, and written as JSONL in the evaluation's "completion" dataset format
(engine.datasets: {"prompt": "News: ….\nRiddle:", "completion": " …\n###"}), which the trainer reads.

The shipped set is the team's news set (resources/riddles/news/<section>.jsonl), written to the
rubric (docs/evaluation/rubric.md), plus those of the older train.jsonl riddles that pass the same
checks (most do not: their answers are not words of the story). The held-out stories are
heldout.jsonl and heldout_news/<section>.jsonl; a story in either is never trained on."""

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
from engine.quality import Story, judge
from engine.riddles import DIFFICULTIES, Riddle, RiddleRejected, fold, validate

TRAIN_FILE = resource("riddles", "train.jsonl")
NEWS_DIR = resource("riddles", "news")
HELDOUT_FILE = resource("riddles", "heldout.jsonl")
HELDOUT_NEWS_DIR = resource("riddles", "heldout_news")
SECTIONS = ("world", "politics", "business", "science", "technology", "health", "sport", "culture")
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
    section: str = ""  # the news section, for the written set

    def as_example(self) -> Example:
        return Example(self.title, self.summary, self.riddle, self.answer, self.hints, self.difficulty)

    @property
    def story_key(self) -> str:
        return " ".join(fold(self.title).split())

    @property
    def summary_key(self) -> str:
        return " ".join(fold(self.summary).split())


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
        section=str(row.get("section", "")),
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


def news_files(folder: Path = NEWS_DIR) -> list[Path]:
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def written_examples(news_dir: Path = NEWS_DIR, older: Path | None = TRAIN_FILE) -> list[TrainingExample]:
    """The team's news set, then the older riddles, as written (unchecked: assemble checks them)."""
    found = [e for path in news_files(news_dir) for e in _read_written(path)]
    return found + (_read_written(older) if older is not None and older.is_file() else [])


def shipped_examples(news_dir: Path = NEWS_DIR, older: Path | None = TRAIN_FILE) -> list[TrainingExample]:
    """The written set that passes the rubric's checks: the news set and, of the older riddles, only
    those that pass too (an answer that is not in its story teaches the model to invent subjects)."""
    return [e for e in written_examples(news_dir, older) if rejection(e) is None]


def _read_written(path: Path) -> list[TrainingExample]:
    """Rows of a written file; a row that cannot be read at all (no hints, no title) is skipped here
    and named by `written_problems`, so one bad line never hides the rest of a file."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line) if line.strip() else None
            if row is not None:
                examples.append(from_record(row, "shipped"))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return examples


def written_problems(news_dir: Path = NEWS_DIR) -> list[tuple[str, str]]:
    """(file:line, why) for every written row the loader leaves out: unreadable, or failing a check."""
    problems = []
    for path in news_files(news_dir):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                row = json.loads(line)
                example = from_record(row, "shipped")
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                problems.append((where, f"unreadable ({exc})"))
                continue
            why = ("exactly two hints are needed" if len(row.get("hints", ())) != 2 else None) or rejection(
                example
            )
            if why:
                problems.append((where, why))
    return problems


def heldout_items(path: Path = HELDOUT_FILE, news_dir: Path | None = HELDOUT_NEWS_DIR) -> list[HeldOutItem]:
    """The held-out stories: the older set, then the held-out news by section."""
    files = [path, *(news_files(news_dir) if news_dir is not None else [])]
    rows = [
        json.loads(line)
        for file in files
        if file.is_file()
        for line in file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [HeldOutItem(r["title"], r.get("summary", ""), r["answer"]) for r in rows]


_MAX_WRITTEN_RIDDLE = 300  # rubric: the written riddle is shorter than a generated one may be
_MAX_HINT = 100


def rejection(example: TrainingExample) -> str | None:
    """Why an example must not be trained on, or None: the checks every generated riddle passes
    (engine.riddles.validate), and for the written set also the app's quality checks against its
    story (engine.quality: the answer is the story's subject, no near leak, no copy of the headline,
    flagged problems included) and the rubric's limits."""
    try:
        validate(Riddle(example.riddle, example.answer, example.hints, example.difficulty))
    except RiddleRejected as rejected:
        return rejected.reason
    return rubric_rejection(example) if example.source == "shipped" else None


def rubric_rejection(example: TrainingExample) -> str | None:
    """The rubric's scriptable rules (docs/evaluation/rubric.md, "What the training set is written
    to"): engine.quality's judgement of the riddle against its story, then the written set's limits."""
    quality = judge(example.answer, example.riddle, example.hints, Story(example.title, example.summary))
    if quality.problems:
        return quality.problems[0]
    if example.section and example.section not in SECTIONS:
        return f'"{example.section}" is not a section'
    if len(example.riddle) > _MAX_WRITTEN_RIDDLE:
        return "the riddle is longer than 300 characters"
    if any(len(hint) > _MAX_HINT for hint in example.hints):
        return "a hint is longer than 100 characters"
    if example.difficulty not in DIFFICULTIES:
        return "the difficulty is not easy, medium or hard"
    return None


def assemble(
    sources: Iterable[TrainingExample],
    heldout: Iterable[HeldOutItem] = (),
    validation_percent: int = 10,
) -> TrainingSet:
    """Check, deduplicate (one example per story, and per riddle text, the higher-priority source
    wins), drop anything about a held-out story, and split by a hash of the story, so an example
    stays on the same side of the split however the set grows."""
    heldout = list(heldout)
    heldout_keys = {" ".join(fold(item.title).split()) for item in heldout}
    heldout_summaries = {" ".join(fold(item.summary).split()) for item in heldout if item.summary.strip()}
    ordered = sorted(sources, key=lambda e: SOURCES.index(e.source) if e.source in SOURCES else len(SOURCES))
    seen_stories: set[tuple[str, bool]] = set()
    seen_riddles: set[str] = set()
    seen_summaries: set[tuple[str, bool]] = set()
    kept: list[TrainingExample] = []
    excluded: list[tuple[str, str]] = []
    for example in ordered:
        riddle_key = " ".join(fold(example.riddle).split())
        # A teacher's riddle about a story the user or the shipped set already covers is a second,
        # different riddle for it (not a copy): stories are deduplicated within the written examples
        # and within the distilled ones, riddle texts across all of them.
        story = (example.story_key, example.source == "distilled")
        # The same story under another headline (two writers, one event): a long summary matches.
        summary = (example.summary_key, example.source == "distilled")
        same_summary = len(example.summary_key.split()) >= 8 and summary in seen_summaries
        why = rejection(example)
        if why is None and (example.story_key in heldout_keys or example.summary_key in heldout_summaries):
            why = "the story is in the held-out set"
        elif why is None and (story in seen_stories or same_summary or riddle_key in seen_riddles):
            why = "duplicate"
        if why is not None:
            excluded.append((example.title, why))
            continue
        seen_stories.add(story)
        seen_summaries.add(summary)
        seen_riddles.add(riddle_key)
        kept.append(example)
    validation = [e for e in kept if _bucket(e.story_key) < validation_percent]
    if not validation and len({e.story_key for e in kept}) >= 2 and validation_percent > 0:
        validation = [e for e in kept if e.story_key == kept[-1].story_key]  # a story stays on one side
    train = [e for e in kept if e not in validation]
    return TrainingSet(tuple(train), tuple(validation), tuple(excluded))


def _bucket(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big") % 100

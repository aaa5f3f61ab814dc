"""Fine-tuning sets from the history: riddles people rated up or solved, plus the few-shot examples,
deduplicated by headline, split train/validation, written as JSONL in two formats with a schema check.

Formats (one JSON object per line; issue 11's trainer reads the same files):
- messages:   {"messages": [{"role": "system", "content": INSTRUCTION},
                            {"role": "user", "content": "News: <headline>. <summary>"},
                            {"role": "assistant", "content": "Answer: …\\nRiddle: …\\nHint 1: …\\nHint 2: …\\nDifficulty: …"}]}
- completion: {"prompt": "News: <headline>. <summary>\\nAnswer:", "completion": " …\\nRiddle: …\\n…\\n###"}
Both carry exactly what the few-shot prompt shows a model, so a tuned model fits the app's parser. The
labels' order is engine.prompts.format_example's; the prompt ends with its first label (PRIMER)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from engine.errors import EngineError
from engine.prompts import INSTRUCTION, PRIMER, SEPARATOR, Example, format_example, load_examples, news_line
from engine.riddles import RiddleRejected, fold, parse_riddle
from engine.store import Store

FORMATS = ("messages", "completion")


class DatasetError(EngineError):
    """An exported file does not match its format."""


@dataclass(frozen=True)
class DatasetExport:
    train: int
    validation: int
    files: tuple[Path, ...]
    from_history: int  # how many examples came from the history (the rest are the few-shot examples)


def liked_examples(store: Store) -> list[Example]:
    """Riddles from the history that a person rated up or solved, best-rated first."""
    rows = store.db.query(
        "SELECT a.title, a.summary, r.text, r.answer, r.hints, r.difficulty FROM riddles r "
        "JOIN articles a ON a.id = r.article_id WHERE r.rating > 0 OR r.status = 'solved' "
        "ORDER BY r.rating DESC, r.id"
    )
    examples = []
    for r in rows:
        hints = tuple(json.loads(r["hints"] or "[]"))
        if len(hints) >= 2:
            examples.append(
                Example(
                    r["title"],
                    r["summary"] or "",
                    r["text"],
                    r["answer"],
                    hints[:2],
                    r["difficulty"] or "medium",
                )
            )
    return examples


def split(
    examples: list[Example], validation: float = 0.1, seed: int = 0
) -> tuple[list[Example], list[Example]]:
    """Deduplicate by headline (first wins), then a stable seeded split: adding examples later does not
    move old ones between the sets. At least one validation example once there are two."""
    unique = list({fold(e.title).strip(): e for e in reversed(examples)}.values())[::-1]
    ranked = sorted(unique, key=lambda e: hashlib.sha256(f"{seed}:{fold(e.title)}".encode()).hexdigest())
    count = round(len(ranked) * validation)
    if len(ranked) >= 2 and validation > 0:
        count = max(1, count)
    held = {id(e) for e in ranked[:count]}
    return [e for e in unique if id(e) not in held], [e for e in unique if id(e) in held]


def as_messages(example: Example) -> dict:
    prompt, completion = _halves(example)
    answer = (PRIMER + completion).removesuffix(f"\n{SEPARATOR}").strip()
    return {
        "messages": [
            {"role": "system", "content": INSTRUCTION},
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": answer},
        ]
    }


def as_completion(example: Example) -> dict:
    prompt, completion = _halves(example)
    return {"prompt": f"{prompt}\n{PRIMER}", "completion": completion}


def _halves(example: Example) -> tuple[str, str]:
    """The few-shot example text, cut where the model starts writing."""
    text = format_example(example).rstrip("\n")
    prompt = news_line(example.title, example.summary)
    return prompt, text[len(prompt) + 1 + len(PRIMER) :]


def export(
    store: Store, folder: Path, *, validation: float = 0.1, seed: int = 0, include_examples: bool = True
) -> DatasetExport:
    history = liked_examples(store)
    train, held = split(history + (load_examples() if include_examples else []), validation, seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, rows in (("train", train), ("validation", held)):
        for fmt, shape in (("messages", as_messages), ("completion", as_completion)):
            path = folder / f"{name}-{fmt}.jsonl"
            _write_atomically(path, [shape(e) for e in rows])
            check_file(path, fmt)
            files.append(path)
    return DatasetExport(len(train), len(held), tuple(files), len({fold(e.title) for e in history}))


def check_file(path: Path, fmt: str) -> int:
    """Raise DatasetError naming the first bad line; return the number of lines checked."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as problem:
        raise DatasetError(f"The file {path} cannot be read ({problem}).") from None
    for number, line in enumerate(lines, start=1):
        try:
            check_record(json.loads(line), fmt)
        except (ValueError, KeyError, TypeError, RiddleRejected) as problem:
            raise DatasetError(
                f"Line {number} of {path.name} is not a valid {fmt} record ({problem})."
            ) from None
    return len(lines)


def check_record(record: dict, fmt: str) -> None:
    if fmt == "messages":
        messages = record["messages"]
        roles = [m["role"] for m in messages]
        if roles != ["system", "user", "assistant"]:
            raise ValueError(f"roles are {roles}, expected system, user, assistant")
        if not all(isinstance(m["content"], str) and m["content"].strip() for m in messages):
            raise ValueError("a message is empty")
        if set(record) != {"messages"}:
            raise ValueError("unexpected keys")
        parse_riddle(messages[2]["content"])
    elif fmt == "completion":
        if set(record) != {"prompt", "completion"} or not all(isinstance(v, str) for v in record.values()):
            raise ValueError("expected exactly the string keys prompt and completion")
        if not record["prompt"].startswith("News: ") or not record["prompt"].endswith(PRIMER):
            raise ValueError(f"the prompt must be a news line ending in '{PRIMER}'")
        parse_riddle(PRIMER + record["completion"])
    else:
        raise ValueError(f"unknown format {fmt}")


def _write_atomically(path: Path, records: list[dict]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    os.replace(partial, path)

"""The Riddle: model output parsed, validated and frozen. Nothing that fails here is ever stored."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.quality import MAX_ANSWER_WORDS, Quality, Story, fold, judge, key_words, near_leak, word_key

DIFFICULTIES = ("easy", "medium", "hard")
MAX_RIDDLE_CHARS = 400

_LEADING_LABEL = re.compile(r"(riddle|answer|hint\s*\d?|difficulty)\s*[:：]", re.IGNORECASE)
_LABEL = re.compile(r"^\s*(riddle|answer|hint\s*1|hint\s*2|hint|difficulty)\s*[:：]\s*(.*)$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LAST_WORD = re.compile(r"[^\W_]+$", re.UNICODE)
_LONGEST_SUFFIX = 3  # an unfinished word this close to a key word is on its way to a form of it

# The older riddle-first labelled format as a GBNF grammar, for completions that follow "Riddle:".
# Measured against parse-and-retry on the starter model (BENCHMARKS.md, "Inference engine"); neither
# reached 95% valid, and guided generation (engine.guided, answer first) replaced both for local
# models. Kept for bench.inference's baseline rows only.
LABELLED_GRAMMAR = r"""
root ::= " " line "\nAnswer: " short "\nHint 1: " line "\nHint 2: " line "\nDifficulty: " level
line ::= [^\n#]+
short ::= [^\n#]+
level ::= "easy" | "medium" | "hard"
"""


@dataclass(frozen=True)
class Riddle:
    text: str
    answer: str
    hints: tuple[str, ...] = ()
    difficulty: str = "medium"


class RiddleRejected(ValueError):
    """Model output that is not a usable riddle. `reason` is a short phrase for logs and retries."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parse_riddle(output: str, *, require_hints: bool = True) -> Riddle:
    """Read the labelled format the prompts ask for:
        Riddle: ... / Answer: ... / Hint 1: ... / Hint 2: ... / Difficulty: easy|medium|hard
    Unknown lines are ignored; a label may appear once. Raises RiddleRejected."""
    riddle = read_riddle(output)
    validate(riddle, require_hints=require_hints)
    return riddle


def read_riddle(output: str) -> Riddle:
    """The labelled fields as they are, unvalidated (the evaluator measures what validation rejects)."""
    fields: dict[str, str] = {}
    hints: list[str] = []
    for line in _CONTROL.sub(" ", output[:4000]).splitlines():
        match = _LABEL.match(line)
        if not match:
            continue
        label = match.group(1).lower().replace(" ", "")
        value = " ".join(match.group(2).split())
        if label.startswith("hint"):
            if value:
                hints.append(value)
        elif label not in fields:
            fields[label] = value
    riddle = Riddle(
        text=fields.get("riddle", ""),
        answer=fields.get("answer", "").rstrip(".").strip(),
        hints=tuple(hints[:2]),
        difficulty=_difficulty(fields.get("difficulty", "")),
    )
    return riddle


def validate(riddle: Riddle, *, require_hints: bool = True) -> None:
    if not riddle.text:
        raise RiddleRejected("no riddle text")
    if not riddle.answer:
        raise RiddleRejected("no answer")
    if len(riddle.text) > MAX_RIDDLE_CHARS:
        raise RiddleRejected("riddle too long")
    if len(riddle.answer.split()) > MAX_ANSWER_WORDS:
        raise RiddleRejected("answer too long")
    if require_hints and len(riddle.hints) < 2:
        raise RiddleRejected("fewer than two hints")
    if leaks(riddle.answer, riddle.text):
        raise RiddleRejected("answer leaked into the riddle")
    if any(leaks(riddle.answer, hint) for hint in riddle.hints):
        raise RiddleRejected("answer leaked into a hint")


def leaks(answer: str, text: str) -> bool:
    """True when the answer, or a form of one of its key words or a word sharing a long stem with one
    ("volcano" for "volcanologists": engine.quality's word keys), is in text."""
    norm_answer, norm_text = fold(answer), fold(text)
    if norm_answer and norm_answer in norm_text:
        return True
    return near_leak(answer, text)


def may_leak(answer: str, text: str) -> bool:
    """For text still being written (guided generation, engine.guided): True when it leaks already, or
    when its last, unfinished word is on its way to one of the answer's key words or their forms
    (so the next token must go elsewhere). Read as validation reads a field, so no text that passes
    here fails `leaks` once finished."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    if leaks(answer, text):
        return True
    unfinished = _LAST_WORD.search(fold(text))
    if unfinished is None:
        return False
    word = unfinished.group()
    # "lanter" may still become "lantern" or "lanterns": refused once the key is whole.
    return any(
        word.startswith(key) and len(word) - len(key) <= _LONGEST_SUFFIX
        for key in {word_key(w) for w in key_words(answer)}
    )


def check_riddle(primer: str, text: str, story: Story | None = None) -> tuple[Riddle, Quality]:
    """Every check a finished attempt gets, in the worker's batch loop and in parse-and-retry alike:
    the labelled format and validation, then (given its story) the quality checks. Returns the riddle,
    parsed once, and its quality (flags only); raises RiddleRejected (a ValueError) to refuse it."""
    riddle = parse_riddle(labelled(primer, text))
    if story is None:
        return riddle, Quality()
    quality = judge(riddle.answer, riddle.text, riddle.hints, story)
    if quality.refused:
        raise RiddleRejected(", ".join(quality.refused))
    return riddle, quality


def labelled(primer: str, text: str) -> str:
    """The completion read as if it followed the prompt's last label ("Answer:"), unless the model
    wrote a label itself (a chat reply usually does). Unlabelled text followed by a line with the
    primer's own label is a reply in the older riddle-first order: its first line is the riddle."""
    stripped = text.lstrip()
    if not primer or stripped.lower().startswith(primer.lower()) or _LEADING_LABEL.match(stripped):
        return stripped
    own_label = re.compile(
        r"^\s*" + re.escape(primer.rstrip(":：")) + r"\s*[:：]", re.IGNORECASE | re.MULTILINE
    )
    if primer.lower() != "riddle:" and own_label.search(stripped):
        return "Riddle: " + stripped
    return primer + text


def _difficulty(value: str) -> str:
    value = value.strip().lower().rstrip(".")
    return value if value in DIFFICULTIES else "medium"


@dataclass(frozen=True)
class Provenance:
    """Where a riddle came from: enough to compare models and pipelines later."""

    model_file: str
    model_sha256: str
    size_tier: str
    pipeline: str  # "few-shot" | "zero-shot" | "service"
    sampling: str  # JSON of the Sampling used
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    first_token_s: float
    tokens_per_s: float
    created_at: str  # ISO 8601 UTC
    attempts: int = 1
    kernels: str = ""  # which llama.cpp kernels ran it (engine.inference.backends); "" for a service
    adapter: str = ""  # the LoRA adapter file applied to the model; "" for none
    road: str = ""  # how it was made: "guided" (the worker's loop) or "parse-and-retry"
    quality: str = ""  # the quality checks' flags, comma-separated ("" for none), engine.quality


@dataclass(frozen=True)
class StoredRiddle:
    """A riddle as the reader sees it: the riddle, its article, where it came from, and play state."""

    id: int
    riddle: Riddle
    article: object  # engine.articles.Article (kept loose to avoid an import cycle)
    provenance: Provenance
    status: str = "new"  # new | solved | revealed | skipped
    favourite: bool = False
    rating: int = 0  # -1, 0, +1

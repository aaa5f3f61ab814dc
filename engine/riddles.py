"""The Riddle: model output parsed, validated and frozen. Nothing that fails here is ever stored."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DIFFICULTIES = ("easy", "medium", "hard")
MAX_RIDDLE_CHARS = 400
MAX_ANSWER_WORDS = 6

# Words too common to give an answer away on their own.
_STOPWORDS = frozenset(
    "the a an of and or in on at to for with from by new its it is are was were this that these those "
    "into over under after before about more most than then them they their there what which who whom "
    "whose have has had been being will would could should".split()
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LABEL = re.compile(r"^\s*(riddle|answer|hint\s*1|hint\s*2|hint|difficulty)\s*[:：]\s*(.*)$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LAST_WORD = re.compile(r"[^\W_]+$", re.UNICODE)
_LONGEST_SUFFIX = 3  # "ing", the longest ending _stem takes off

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
    """True when the answer, or any of its key words (or their simple inflections), is in text."""
    norm_answer, norm_text = fold(answer), fold(text)
    if norm_answer and norm_answer in norm_text:
        return True
    text_stems = {_stem(w) for w in _WORD.findall(norm_text)}
    return any(_stem(w) in text_stems for w in key_words(answer))


def may_leak(answer: str, text: str) -> bool:
    """For text still being written (guided generation, engine.guided): True when it leaks already, or
    when its last, unfinished word is on its way to one of the answer's key words or their inflections
    (so the next token must go elsewhere). Read as validation reads a field, so no text that passes
    here fails `leaks` once finished."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    if leaks(answer, text):
        return True
    unfinished = _LAST_WORD.search(fold(text))
    if unfinished is None:
        return False
    word = unfinished.group()
    for stem in {_stem(w) for w in key_words(answer)}:
        for start in (stem, stem[:-1] + "ie" if stem.endswith("y") else ""):
            # "lanter" may still become "lantern" or "lanterns": refused once the stem is whole.
            if start and word.startswith(start) and len(word) - len(start) <= _LONGEST_SUFFIX:
                return True
    return False


def key_words(answer: str) -> list[str]:
    """The answer's words that would give it away: not stopwords, at least 3 letters."""
    return [w for w in _WORD.findall(fold(answer)) if len(w) >= 3 and w not in _STOPWORDS]


def fold(text: str) -> str:
    """Case- and accent-insensitive form for comparisons."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    # A silent final "e" and the f/v of wolf/wolves, knife/knives, life/lives: so "horse" and
    # "horses", "tree" and "trees", "wolf" and "wolves" read as one word ("horse" -> "hors" either way).
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word[:-1] + "f" if len(word) > 2 and word.endswith("v") else word


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

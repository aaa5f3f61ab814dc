"""Per-riddle measures, on plain values: what the model wrote and the article it wrote about.
No model is needed here, so every measure is tested on hand-made cases."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.riddles import Riddle, RiddleRejected, key_words, leaks, read_riddle, validate

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class RiddleMeasures:
    valid: bool  # parses into riddle + answer + two hints and passes the app's checks
    reason: str  # why not valid ("" when valid)
    leaked: bool  # the answer or one of its key words is in the riddle or a hint
    grounding: float  # share of the answer's key words found in the article (0..1)
    grounded: bool  # the answer is supported by the article text
    chars: int
    words: int
    readability: float  # Flesch reading ease of the riddle text (higher is easier; ~60-70 is plain)


def measure(riddle: Riddle, article_text: str) -> RiddleMeasures:
    try:
        validate(riddle)
        valid, reason = True, ""
    except RiddleRejected as rejected:
        valid, reason = False, rejected.reason
    leaked = bool(riddle.answer) and (
        leaks(riddle.answer, riddle.text) or any(leaks(riddle.answer, hint) for hint in riddle.hints)
    )
    share = grounding(riddle.answer, article_text)
    return RiddleMeasures(
        valid=valid,
        reason=reason,
        leaked=leaked,
        grounding=share,
        grounded=share >= 0.5,
        chars=len(riddle.text),
        words=len(_WORD.findall(riddle.text)),
        readability=reading_ease(riddle.text),
    )


def measure_output(primer_and_output: str, article_text: str) -> tuple[Riddle, RiddleMeasures]:
    riddle = read_riddle(primer_and_output)
    return riddle, measure(riddle, article_text)


def grounding(answer: str, article_text: str) -> float:
    """How much of the answer the article supports: each key word (or the whole answer, when it has
    none) counts if it, or a simple inflection of it, appears in the article."""
    words = key_words(answer)
    if not words:
        return 1.0 if answer.strip() and leaks(answer, article_text) else 0.0
    return sum(leaks(word, article_text) for word in words) / len(words)


def reading_ease(text: str) -> float:
    """Flesch reading ease with a vowel-group syllable count: rough, but the same ruler for everyone."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len([s for s in _SENTENCE_END.split(text) if s.strip()]))
    syllables = sum(_syllables(w) for w in words)
    score = 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (syllables / len(words))
    return round(max(-50.0, min(121.0, score)), 1)


def _syllables(word: str) -> int:
    word = word.lower()
    count = len(_VOWEL_GROUP.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)

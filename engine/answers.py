"""Tolerant answer matching: a guess counts when it names the answer, whatever its case, accents,
leading article, punctuation or a small typo. A guess that names part of the answer is "close"."""

from __future__ import annotations

import re
from enum import Enum

from engine.riddles import fold, key_words

# Leading articles a person may add or drop ("the Moon" = "moon"). Only the first word is ever
# removed. German ones are left out: "die" and "das" are English words too ("Die Hard").
_ARTICLES = frozenset("the a an le la les l un une el los las".split())
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
MAX_GUESS_CHARS = 200


class Verdict(Enum):
    RIGHT = "right"
    CLOSE = "close"  # names a key word of the answer, but not all of it
    WRONG = "wrong"


def normalise(text: str) -> str:
    """Folded, punctuation as spaces, one leading article dropped: the form two answers are compared in."""
    words = _NON_WORD.sub(" ", fold(text.replace("&", " and "))).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


def judge(guess: str, answer: str) -> Verdict:
    guess_form, answer_form = normalise(guess[:MAX_GUESS_CHARS]), normalise(answer)
    if not guess_form or not answer_form:
        return Verdict.WRONG
    if _near(guess_form, answer_form) or _near(guess_form.replace(" ", ""), answer_form.replace(" ", "")):
        return Verdict.RIGHT
    guess_words = guess_form.split()
    if any(_near(word, key) for key in key_words(answer) for word in guess_words):
        return Verdict.CLOSE
    return Verdict.WRONG


def allowed_typos(length: int) -> int:
    """Short answers must be exact; a typo in a long one is still a solve."""
    if length <= 3:
        return 0
    return 1 if length <= 7 else 2


def _near(guess: str, answer: str) -> bool:
    limit = allowed_typos(len(answer))
    if abs(len(guess) - len(answer)) > limit:
        return False
    return edit_distance(guess, answer, limit) <= limit


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap two neighbours), giving up
    with limit + 1 as soon as every path costs more than limit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)

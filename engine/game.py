"""The daily game's rules: what a solve is worth, the day's score and streak, the multiple choice.

Free text is worth more than picking a headline; each hint taken costs a point; a solve is always
worth at least one. The streak counts solves in a row and ends at a reveal or a skip."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

MODES = ("text", "choice")
_BASE_POINTS = {"text": 3, "choice": 1}
CHOICES = 4


@dataclass(frozen=True)
class Play:
    """How a riddle was played, beyond its status: kept with the riddle in the history."""

    mode: str = ""  # "text" | "choice" once solved
    hints_used: int = 0
    wrong_guesses: int = 0
    points: int = 0
    played_at: str = ""  # ISO 8601 UTC of the solve, reveal or skip
    comment: str = ""  # the reader's words with a thumbs up or down


@dataclass(frozen=True)
class Outcome:
    """One finished riddle of the day, in the order it was played."""

    status: str  # solved | revealed | skipped
    points: int
    played_at: str


@dataclass(frozen=True)
class DayScore:
    points: int = 0
    solved: int = 0
    revealed: int = 0
    skipped: int = 0
    streak: int = 0  # solves in a row up to now
    best_streak: int = 0


def points_for(mode: str, hints_used: int) -> int:
    if mode not in _BASE_POINTS:
        raise ValueError(f"unknown mode {mode!r}")
    return max(1, _BASE_POINTS[mode] - hints_used)


def day_score(outcomes: Sequence[Outcome]) -> DayScore:
    ordered = sorted(outcomes, key=lambda o: o.played_at)
    streak = best = 0
    for outcome in ordered:
        streak = streak + 1 if outcome.status == "solved" else 0
        best = max(best, streak)
    return DayScore(
        points=sum(o.points for o in ordered),
        solved=sum(o.status == "solved" for o in ordered),
        revealed=sum(o.status == "revealed" for o in ordered),
        skipped=sum(o.status == "skipped" for o in ordered),
        streak=streak,
        best_streak=best,
    )


def arrange_choices(headline: str, others: Sequence[str], seed: int) -> tuple[str, ...]:
    """The right headline among up to three others, in an order fixed by the seed (the riddle id),
    so the buttons do not move when the reader comes back to a riddle."""
    rng = random.Random(seed)
    distinct = list(dict.fromkeys(o for o in others if o and o != headline))
    picked = rng.sample(distinct, min(CHOICES - 1, len(distinct)))
    options = [headline, *picked]
    rng.shuffle(options)
    return tuple(options)

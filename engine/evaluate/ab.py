"""A/B: two candidates on the same frozen articles. The difference in solvability comes with a paired
bootstrap interval (articles resampled with replacement, seeded), which says whether the difference
could be luck of the draw on so few articles."""

from __future__ import annotations

import random
from dataclasses import dataclass

from engine.evaluate.runs import CandidateRecord


@dataclass(frozen=True)
class ABResult:
    base: str
    tuned: str
    articles: int
    base_solvability: float
    tuned_solvability: float
    difference: float  # tuned - base
    low: float  # bootstrap interval on the difference
    high: float
    level: float  # e.g. 0.95

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0

    def sentence(self) -> str:
        verdict = (
            "a real difference at this level"
            if self.significant
            else "not distinguishable from luck on this many articles"
        )
        return (
            f"{self.tuned} solved {self.tuned_solvability:.0%} against {self.base}'s "
            f"{self.base_solvability:.0%} over {self.articles} articles: a difference of "
            f"{self.difference:+.0%} ({self.level:.0%} interval {self.low:+.0%} to {self.high:+.0%}), "
            f"{verdict}."
        )


def compare(
    base: CandidateRecord,
    tuned: CandidateRecord,
    *,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> ABResult:
    a = {r.position: float(bool(r.solved)) for r in base.rows}
    b = {r.position: float(bool(r.solved)) for r in tuned.rows}
    shared = sorted(a.keys() & b.keys())
    if not shared:
        raise ValueError("the two candidates share no articles")
    diffs = [b[p] - a[p] for p in shared]
    low, high = bootstrap_interval(diffs, resamples=resamples, level=level, seed=seed)
    n = len(shared)
    return ABResult(
        base=base.model_file,
        tuned=tuned.model_file,
        articles=n,
        base_solvability=sum(a[p] for p in shared) / n,
        tuned_solvability=sum(b[p] for p in shared) / n,
        difference=sum(diffs) / n,
        low=low,
        high=high,
        level=level,
    )


def bootstrap_interval(
    values: list[float], *, resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of the mean of `values` under resampling with replacement."""
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    tail = (1 - level) / 2
    return means[int(tail * (resamples - 1))], means[int((1 - tail) * (resamples - 1))]

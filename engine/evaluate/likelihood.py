"""A solver that is not noise: each of the four same-day headlines is scored by the model's
log-likelihood of the headline given the riddle and its hints, averaged per headline token (as
lm-evaluation-harness normalises multiple choice), and the best-scoring headline is the pick.

No digit to choose and no option order, so no position bias to rotate away. The scoring runs inside
the worker next to the loaded model (engine.inference.headline_scores, which best of N asks too).

__all__ keeps solver_context importable from here, where the solver's readers look for it."""

from __future__ import annotations

import math
import random
from pathlib import Path

from engine.evaluate.articleset import FrozenArticle
from engine.inference.headline_scores import solver_context
from engine.inference.local import LocalModel, LocalSettings
from engine.progress import CancelToken

_TARGET = "engine.inference.headline_scores:run"
# Its ceiling: the share of riddles people wrote (resources/riddles) for which it picks the right one
# of four headlines, on the bundled starter (bench/solver_ceiling.py; BENCHMARKS.md). At or below
# CHANCE_BAND the solver is too weak to tell riddles apart, and its number is not shown.
# 2026-12-03, Gemma 3 270M Q4_K_M, 40 riddles drawn with seed 7: 23 right, 57% (95% CI 42-71%).
CEILING: float | None = 0.57
CHANCE_BAND = 0.35
__all__ = ["CEILING", "CHANCE_BAND", "LikelihoodSolver", "pick", "solver_context", "too_weak"]


def too_weak(ceiling: float | None = None) -> bool:
    ceiling = CEILING if ceiling is None else ceiling
    return ceiling is not None and ceiling <= CHANCE_BAND


def pick(scores: list[float | None], rng: random.Random) -> int:
    """The best mean log-likelihood; ties (or nothing scored) go to the seeded coin."""
    known = [s if s is not None else -math.inf for s in scores]
    best = max(known)
    tied = [i for i, s in enumerate(known) if best - s < 1e-9]
    return tied[0] if len(tied) == 1 else rng.choice(tied)


class LikelihoodSolver:
    """Asks one local model, kept loaded for the whole run (its own worker process)."""

    def __init__(self, path: Path | str, settings: LocalSettings | None = None):
        self.model = LocalModel(path, settings or LocalSettings(idle_unload_s=None))

    @property
    def path(self) -> Path:
        return self.model.path

    def scores(
        self,
        riddle: str,
        hints: tuple[str, ...],
        headlines: tuple[str, ...],
        cancel: CancelToken | None = None,
    ) -> list[float | None]:
        done = self.model.call(
            _TARGET,
            {"context": solver_context(riddle, hints), "continuations": [f" {h.strip()}" for h in headlines]},
            cancel=cancel,
        )
        return list(done["scores"])

    def choose(
        self,
        riddle: str,
        article: FrozenArticle,
        seed: int,
        cancel: CancelToken | None = None,
        hints: tuple[str, ...] = (),
    ) -> int:
        """The index (into article.options) of the headline the model finds likeliest."""
        scores = self.scores(riddle, hints, article.options, cancel)
        return pick(scores, random.Random(seed * 7919 + article.position))

    def close(self) -> None:
        self.model.close()

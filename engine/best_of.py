"""Best of N: several riddles per story in the same batch, and the one the judge ranks first is kept.

Each story becomes N jobs of the worker's batch loop (engine.inference.batch), so the few-shot prefix
is decoded once and shared by every sequence; copy k draws with its own seeds and retries as the
one-by-one Riddler would. When the batch is done, each story's accepted candidates are ranked:

1. the quality checks: a candidate they flag (a copy of the headline, engine.quality), or whose
   riddle and hints together repeat three of the headline's content words, comes after every other;
2. the judge's solver (the likelihood solver's scoring, engine.inference.headline_scores): the mean
   log-likelihood per token of the story's own headline after the riddle and its hints, minus the best
   of up to three other headlines of the same batch. That is the margin by which the solver would
   pick the right story: a riddle that points to its story ranks first.

The kept riddle says how it was made in its provenance ("guided, best of 4"). Best of N runs on the
batched road of a local model only; elsewhere one riddle per story is made, and that is said. A cancel
stops the batch before anything is ranked, so nothing of it is stored. What N = 2 and 4 cost and buy:
BENCHMARKS.md, "Best of N".
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from engine.errors import GenerationError
from engine.inference.headline_scores import solver_context
from engine.quality import FLAGGED, copies_headline
from engine.riddles import Provenance, Riddle
from engine.riddling import BATCH_TARGET, CHECK_TARGET, Job, cancel_skipped

if TYPE_CHECKING:
    from collections.abc import Callable, Container

    from engine.articles import Article
    from engine.inference.local import LocalModel
    from engine.progress import CancelToken
    from engine.riddling import Riddler

SCORE_TARGET = "engine.inference.headline_scores:run"
OTHER_HEADLINES = 3  # the solver's choice is one of four headlines, as the blind raters' is


@dataclass(frozen=True)
class Candidate:
    """One accepted riddle of a story, and what the judge makes of it."""

    riddle: Riddle
    provenance: Provenance
    flagged: bool  # a headline copy (last_in_line): kept only when every candidate is one
    margin: float = -math.inf  # the solver's: own headline minus the best other (mean log-likelihood)

    @property
    def rank(self) -> tuple[bool, float]:
        return (self.flagged, -self.margin)


def last_in_line(riddle: Riddle, job: Job, provenance: Provenance) -> bool:
    """Whether the judge puts a candidate last: the checks flag it, or its riddle and hints together
    repeat three of the headline's content words. The stored flag looks at the hints alone for a run
    of four (the team's written hints often name a place, and 500 of them would fail), but the blind
    raters count riddle and hints together: on the 1,608 rated riddles, that reading flags 203 of
    the 484 they marked "not identifiable" (the stored flag: 117), and 21 of the 1,124 marked
    identifiable (the stored flag: 6)."""
    flagged = any(flag in FLAGGED for flag in provenance.quality.split(", ") if flag)
    said = " ".join((riddle.text, *riddle.hints))
    return flagged or copies_headline(said, job.article.title, riddle.answer)


def copies(job: Job, n: int) -> list[Job]:
    """N jobs for one story. Copy k's seeds start k * attempts on, so no two attempts share a seed,
    and copy 0 is the job itself (best of 1 is the plain road, seed for seed)."""
    step = len(job.attempts)
    return [replace(job, attempts=[s.with_seed(s.seed + k * step) for s in job.attempts]) for k in range(n)]


def other_headlines(article: Article, headlines: list[str], count: int = OTHER_HEADLINES) -> list[str]:
    """Up to `count` other headlines of the batch, drawn with the story as the seed (reproducible)."""
    pool = sorted({h for h in headlines if h.strip() and h != article.title})
    return random.Random(article.key).sample(pool, min(count, len(pool)))


def margin(scores: list[float | None]) -> float:
    """The own headline's score (first) minus the best other's; with no others, the own score."""
    own, others = scores[0], [s for s in scores[1:] if s is not None]
    if own is None:
        return -math.inf
    return own - max(others) if others else own


def best(candidates: list[Candidate]) -> Candidate:
    """Clean before flagged, then the widest solver margin; ties keep the earlier copy."""
    return min(candidates, key=lambda c: c.rank)


def judged(
    model: LocalModel, candidate: Candidate, title: str, others: list[str], cancel: CancelToken | None
) -> Candidate:
    riddle = candidate.riddle
    request = {
        "context": solver_context(riddle.text, riddle.hints),
        "continuations": [f" {h.strip()}" for h in [title, *others]],
    }
    done = model.call(SCORE_TARGET, request, cancel=cancel)
    return replace(candidate, margin=margin(list(done["scores"])))


@dataclass
class CandidatePool:
    """The worker's events for N copies of each story: candidates are collected, not stored."""

    model: LocalModel
    riddler: Riddler
    say: Callable[[str], None]  # progress, in words
    jobs: list[Job]  # story i's copies are jobs i*n … i*n+n-1
    n: int
    skips: Container[Article] | None  # articles taken out while the batch runs
    found: dict[int, list[Candidate]] = field(default_factory=dict)  # story -> accepted, as they came
    ranked: dict[int, list[Candidate]] = field(default_factory=dict)  # story -> judged, once all came
    problems: dict[int, str] = field(default_factory=dict)
    written: int = 0  # copies finished (accepted, given up or cancelled)
    _skipped: set[int] = field(default_factory=set)

    def handle(self, event: dict[str, Any]) -> None:
        if event.get("event") == "batch":
            stories = len(self.jobs) // self.n
            self.say(
                f"Riddling {stories} stories {self.n} ways each, {event['width']} at a time ({event['why']})…"
            )
        elif event.get("event") == "finished" and (event["accepted"] or not event["retry"]):
            self._finished(event)
        cancel_skipped(self.model, str(event.get("id")), self.jobs, self.skips, self._skipped)

    def _finished(self, event: dict[str, Any]) -> None:
        story, job = event["job"] // self.n, self.jobs[event["job"]]
        self.written += 1
        self.say(f"Written {self.written} of {len(self.jobs)} candidates; the best are kept at the end…")
        if event["finish_reason"] == "cancelled":
            return
        try:
            riddle, provenance = self.riddler.outcome(job, event)
        except GenerationError as error:
            self.problems[story] = error.sentence
            return
        self.found.setdefault(story, []).append(
            Candidate(riddle, provenance, last_in_line(riddle, job, provenance))
        )


def write_candidates(
    model: LocalModel,
    riddler: Riddler,
    jobs: list[Job],
    n: int,
    say: Callable[[str], None],
    cancel: CancelToken | None = None,
    width: int | None = None,
    skips: Container[Article] | None = None,
) -> CandidatePool | None:
    """Every story of the jobs riddled N ways in one batch; None when the model cannot batch."""
    every = [copy for job in jobs for copy in copies(job, n)]
    pool = CandidatePool(model, riddler, say, every, n, skips)
    request = {"jobs": [job.request() for job in every], "check": CHECK_TARGET, "width": width}
    done = model.call(BATCH_TARGET, request, pool.handle, cancel)
    return None if done.get("finish_reason") == "unbatchable" else pool


def choose(
    model: LocalModel,
    pool: CandidatePool,
    story: int,
    headlines: list[str],
    cancel: CancelToken | None = None,
) -> Candidate:
    """The judge's pick among a story's candidates (it has at least one), its provenance saying so;
    every candidate as judged is kept in pool.ranked."""
    article, found = pool.jobs[story * pool.n].article, pool.found[story]
    others = other_headlines(article, headlines)
    # One candidate needs no judge (about 0.45 s of scoring saved, inferred from wall times).
    alone = len(found) == 1
    pool.ranked[story] = found if alone else [judged(model, c, article.title, others, cancel) for c in found]
    kept = best(pool.ranked[story])
    return replace(
        kept, provenance=replace(kept.provenance, road=f"{kept.provenance.road}, best of {pool.n}")
    )

"""Per-candidate figures from a stored run, and the recommendation sentence."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from engine.evaluate.runs import (
    CandidateRecord,
    HumanSignal,
    RunRecord,
    human_signal,
    latest_run_id,
    load_run,
)
from engine.evaluate.solver import CHANCE
from engine.store import Store


@dataclass(frozen=True)
class CandidateSummary:
    label: str
    model_file: str
    pipeline: str
    riddles: int  # articles measured
    validity: float  # share of first-try outputs that are usable riddles
    leakage: float  # share of outputs that give the answer away
    grounding: float  # share of valid riddles whose answer the article supports
    solvability: (
        float  # share of articles whose riddle the solver traced to its headline (invalid: not solved)
    )
    chance: float
    mean_chars: float
    readability: float  # mean Flesch reading ease of valid riddles
    load_s: float | None
    first_token_s: float  # median
    tokens_per_s: float  # median
    riddles_per_min: float  # valid riddles per minute of generation
    peak_rss_mb: float | None
    vram_mb: float | None
    file_mb: float
    human_solve_rate: float | None = None
    thumbs_up: int = 0
    thumbs_down: int = 0


def summarize(
    record: RunRecord, human: dict[tuple[str, str], HumanSignal] | None = None
) -> list[CandidateSummary]:
    return [_summary(c, (human or {}).get((c.model_file, c.pipeline))) for c in record.candidates if c.rows]


def _summary(c: CandidateRecord, signal: HumanSignal | None) -> CandidateSummary:
    rows = c.rows
    valid = [r for r in rows if r.valid]
    generation_s = sum(r.generation_s for r in rows)
    timed = [r for r in rows if r.completion_tokens]
    return CandidateSummary(
        label=f"{Path(c.model_file).stem} · {c.pipeline}",
        model_file=c.model_file,
        pipeline=c.pipeline,
        riddles=len(rows),
        validity=len(valid) / len(rows),
        leakage=sum(r.leaked for r in rows) / len(rows),
        grounding=_share(r.grounded for r in valid),
        solvability=sum(bool(r.solved) for r in rows) / len(rows),
        chance=CHANCE,
        mean_chars=_mean(r.chars for r in valid),
        readability=_mean(r.readability for r in valid),
        load_s=c.load_s,
        first_token_s=_median(r.first_token_s for r in timed),
        tokens_per_s=_median(r.tokens_per_s for r in timed),
        riddles_per_min=60 * len(valid) / generation_s if generation_s else 0.0,
        peak_rss_mb=c.peak_rss_bytes / 2**20 if c.peak_rss_bytes else None,
        vram_mb=c.vram_bytes / 2**20 if c.vram_bytes else None,
        file_mb=c.file_size / 2**20,
        human_solve_rate=signal.solve_rate if signal else None,
        thumbs_up=signal.thumbs_up if signal else 0,
        thumbs_down=signal.thumbs_down if signal else 0,
    )


def recommend(summaries: list[CandidateSummary], min_riddles_per_min: float = 0.0) -> str:
    """Best solvability within the speed budget; validity, then speed, break ties."""
    if not summaries:
        return "Nothing has been evaluated yet."
    fast_enough = [s for s in summaries if s.riddles_per_min >= min_riddles_per_min]
    if not fast_enough:
        fastest = max(summaries, key=lambda s: s.riddles_per_min)
        return (
            f"No candidate makes {min_riddles_per_min:.1f} riddles per minute; the fastest is "
            f"{fastest.label} at {fastest.riddles_per_min:.1f}."
        )
    best = max(fast_enough, key=lambda s: (s.solvability, s.validity, s.riddles_per_min))
    budget = f" (at least {min_riddles_per_min:.1f} riddles/min)" if min_riddles_per_min else ""
    verdict = "above" if best.solvability > best.chance else "not above"
    return (
        f"Best solvability within your speed budget{budget} is {best.label}: {best.solvability:.0%} of its "
        f"riddles solved ({verdict} the {best.chance:.0%} chance level), {best.validity:.0%} valid, "
        f"{best.riddles_per_min:.1f} riddles/min."
    )


def _share(values) -> float:  # noqa: ANN001
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _mean(values) -> float:  # noqa: ANN001
    values = list(values)
    return statistics.fmean(values) if values else 0.0


def _median(values) -> float:  # noqa: ANN001
    values = list(values)
    return statistics.median(values) if values else 0.0


def latest(store: Store) -> tuple[RunRecord | None, list[CandidateSummary]]:
    """The newest run and its figures, with the human signal from the history (for the Evaluate page)."""
    run_id = latest_run_id(store)
    if run_id is None:
        return None, []
    record = load_run(store, run_id)
    human = {
        (c.model_file, c.pipeline): human_signal(store, c.model_file, c.pipeline) for c in record.candidates
    }
    return record, summarize(record, human)

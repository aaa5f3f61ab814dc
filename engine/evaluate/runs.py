"""Evaluation runs in SQLite (tables from migration m030). Functions take a Store, so the desktop app
calls them through its one database thread (`context.store.run(fn, ...)`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime

from sqlite_utils.db import NotFoundError

from engine import __version__
from engine.errors import StoreError
from engine.evaluate.articleset import FrozenArticle
from engine.evaluate.candidates import Candidate, ResolvedModel
from engine.store import Store


@dataclass(frozen=True)
class EvalRow:
    """One candidate's riddle for one article of the set, measured."""

    position: int
    valid: bool
    reason: str
    riddle: str
    answer: str
    hints: tuple[str, ...]
    leaked: bool
    grounded: bool
    grounding: float
    solved: bool | None  # None: no valid riddle, so nothing to solve (counts as not solved)
    choice: int | None
    chars: int
    words: int
    readability: float
    prompt_tokens: int
    completion_tokens: int
    first_token_s: float
    tokens_per_s: float
    generation_s: float
    output: str
    road: str = ""  # how it was made: "guided" or "parse-and-retry" (engine.riddling)
    quality: str = ""  # every problem the quality checks found, refused or flagged (engine.quality)


@dataclass(frozen=True)
class CandidateRecord:
    id: int
    model: str
    model_file: str
    model_sha256: str
    pipeline: str
    file_size: int
    load_s: float | None
    peak_rss_bytes: int | None
    vram_bytes: int | None
    status: str  # pending | done
    rows: tuple[EvalRow, ...]


@dataclass(frozen=True)
class RunRecord:
    id: int
    created_at: str
    seed: int
    solver_model: str
    status: str  # running | done | cancelled
    articles: tuple[FrozenArticle, ...]
    candidates: tuple[CandidateRecord, ...]


def create_run(
    store: Store,
    articles: tuple[FrozenArticle, ...],
    seed: int,
    solver_model: str,
    solver_sha256: str,
    sampling: str,
) -> int:
    with store.db.conn:
        run_id = (
            store.db["eval_runs"]
            .insert(
                {
                    "created_at": _now(),
                    "seed": seed,
                    "articles": len(articles),
                    "solver_model": solver_model,
                    "solver_sha256": solver_sha256,
                    "sampling": sampling,
                    "app_version": __version__,
                    "status": "running",
                }
            )
            .last_pk
        )
        store.db["eval_articles"].insert_all(
            {**asdict(a), "run_id": run_id, "options": json.dumps(list(a.options), ensure_ascii=False)}
            for a in articles
        )
    return run_id


def add_candidate(store: Store, run_id: int, candidate: Candidate, model: ResolvedModel) -> int:
    """The candidate's id in this run, creating it the first time (a resumed run finds it again)."""
    found = store.db.execute(
        "SELECT id FROM eval_candidates WHERE run_id = ? AND model = ? AND pipeline = ?",
        [run_id, candidate.model, candidate.pipeline],
    ).fetchone()
    if found:
        return found[0]
    with store.db.conn:
        return (
            store.db["eval_candidates"]
            .insert(
                {
                    "run_id": run_id,
                    "model": candidate.model,
                    "model_file": model.path.name,
                    "model_sha256": model.sha256,
                    "pipeline": candidate.pipeline,
                    "file_size": model.file_size,
                }
            )
            .last_pk
        )


def done_positions(store: Store, candidate_id: int) -> set[int]:
    return {
        r[0]
        for r in store.db.execute("SELECT position FROM eval_rows WHERE candidate_id = ?", [candidate_id])
    }


def save_row(store: Store, candidate_id: int, row: EvalRow) -> None:
    record = {
        **asdict(row),
        "candidate_id": candidate_id,
        "hints": json.dumps(list(row.hints), ensure_ascii=False),
    }
    with store.db.conn:
        store.db["eval_rows"].insert(record, replace=True)


def finish_candidate(
    store: Store,
    candidate_id: int,
    load_s: float | None,
    peak_rss: int | None,
    vram: int | None,
    complete: bool,
) -> None:
    with store.db.conn:
        store.db["eval_candidates"].update(
            candidate_id,
            {
                "load_s": load_s,
                "peak_rss_bytes": peak_rss,
                "vram_bytes": vram,
                "status": "done" if complete else "pending",
                "finished_at": _now(),
            },
        )


def set_run_status(store: Store, run_id: int, status: str) -> None:
    with store.db.conn:
        store.db["eval_runs"].update(run_id, {"status": status})


def latest_run_id(store: Store) -> int | None:
    row = store.db.execute("SELECT max(id) FROM eval_runs").fetchone()
    return row[0] if row else None


def load_run(store: Store, run_id: int) -> RunRecord:
    try:
        run = store.db["eval_runs"].get(run_id)
    except NotFoundError:
        raise StoreError(f"There is no evaluation run {run_id} in the history.") from None
    articles = tuple(
        FrozenArticle(
            **{
                **{k: r[k] for k in FrozenArticle.__dataclass_fields__},
                "options": tuple(json.loads(r["options"])),
            }
        )
        for r in store.db.query("SELECT * FROM eval_articles WHERE run_id = ? ORDER BY position", [run_id])
    )
    candidates = tuple(
        _candidate(store, r)
        for r in store.db.query("SELECT * FROM eval_candidates WHERE run_id = ? ORDER BY id", [run_id])
    )
    return RunRecord(
        run["id"], run["created_at"], run["seed"], run["solver_model"], run["status"], articles, candidates
    )


def _candidate(store: Store, row: dict) -> CandidateRecord:
    names = [f.name for f in fields(EvalRow)]
    rows = tuple(
        EvalRow(
            **{
                **{k: r[k] for k in names},
                "valid": bool(r["valid"]),
                "leaked": bool(r["leaked"]),
                "grounded": bool(r["grounded"]),
                "solved": None if r["solved"] is None else bool(r["solved"]),
                "hints": tuple(json.loads(r["hints"] or "[]")),
            }
        )
        for r in store.db.query(
            "SELECT * FROM eval_rows WHERE candidate_id = ? ORDER BY position", [row["id"]]
        )
    )
    return CandidateRecord(
        row["id"],
        row["model"],
        row["model_file"],
        row["model_sha256"] or "",
        row["pipeline"],
        row["file_size"] or 0,
        row["load_s"],
        row["peak_rss_bytes"],
        row["vram_bytes"],
        row["status"],
        rows,
    )


@dataclass(frozen=True)
class HumanSignal:
    """How people played this model's riddles in the reader (from the history, not from the run)."""

    played: int  # solved + revealed
    solved: int
    thumbs_up: int
    thumbs_down: int

    @property
    def solve_rate(self) -> float | None:
        return self.solved / self.played if self.played else None


def human_signal(store: Store, model_file: str, pipeline: str) -> HumanSignal:
    row = store.db.execute(
        "SELECT coalesce(sum(status IN ('solved', 'revealed')), 0), coalesce(sum(status = 'solved'), 0), "
        "coalesce(sum(rating > 0), 0), coalesce(sum(rating < 0), 0) FROM riddles WHERE model_file = ? AND "
        "pipeline = ?",
        [model_file, pipeline],
    ).fetchone()
    return HumanSignal(*row)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

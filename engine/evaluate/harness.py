"""The evaluation run: every candidate riddles the frozen article set through the app's own Riddler
(the reader's attempts, checks and subject candidates), each output is measured and, when valid,
shown to the solver; every row is stored as soon as it exists. A stopped run resumes where it stopped:
rows already stored are skipped, and a candidate added to an old run uses that run's articles.

The Riddler gets the bare backend, so a local model riddles guided wherever the reader's would (a
service, or a model the batch loop cannot run, parse-and-retry); each row is measured from the
Riddler's last attempt (`Riddler.last`), accepted or not."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from engine.articles import Article
from engine.errors import Cancelled, EngineError, GenerationError
from engine.evaluate import runs
from engine.evaluate.articleset import FrozenArticle, freeze
from engine.evaluate.candidates import (
    Candidate,
    ResolvedModel,
    default_solver,
    file_sha256,
    peak_rss_bytes,
    pipeline_named,
    resolve_model,
)
from engine.evaluate.likelihood import LikelihoodSolver
from engine.evaluate.metrics import measure_output
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.inference.service import ServiceBackend
from engine.paths import AppPaths
from engine.pipelines import PIPELINES
from engine.progress import CancelToken, Progress, ProgressCallback
from engine.quality import Story, examples_in, judge
from engine.riddling import DEFAULT_SAMPLING, ModelIdentity, Riddler, labelled
from engine.secrets import load_api_key
from engine.store import Store

_VRAM_LINE = re.compile(
    r"(?:CUDA|Vulkan|Metal|ROCm)\d*\s+\w+\s+buffer size\s*=\s*([\d.]+)\s*MiB", re.IGNORECASE
)


@dataclass(frozen=True)
class RunSpec:
    candidates: tuple[Candidate, ...]
    articles: int = 8
    seed: int = 7
    solver: str | None = None  # a model spec; None: the largest installed model
    solve: bool = True  # False measures everything but solvability (and skips loading a solver)
    solver_rotations: int = 4
    sampling: Sampling = DEFAULT_SAMPLING
    settings: LocalSettings = field(default_factory=lambda: LocalSettings(idle_unload_s=None))


def evaluate(
    store: Store | Any,
    spec: RunSpec,
    paths: AppPaths,
    *,
    news: list[Article] | None = None,
    run_id: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> runs.RunRecord:
    """Start a run over `news` (default: the history's latest articles, else the bundled sample), or
    continue run `run_id` with its own articles and solver. Returns the run as stored."""
    report = progress or (lambda _p: None)
    db = store_call(store)
    models = [resolve_model(c.model, paths) for c in spec.candidates]  # fail early, before any work
    unknown = sorted({c.pipeline for c in spec.candidates} - set(PIPELINES))
    if unknown:
        raise EngineError(f"Unknown pipeline {', '.join(unknown)}: choose from {', '.join(PIPELINES)}.")
    if run_id is None:
        run_id = _new_run(db, spec, paths, news if news is not None else db(news_pool))
    record = db(runs.load_run, run_id)
    solver = LikelihoodSolver(record.solver_model, spec.settings) if spec.solve else None
    total = len(spec.candidates) * len(record.articles)
    try:
        for index, (candidate, model) in enumerate(zip(spec.candidates, models, strict=True)):
            cid = db(runs.add_candidate, run_id, candidate, model)
            _run_candidate(
                db,
                cid,
                candidate,
                model,
                record,
                spec,
                solver,
                cancel,
                lambda done, msg, i=index: report(
                    Progress("evaluating", i * len(record.articles) + done, total, msg)
                ),
            )
    except Cancelled:
        db(runs.set_run_status, run_id, "cancelled")
        raise
    finally:
        if solver is not None:
            solver.close()
    db(runs.set_run_status, run_id, "done")
    report(Progress("evaluating", total, total, "Evaluation finished."))
    return db(runs.load_run, run_id)


StoreCall = Callable[..., Any]


def store_call(store: Store | Any) -> StoreCall:
    """How the run reaches the database: `run(fn, *args)` of a Store (CLI, tests) or of the desktop's
    StoreProxy (its one database thread), so a long run never holds the database."""
    return store.run


def news_pool(store: Store, limit: int = 200) -> list[Article]:
    """The user's own news: the latest stored articles; the bundled sample when the history is empty."""
    ids = [r[0] for r in store.db.execute("SELECT id FROM articles ORDER BY published DESC LIMIT ?", [limit])]
    if len(ids) >= 4:
        return [store.article(i) for i in ids]
    from engine.samples import sample_articles

    return sample_articles()


def _new_run(db: StoreCall, spec: RunSpec, paths: AppPaths, news: list[Article]) -> int:
    try:
        frozen = freeze(news, spec.articles, spec.seed)
    except ValueError:
        raise EngineError(
            "An evaluation needs at least 4 different headlines; fetch some news first."
        ) from None
    solver_path = resolve_model(spec.solver, paths).path if spec.solver else default_solver(paths)
    solver_sha = file_sha256(solver_path) if spec.solve else ""
    sampling = json.dumps(asdict(spec.sampling))
    return db(
        runs.create_run, frozen, spec.seed, str(solver_path) if spec.solve else "", solver_sha, sampling
    )


def _run_candidate(db, cid, candidate, model, record, spec, solver, cancel, report) -> None:  # noqa: ANN001
    done = db(runs.done_positions, cid)
    pending = [a for a in record.articles if a.position not in done]
    report(len(done), f"{candidate.label}: {len(done)} of {len(record.articles)} already measured")
    if not pending:
        return
    if model.service is not None:  # a server elsewhere: no load time or memory of ours to measure
        backend = ServiceBackend(model.service, load_api_key(model.service.base_url))
        riddler = Riddler(
            backend,
            pipeline_named(candidate.pipeline),
            ModelIdentity(model.path.name, "", "service"),
            spec.sampling,
        )
        try:
            _measure(db, cid, candidate, riddler, record, pending, done, spec, solver, cancel, report)
        except Cancelled:
            db(runs.finish_candidate, cid, None, None, None, complete=False)
            raise
        finally:
            backend.close()
        db(runs.finish_candidate, cid, None, None, None, complete=True)
        return
    local = LocalModel(model.path, spec.settings)
    riddler = _riddler(candidate, model, local, spec.sampling)
    peak: list[int] = []
    try:
        info = local.load()
        _measure(
            db,
            cid,
            candidate,
            riddler,
            record,
            pending,
            done,
            spec,
            solver,
            cancel,
            report,
            lambda: peak.append(peak_rss_bytes(local.pid) or 0),
        )
        vram = _vram_bytes(getattr(info, "placement", ""))
        db(runs.finish_candidate, cid, info.load_s, max(peak, default=None) or None, vram, complete=True)
    except Cancelled:
        db(
            runs.finish_candidate,
            cid,
            local.info.load_s if local.info else None,
            max(peak, default=None) or None,
            None,
            complete=False,
        )
        raise
    finally:
        local.close()


def _measure(
    db,
    cid,
    candidate,
    riddler,
    record,
    pending,
    done,
    spec,
    solver,
    cancel,
    report,  # noqa: ANN001
    after_each=lambda: None,
) -> None:  # noqa: ANN001
    for article in pending:
        if cancel is not None:
            cancel.raise_if_cancelled()
        db(runs.save_row, cid, measure_article(riddler, article, spec.seed, solver, cancel))
        after_each()
        done.add(article.position)
        # Each row keeps its road too (m041); the progress line says it as it goes.
        report(
            len(done),
            f"{candidate.label}: riddled {len(done)} of {len(record.articles)} ({riddling_mode(riddler)})",
        )


def _riddler(candidate: Candidate, model: ResolvedModel, local: LocalModel, sampling: Sampling) -> Riddler:
    identity = ModelIdentity(model.path.name, model.sha256, model.size_tier)
    pipeline = pipeline_named(candidate.pipeline, local.load)
    # The bare LocalModel, so the Riddler guides exactly where the reader's does (a wrapper would hide
    # that it is local), with the reader's retries and checks: a row is the riddle a reader would get.
    return Riddler(local, pipeline, identity, sampling)


def riddling_mode(riddler: Riddler) -> str:
    """How the Riddler's last attempt was made: "guided" or "parse-and-retry"."""
    return "guided" if riddler.last_guided else "parse-and-retry"


def measure_article(
    riddler: Riddler,
    article: FrozenArticle,
    seed: int,
    solver: LikelihoodSolver | None,
    cancel: CancelToken | None,
) -> runs.EvalRow:
    """One generation (seeded by run seed and position, so a rerun is the same), measured."""
    riddler.sampling = replace(riddler.sampling, seed=seed * 1000 + article.position)
    news = article.article()
    started = time.perf_counter()
    failure = ""
    try:
        riddler.riddle(news, cancel=cancel)
    except GenerationError as error:
        failure = error.sentence  # an unusable output is still measured below; this is kept if none came
    elapsed = time.perf_counter() - started
    completion = riddler.last  # guided or not, the attempt the Riddler judged (None: no output at all)
    output = labelled(riddler.pipeline.prompt(news).primer, completion.text if completion else "")
    riddle, m = measure_output(output, f"{article.title}. {article.summary}")
    if completion is None:
        m = replace(m, reason=failure[:300])
    story = Story(article.title, article.summary, examples_in(riddler.pipeline.prompt(news).text))
    quality = judge(riddle.answer, riddle.text, riddle.hints, story) if riddle.text else None
    choice = (
        solver.choose(riddle.text, article, seed, cancel, hints=riddle.hints)
        if solver is not None and m.valid
        else None
    )
    return runs.EvalRow(
        position=article.position,
        valid=m.valid,
        reason=m.reason,
        riddle=riddle.text,
        answer=riddle.answer,
        hints=riddle.hints,
        leaked=m.leaked,
        grounded=m.grounded,
        grounding=m.grounding,
        solved=None if choice is None else choice == article.answer_index,
        choice=choice,
        chars=m.chars,
        words=m.words,
        readability=m.readability,
        prompt_tokens=completion.prompt_tokens if completion else 0,
        completion_tokens=completion.completion_tokens if completion else 0,
        first_token_s=completion.first_token_s if completion else 0.0,
        tokens_per_s=completion.tokens_per_s if completion else 0.0,
        generation_s=elapsed,
        output=output[:4000],
        road=riddling_mode(riddler),
        quality=quality.stored() if quality is not None else "",
    )


def _vram_bytes(placement: str) -> int | None:
    """llama.cpp's own buffer lines for a GPU device, summed; None on CPU or when it did not say."""
    sizes = [float(m) for m in _VRAM_LINE.findall(placement or "")]
    return int(sum(sizes) * 1024 * 1024) if sizes else None

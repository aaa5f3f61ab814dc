"""Riddle the whole day at once: the caller's side of batched riddling.

`riddle_pending_batched` (the reader's road: the stored articles without a riddle) and
`riddle_articles_batched` (given articles: the CLI, the evaluation, the A/B) have the shape of
engine.riddling's `riddle_articles` and keep its rules: the same prompt, seeds, stop strings,
validation and bounded retries as the Riddler, every riddle stored and reported as soon as it is
valid, a cancel keeps what is stored. What changes is how the model is asked:

- a local model decodes many articles together inside its worker (engine/inference/batch.py), guided
  field by field exactly as the one-by-one Riddler is (the Riddler runs the same loop, one wide);
- a service gets a bounded number of concurrent requests (its server batches them);
- anything else, or a local model that cannot batch, goes one by one, and says so.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from engine.articles import Article
from engine.best_of import CandidatePool, choose, write_candidates
from engine.errors import Cancelled, GenerationError
from engine.inference.local import LocalModel
from engine.inference.service import ServiceBackend
from engine.progress import CancelToken, Progress, ProgressCallback
from engine.riddles import Provenance, Riddle, StoredRiddle
from engine.riddling import (
    BATCH_TARGET,
    CHECK_TARGET,
    Job,
    Riddler,
    RiddleRun,
    cancel_skipped,
    riddle_articles,
)
from engine.store import Store

__all__ = ["ArticleSkips", "riddle_articles_batched", "riddle_pending_batched"]
# Concurrent requests to a service: llama.cpp's server has 4 slots unless told otherwise.
SERVICE_REQUESTS = 4
SKIPPED = "Skipped at your request."
_POLL_S = 0.05


class ArticleSkips:
    """Articles taken out of a running batch (the rest go on). Safe to fill from any thread."""

    def __init__(self) -> None:
        self._keys: set[str] = set()
        self._lock = threading.Lock()

    def skip(self, article: Article) -> None:
        with self._lock:
            self._keys.add(article.key)

    def __contains__(self, article: Article) -> bool:
        with self._lock:
            return article.key in self._keys


def riddle_pending_batched(
    store: Store,
    riddler: Riddler,
    limit: int = 20,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    width: int | None = None,
    skips: ArticleSkips | None = None,
) -> RiddleRun:
    """The stored articles without a riddle (the bundled sample news first on an empty history),
    many at a time."""
    if store.count_articles() == 0:
        from engine.samples import sample_articles

        store.save_articles(sample_articles())
    articles = store.articles_without_riddles(limit)
    return riddle_articles_batched(store, articles, riddler, progress, cancel, width=width, skips=skips)


def riddle_articles_batched(
    store: Store,
    articles: list[Article],
    riddler: Riddler,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    width: int | None = None,
    skips: ArticleSkips | None = None,
) -> RiddleRun:
    """riddle_articles, batched. `width` overrides the automatic batch width; `skips` drops single
    articles while the rest go on (each is reported as failed with SKIPPED)."""
    queue = _stored_articles(store, articles)
    tally = Tally(store, riddler, queue, progress or (lambda _p: None))
    if not queue:
        return tally.run()
    backend = riddler.backend
    if isinstance(backend, LocalModel):
        return _riddle_in_worker(backend, tally, cancel, width, skips)
    if isinstance(backend, ServiceBackend):
        return _riddle_concurrently(tally, cancel, width or SERVICE_REQUESTS, skips)
    tally.say("Riddling one article at a time: this model's backend takes one request at a time.")
    return riddle_articles(store, queue, riddler, progress, cancel)


def _stored_articles(store: Store, articles: list[Article]) -> list[Article]:
    """The articles with their database ids (new ones are stored first), as riddle_articles does."""
    new = [a for a in articles if a.id is None]
    by_key = {a.key: a for a in store.save_articles(new)} if new else {}
    return [by_key.get(a.key, a) if a.id is None else a for a in articles]


@dataclass
class Tally:
    """What has come back so far: stores each valid riddle at once and reports it."""

    store: Store
    riddler: Riddler
    articles: list[Article]
    report: ProgressCallback
    stored: list[StoredRiddle] = field(default_factory=list)
    failed: list[tuple[Article, str]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.stored) + len(self.failed)

    def say(self, message: str) -> None:
        self.report(Progress("riddling", self.done, len(self.articles), message))

    def keep(self, article: Article, riddle: Riddle, provenance: Provenance) -> None:
        saved = self.store.save_riddle(article, riddle, provenance)
        self.stored.append(saved)
        total = len(self.articles)
        self.report(Progress("riddling", self.done, total, f"Riddled {self.done} of {total}", item=saved))

    def fail(self, article: Article, sentence: str) -> None:
        self.failed.append((article, sentence))
        self.say(sentence)

    def run(self) -> RiddleRun:
        return RiddleRun(tuple(self.stored), tuple(self.failed))


# -- a local model: many sequences in the worker ---------------------------------------------------
def _riddle_in_worker(
    model: LocalModel, tally: Tally, cancel: CancelToken | None, width: int | None, skips: ArticleSkips | None
) -> RiddleRun:
    jobs = []
    for job in map(tally.riddler.job, tally.articles):
        if job.refusal:
            tally.fail(job.article, job.refusal)  # nothing to riddle it about: said, not riddled badly
        else:
            jobs.append(job)
    if not jobs:
        return tally.run()
    tally.say("Warming up the model…")
    if tally.riddler.best_of > 1:
        if riddle_best_of(model, tally, jobs, cancel, width, skips) is not None:
            return tally.run()
        return _one_by_one(tally, jobs, cancel, "this model cannot batch, so one riddle per story")
    events = WorkerEvents(model, tally, jobs, skips)
    request = {"jobs": [job.request() for job in jobs], "check": CHECK_TARGET, "width": width}
    done = model.call(BATCH_TARGET, request, events.handle, cancel)
    if done.get("finish_reason") == "unbatchable":
        return _one_by_one(tally, jobs, cancel, done.get("reason", "this model cannot batch"))
    return tally.run()


def riddle_best_of(
    model: LocalModel,
    tally: Tally,
    jobs: list[Job],
    cancel: CancelToken | None = None,
    width: int | None = None,
    skips: ArticleSkips | None = None,
) -> CandidatePool | None:
    """Each story riddled riddler.best_of ways in one batch (engine.best_of), the judge's pick kept in
    the tally; returns every candidate as judged, or None when the model cannot batch (nothing kept)."""
    riddler = tally.riddler
    pool = write_candidates(model, riddler, jobs, riddler.best_of, tally.say, cancel, width, skips)
    if pool is None:
        return None
    headlines = [job.article.title for job in jobs]
    for story, job in enumerate(jobs):
        if skips is not None and job.article in skips:
            tally.fail(job.article, SKIPPED)
        elif not pool.found.get(story):
            tally.fail(
                job.article, pool.problems.get(story) or riddler.gave_up(job.article, "no candidate").sentence
            )
        else:
            kept = choose(model, pool, story, headlines, cancel)
            tally.keep(job.article, kept.riddle, kept.provenance)
    return pool


def _one_by_one(tally: Tally, jobs: list[Job], cancel: CancelToken | None, why: str) -> RiddleRun:
    tally.say(f"Riddling one article at a time: {why}.")
    rest = riddle_articles(tally.store, [j.article for j in jobs], tally.riddler, tally.report, cancel)
    tally.stored.extend(rest.stored)
    tally.failed.extend(rest.failed)
    return tally.run()


@dataclass
class WorkerEvents:
    """Turns the worker's batch events into stored riddles, failures and progress."""

    model: LocalModel
    tally: Tally
    jobs: list[Job]
    skips: ArticleSkips | None
    _skipped: set[int] = field(default_factory=set)

    def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "batch":
            self.tally.say(f"Riddling {event['width']} articles at a time ({event['why']})…")
        elif kind == "finished":
            self._finished(event)
        cancel_skipped(self.model, str(event.get("id")), self.jobs, self.skips, self._skipped)

    def _finished(self, event: dict[str, Any]) -> None:
        job = self.jobs[event["job"]]
        if event["finish_reason"] == "cancelled":
            self.tally.fail(job.article, SKIPPED)
        elif event["accepted"] or not event["retry"]:
            try:
                riddle, provenance = self.tally.riddler.outcome(job, event)
            except GenerationError as error:
                self.tally.fail(job.article, error.sentence)
            else:
                self.tally.keep(job.article, riddle, provenance)


# -- a service: bounded concurrent requests --------------------------------------------------------
def _riddle_concurrently(
    tally: Tally, cancel: CancelToken | None, width: int, skips: ArticleSkips | None
) -> RiddleRun:
    """Each article through Riddler.riddle itself (so its rules hold exactly), `width` at a time."""
    tally.say(f"Sending {width} requests at a time to the service…")
    tokens = {a.key: CancelToken() for a in tally.articles}
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="riddle") as pool:
        pending: dict[Future, Article] = {
            pool.submit(tally.riddler.riddle, a, tokens[a.key]): a for a in tally.articles
        }
        try:
            while pending:
                _pass_on_cancels(tally.articles, tokens, cancel, skips)
                finished, _ = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for future in finished:
                    _collect(tally, pending.pop(future), future, cancel)
        finally:
            for token in tokens.values():  # on any way out, nothing keeps running behind us
                token.cancel()
    return tally.run()


def _pass_on_cancels(
    articles: list[Article],
    tokens: dict[str, CancelToken],
    cancel: CancelToken | None,
    skips: ArticleSkips | None,
) -> None:
    for article in articles:
        if (cancel is not None and cancel.cancelled) or (skips is not None and article in skips):
            tokens[article.key].cancel()


def _collect(tally: Tally, article: Article, future: Future, cancel: CancelToken | None) -> None:
    try:
        riddle, provenance = future.result()
    except Cancelled:
        if cancel is not None and cancel.cancelled:
            raise
        tally.fail(article, SKIPPED)
        return
    except GenerationError as error:
        tally.fail(article, error.sentence)
        return
    tally.keep(article, riddle, provenance)

"""Articles -> riddles: prompt, generate, validate (retrying within a bound), store. One article at a
time here; each stored riddle is reported as soon as it exists so a reader can show it.

Two ways to generate, with the same prompts, seeds, validation and retries:
- guided (a local model and a prompt that allows it): the worker's batch loop, at width one, writes the
  labels and lets the model fill each field, never writing the answer into the riddle or hints
  (engine.guided); engine.batching runs the same loop many articles wide;
- parse-and-retry (a service, or `guided=False`): a free completion, parsed and validated."""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from engine.articles import Article
from engine.errors import Cancelled, GenerationError
from engine.inference import Backend, Completion, Sampling, TextCallback
from engine.inference.local import LocalModel
from engine.pipelines import Pipeline
from engine.progress import CancelToken, Progress, ProgressCallback
from engine.prompts import Prompt
from engine.quality import Quality, Story, examples_in
from engine.riddles import Provenance, Riddle, RiddleRejected, StoredRiddle, check_riddle, labelled
from engine.store import Store
from engine.subjects import candidates

__all__ = ["labelled"]  # read from here by the evaluation and benchmarks; it lives in engine.riddles

DEFAULT_SAMPLING = Sampling()  # the defaults' one home is engine.inference.Sampling
# Run inside the worker: the batch loop. It applies engine.riddles.check_riddle (it imports it: the
# worker only calls down) to every finished attempt when a request says "check".
BATCH_TARGET = "engine.inference.batch:run"
CHECK_TARGET = True  # the request's "check" (bench/inference.py sends it too)
GUIDED, PARSED = "guided", "parse-and-retry"  # the two roads a riddle is made by (Provenance.road)


@dataclass(frozen=True)
class ModelIdentity:
    """Which model made a riddle, as recorded in its provenance."""

    file: str
    sha256: str
    size_tier: str
    adapter: str = ""  # the LoRA adapter file applied on top, if any


@dataclass
class Job:
    """One article's plan: its prompt, the sampling of each attempt, and whether it is guided."""

    article: Article
    prompt: Prompt
    attempts: list[Sampling]
    guided: bool = False
    candidates: tuple[str, ...] | None = None  # guided: the answers allowed (engine.subjects)

    @property
    def refusal(self) -> str:
        """A sentence when this story cannot be riddled at all ("" when it can)."""
        if self.candidates == ():
            return (
                f'"{self.article.title[:80]}" names nothing a riddle could be about (no name or short '
                "noun phrase in its headline or summary), so it is not riddled."
            )
        return ""

    def story(self) -> Story:
        return Story(self.article.title, self.article.summary, examples_in(self.prompt.text))

    def request(self, stream: bool = False) -> dict[str, Any]:
        """The job as engine.inference.batch reads it."""
        return {
            "prompt": self.prompt.text,
            "primer": self.prompt.primer,
            "seeds": [s.seed for s in self.attempts],
            "sampling": asdict(self.attempts[0]),
            "guided": self.guided,
            "stream": stream,
            "story": {
                "title": self.article.title,
                "summary": self.article.summary,
                "candidates": None if self.candidates is None else list(self.candidates),
            },
        }


@dataclass(frozen=True)
class RiddleRun:
    stored: tuple[StoredRiddle, ...]
    failed: tuple[tuple[Article, str], ...]  # (article, sentence)


class Riddler:
    """Makes one valid riddle for one article, or says why it could not."""

    def __init__(
        self,
        backend: Backend,
        pipeline: Pipeline,
        model: ModelIdentity,
        sampling: Sampling = DEFAULT_SAMPLING,
        max_attempts: int = 3,
        guided: bool = True,
        subjects: bool = True,
    ):
        self.backend = backend
        self.pipeline = pipeline
        self.model = model
        self.sampling = sampling
        self.max_attempts = max_attempts
        self.guided = guided  # False: parse-and-retry even where guiding is possible (an arm, benchmarks)
        self.subjects = subjects  # guided: the answer is one of the story's subject candidates
        # Riddles written per story, of which the judge keeps one (engine.best_of): the batched road of
        # a local model only; one by one (riddle()) always writes one.
        self.best_of = 1
        # The last attempt of the last riddle() call, accepted or rejected, and whether it was guided:
        # the evaluation measures what the model wrote even when the validator refused it.
        self.last: Completion | None = None
        self.last_guided = False

    def job(self, article: Article) -> Job:
        """The plan for an article: seeds base, base+1, … and the prompt's stop strings."""
        prompt = self.pipeline.prompt(article)
        base = self.sampling.seed if self.sampling.seed is not None else random.randrange(2**31)
        stop = tuple(self.sampling.stop or prompt.stop)
        attempts = [replace(self.sampling, seed=base + n, stop=stop) for n in range(self.max_attempts)]
        guided = self.guides(prompt)
        subjects = candidates(article.title, article.summary) if guided and self.subjects else None
        return Job(article, prompt, attempts, guided=guided, candidates=subjects)

    def guides(self, prompt: Prompt) -> bool:
        """Guided generation needs our own worker (a local model) and a prompt in the labelled format."""
        return self.guided and prompt.guided and isinstance(self.backend, LocalModel)

    def riddle(
        self, article: Article, cancel: CancelToken | None = None, on_text: TextCallback | None = None
    ) -> tuple[Riddle, Provenance]:
        job = self.job(article)
        self.last, self.last_guided = None, False
        if job.refusal:
            raise GenerationError(job.refusal)
        if job.guided:
            made = self._riddle_guided(job, cancel, on_text)
            if made is not None:
                return made
        prompt = job.prompt
        problem = ""
        for attempt, sampling in enumerate(job.attempts, start=1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            completion = self.backend.complete(prompt.text, sampling, on_text=on_text, cancel=cancel)
            self.last = completion
            try:
                riddle, quality = check_riddle(prompt.primer, completion.text, job.story())
            except RiddleRejected as rejected:
                problem = _problem(rejected, completion)
                continue
            return riddle, self._provenance(completion, sampling, attempt, PARSED, quality)
        raise self.gave_up(article, problem)

    def _riddle_guided(
        self, job: Job, cancel: CancelToken | None, on_text: TextCallback | None
    ) -> tuple[Riddle, Provenance] | None:
        """One article through the worker's batch loop at width one (None: the model cannot batch)."""
        last: list[dict[str, Any]] = []

        def on_event(event: dict[str, Any]) -> None:
            if event.get("event") == "text" and on_text is not None:
                on_text(event["text"])
            elif event.get("event") == "finished" and not event.get("retry"):
                last.append(event)

        request = {"jobs": [job.request(stream=on_text is not None)], "check": CHECK_TARGET, "width": 1}
        done = self.backend.call(BATCH_TARGET, request, on_event, cancel)
        if done.get("finish_reason") == "unbatchable" or not last:
            return None
        return self.outcome(job, last[-1])

    def outcome(self, job: Job, event: dict[str, Any]) -> tuple[Riddle, Provenance]:
        """A job's last "finished" event from the worker: its riddle, or the sentence why there is none."""
        if event["finish_reason"] == "error":
            raise GenerationError(f"The model could not generate text: {event['reason']}.")
        attempt = int(event["attempt"])
        self.last, self.last_guided = worker_completion(event), job.guided
        if not event["accepted"]:
            problem = _problem(RiddleRejected(event.get("reason") or "rejected"), self.last)
            raise self.gave_up(job.article, problem)
        riddle, quality = parsed_in_worker(event, job)
        road = GUIDED if job.guided else PARSED
        return riddle, self._provenance(self.last, job.attempts[attempt - 1], attempt, road, quality)

    def gave_up(self, article: Article, problem: str) -> GenerationError:
        return GenerationError(
            f'The model could not write a usable riddle for "{article.title[:80]}" after '
            f"{self.max_attempts} tries (last problem: {problem})."
        )

    def _provenance(
        self, completion: Completion, sampling: Sampling, attempts: int, road: str, quality: Quality
    ) -> Provenance:
        return Provenance(
            model_file=self.model.file,
            model_sha256=self.model.sha256,
            size_tier=self.model.size_tier,
            pipeline=self.pipeline.name,
            sampling=json.dumps(asdict(sampling)),
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            latency_s=round(completion.latency_s, 4),
            first_token_s=round(completion.first_token_s, 4),
            tokens_per_s=round(completion.tokens_per_s, 2),
            created_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            attempts=attempts,
            kernels=getattr(getattr(self.backend, "info", None), "kernels", "") or "",
            adapter=self.model.adapter,
            road=road,
            quality=quality.stored(),
        )


def cancel_skipped(model: LocalModel, rid: str, jobs: list[Job], skips: Any, cancelled: set[int]) -> None:
    """Cancel, in the worker's running batch `rid`, every job whose article was taken out (`skips`
    holds articles) and is not cancelled yet; `cancelled` remembers which were."""
    if skips is None:
        return
    for index, job in enumerate(jobs):
        if index not in cancelled and job.article in skips:
            cancelled.add(index)
            model.cancel_part(f"{rid}/{index}")


def parsed_in_worker(event: dict[str, Any], job: Job) -> tuple[Riddle, Quality]:
    """An accepted attempt as the worker parsed and judged it (never parsed twice); an event from a
    request without "check" is checked here."""
    parsed = event.get("riddle")
    if parsed is None:
        return check_riddle(job.prompt.primer, event["text"], job.story())
    riddle = Riddle(parsed["text"], parsed["answer"], tuple(parsed["hints"]), parsed["difficulty"])
    flags = event.get("quality") or ""
    return riddle, Quality(tuple(flags.split(", ")) if flags else ())


def worker_completion(event: dict[str, Any]) -> Completion:
    """A "finished" event of the worker's batch loop as a Completion."""
    return Completion(
        text=event["text"],
        prompt_tokens=int(event.get("prompt_tokens", 0)),
        completion_tokens=int(event.get("completion_tokens", 0)),
        latency_s=float(event.get("latency_s", 0.0)),
        first_token_s=float(event.get("first_token_s", 0.0)),
        finish_reason=event["finish_reason"],
    )


def _problem(rejected: RiddleRejected, completion: Completion) -> str:
    """Why an attempt failed, naming empty and runaway output (the bounded retries handle both)."""
    if not completion.text.strip():
        return "empty output"
    if completion.finish_reason == "length":
        return f"runaway output cut at {completion.completion_tokens} tokens ({rejected.reason})"
    return rejected.reason


def riddle_articles(
    store: Store,
    articles: list[Article],
    riddler: Riddler,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> RiddleRun:
    """Riddle each article in turn and store each riddle as soon as it is valid. An article the
    model cannot riddle is skipped with its reason; a cancel stops after the current token."""
    report = progress or (lambda _p: None)
    saved = (
        store.save_articles([a for a in articles if a.id is None])
        if any(a.id is None for a in articles)
        else []
    )
    by_key = {a.key: a for a in saved}
    queue = [by_key.get(a.key, a) if a.id is None else a for a in articles]
    stored: list[StoredRiddle] = []
    failed: list[tuple[Article, str]] = []
    total = len(queue)
    report(Progress("riddling", 0, total, "Warming up the model…"))
    for index, article in enumerate(queue, start=1):
        try:
            riddle, provenance = riddler.riddle(article, cancel=cancel)
        except Cancelled:
            raise
        except GenerationError as error:
            failed.append((article, error.sentence))
            report(Progress("riddling", index, total, error.sentence))
            continue
        saved_riddle = store.save_riddle(article, riddle, provenance)
        stored.append(saved_riddle)
        report(Progress("riddling", index, total, f"Riddled {index} of {total}", item=saved_riddle))
    return RiddleRun(tuple(stored), tuple(failed))

"""Articles -> riddles: prompt, generate, validate (retrying within a bound), store. One article at a
time here; each stored riddle is reported as soon as it exists so a reader can show it."""

from __future__ import annotations

import json
import random
import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

from engine.articles import Article
from engine.errors import Cancelled, GenerationError
from engine.inference import Backend, Completion, Sampling, TextCallback
from engine.pipelines import Pipeline
from engine.progress import CancelToken, Progress, ProgressCallback
from engine.riddles import Provenance, Riddle, RiddleRejected, StoredRiddle, parse_riddle
from engine.store import Store

DEFAULT_SAMPLING = Sampling(temperature=0.7, top_p=0.95, max_tokens=120)
_LEADING_LABEL = re.compile(r"(riddle|answer|hint\s*\d?|difficulty)\s*[:：]", re.IGNORECASE)


@dataclass(frozen=True)
class ModelIdentity:
    """Which model made a riddle, as recorded in its provenance."""

    file: str
    sha256: str
    size_tier: str


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
    ):
        self.backend = backend
        self.pipeline = pipeline
        self.model = model
        self.sampling = sampling
        self.max_attempts = max_attempts

    def riddle(
        self, article: Article, cancel: CancelToken | None = None, on_text: TextCallback | None = None
    ) -> tuple[Riddle, Provenance]:
        prompt = self.pipeline.prompt(article)
        base_seed = self.sampling.seed if self.sampling.seed is not None else random.randrange(2**31)
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            sampling = replace(
                self.sampling, seed=base_seed + attempt - 1, stop=tuple(self.sampling.stop or prompt.stop)
            )
            completion = self.backend.complete(prompt.text, sampling, on_text=on_text, cancel=cancel)
            try:
                riddle = parse_riddle(labelled(prompt.primer, completion.text))
            except RiddleRejected as rejected:
                problem = _problem(rejected, completion)
                continue
            return riddle, self._provenance(completion, sampling, attempt)
        raise GenerationError(
            f'The model could not write a usable riddle for "{article.title[:80]}" after '
            f"{self.max_attempts} tries (last problem: {problem})."
        )

    def _provenance(self, completion: Completion, sampling: Sampling, attempts: int) -> Provenance:
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
        )


def labelled(primer: str, text: str) -> str:
    """The completion read as if it followed the prompt's last label ("Answer:"), unless the model
    wrote a label itself (a chat reply usually does). Unlabelled text followed by a line with the
    primer's own label is a reply in the older riddle-first order: its first line is the riddle."""
    stripped = text.lstrip()
    if not primer or stripped.lower().startswith(primer.lower()) or _LEADING_LABEL.match(stripped):
        return stripped
    own_label = re.compile(r"^\s*" + re.escape(primer.rstrip(":：")) + r"\s*[:：]", re.IGNORECASE | re.MULTILINE)
    if primer.lower() != "riddle:" and own_label.search(stripped):
        return "Riddle: " + stripped
    return primer + text


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
    saved = store.save_articles([a for a in articles if a.id is None]) if any(a.id is None for a in articles) else []
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


def riddle_pending(
    store: Store,
    riddler: Riddler,
    limit: int = 20,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> RiddleRun:
    """Riddle the stored articles that have no riddle yet. On a first run with an empty history the
    bundled sample news is stored first, so there is always something to play, offline."""
    if store.count_articles() == 0:
        from engine.samples import sample_articles

        store.save_articles(sample_articles())
    return riddle_articles(store, store.articles_without_riddles(limit), riddler, progress, cancel)

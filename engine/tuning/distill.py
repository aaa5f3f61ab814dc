"""Distillation: riddles written by a stronger teacher (another installed model, or an
OpenAI-compatible service) for news the user already has, kept as training examples only when they
pass the same checks as any riddle the app stores (validity and no-leak, engine.riddles) and a
solver picks the right headline for them among distractors (engine.evaluate.solver). Every rejection
is counted with its reason, so the Tune page can show what was kept and why the rest was not.

Held-out stories are never sent to the teacher, so nothing about them can reach training. Kept
riddles are saved to data/tuning/distilled.jsonl (the shipped set's record format, source
"distilled"), which the training set reads back (engine.tuning.workflow)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from engine import model_registry
from engine.errors import GenerationError
from engine.evaluate.articleset import OPTIONS, FrozenArticle, freeze
from engine.evaluate.candidates import default_solver
from engine.evaluate.solver import Solver
from engine.inference.local import LocalModel, LocalSettings
from engine.paths import AppPaths
from engine.progress import CancelToken, Progress, ProgressCallback
from engine.riddles import fold
from engine.riddling import DEFAULT_SAMPLING, ModelIdentity, Riddler
from engine.store import Store
from engine.tuning import TuningError
from engine.tuning.data import HeldOutItem, TrainingExample, from_record, heldout_items
from engine.tuning.format import article_for

NOT_SOLVED = "the solver picked another headline"
SEED = 11  # one seed for the whole run: the same teacher on the same news gives the same riddles


@dataclass(frozen=True)
class NewsItem:
    title: str
    summary: str
    origin: str  # "history" (the user's stored news) or "shipped" (a story of the hand-written set)


@dataclass(frozen=True)
class Teacher:
    """Who writes the riddles: a local GGUF (with the pipeline its model gets in the app) or a service."""

    label: str
    spec: str  # a registry key, or BASE_URL#MODEL for an OpenAI-compatible service

    @property
    def is_service(self) -> bool:
        return self.spec.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class DistillResult:
    teacher: str
    solver: str
    tried: int
    kept: tuple[TrainingExample, ...]
    rejected: tuple[tuple[str, str], ...]  # (title, why)

    def reasons(self) -> dict[str, int]:
        return dict(Counter(why for _title, why in self.rejected).most_common())


def distilled_file(paths: AppPaths) -> Path:
    return paths.data / "tuning" / "distilled.jsonl"


def teachers(paths: AppPaths, base_key: str | None = None) -> list[Teacher]:
    """The installed models that can teach the base being tuned: every model but the base itself."""
    registry = model_registry.load(paths)
    base = base_key or registry.active_key
    return [Teacher(m.name, m.key) for m in registry.models if m.key != base]


def resolve_teacher(paths: AppPaths, spec: str, base_key: str | None = None) -> Teacher:
    """A teacher as the user named it: BASE_URL#MODEL for a service, or an installed model's key or
    name (not the base being tuned: it cannot teach itself)."""
    if spec.lower().startswith(("http://", "https://")):
        return Teacher(spec.partition("#")[2] or spec, spec)
    choices = teachers(paths, base_key)
    for teacher in choices:
        if spec in (teacher.spec, teacher.label):
            return teacher
    names = ", ".join(f"{t.spec} ({t.label})" for t in choices) or "none besides the base"
    raise TuningError(
        f'"{spec}" cannot teach: name another installed model ({names}) or a service as '
        "http://HOST:PORT/v1#MODEL."
    )


def history_news(store: Store, limit: int = 200) -> list[NewsItem]:
    """The user's latest stored news (title and summary)."""
    rows = store.db.query("SELECT title, summary FROM articles ORDER BY published DESC LIMIT ?", [limit])
    return [NewsItem(r["title"], r["summary"] or "", "history") for r in rows]


def news_to_distil(
    history: list[NewsItem],
    shipped: list[TrainingExample],
    heldout: list[HeldOutItem] | None = None,
    limit: int | None = None,
) -> list[NewsItem]:
    """The user's news first, then the shipped stories; one per story, never a held-out story."""
    held = {_story(item.title) for item in (heldout_items() if heldout is None else heldout)}
    seen: set[str] = set()
    items = []
    for item in [*history, *(NewsItem(e.title, e.summary, "shipped") for e in shipped)]:
        key = _story(item.title)
        if not key or key in held or key in seen:
            continue
        seen.add(key)
        items.append(item)
    return items[:limit] if limit else items


def distill(
    paths: AppPaths,
    teacher: Teacher,
    news: list[NewsItem],
    *,
    solver_path: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    settings: LocalSettings | None = None,
) -> DistillResult:
    """Ask the teacher for one riddle per news item (one attempt each), keep what passes the checks,
    save the kept ones (added to earlier distilled riddles, one per story) and return the tally."""
    if len(news) < OPTIONS:
        raise TuningError(
            f"Distillation needs at least {OPTIONS} news items (the solver chooses among "
            f"{OPTIONS} headlines); fetch some news first."
        )
    report = progress or (lambda _p: None)
    settings = settings or LocalSettings(idle_unload_s=None)
    articles = freeze([article_for(n.title, n.summary) for n in news], len(news), SEED)
    solver_file = solver_path or default_solver(paths)  # the evaluation's judge: the largest installed model
    backend, pipeline = _teacher_backend(paths, teacher, settings)
    kept: list[TrainingExample] = []
    rejected: list[tuple[str, str]] = []
    solver: Solver | None = None
    try:
        report(Progress("distilling", 0, len(articles), f"Asking {teacher.label} for riddles…"))
        for done, article in enumerate(articles, start=1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            riddle, why = _ask(backend, pipeline, article, cancel)
            if riddle is not None:
                solver = solver or Solver(solver_file, settings)
                if solver.choose(riddle.text, article, SEED, cancel) != article.answer_index:
                    riddle, why = None, NOT_SOLVED
            if riddle is None:
                rejected.append((article.title, why))
            else:
                kept.append(
                    TrainingExample(
                        article.title,
                        article.summary,
                        riddle.text,
                        riddle.answer,
                        (riddle.hints[0], riddle.hints[1]),
                        riddle.difficulty,
                        "distilled",
                    )
                )
            report(
                Progress(
                    "distilling",
                    done,
                    len(articles),
                    f"Distilling: {done} of {len(articles)} asked, {len(kept)} kept",
                )
            )
    finally:
        if solver is not None:
            solver.close()
        backend.close()
    save_distilled(paths, kept, teacher)
    return DistillResult(teacher.label, Path(solver_file).name, len(articles), tuple(kept), tuple(rejected))


def _ask(backend, pipeline, article: FrozenArticle, cancel: CancelToken | None):  # noqa: ANN001, ANN202
    """(riddle, "") when the teacher riddles the article as the reader would (the Riddler: guided for a
    local teacher, the story's subject as the answer, the same checks and retries), else (None, why)."""
    sampling = replace(DEFAULT_SAMPLING, seed=SEED * 1000 + article.position)
    riddler = Riddler(backend, pipeline, ModelIdentity("teacher", "", "teacher"), sampling)
    # A teacher that cannot answer at all (gone, crashed, refused) fails the whole run with its
    # sentence (an EngineError other than GenerationError): going on would only reject every item.
    try:
        riddle, _ = riddler.riddle(article.article(), cancel=cancel)
    except GenerationError as error:
        return None, error.sentence
    return riddle, ""


def _teacher_backend(paths: AppPaths, teacher: Teacher, settings: LocalSettings):  # noqa: ANN202
    """(backend, pipeline): the teacher as the app would riddle with it."""
    if teacher.is_service:
        from engine.inference.service import ServiceBackend, ServiceSettings
        from engine.pipelines import ServicePipeline
        from engine.secrets import load_api_key

        base_url, _, model = teacher.spec.partition("#")
        base_url = base_url.rstrip("/")
        return ServiceBackend(
            ServiceSettings(base_url, model or "default"), load_api_key(base_url)
        ), ServicePipeline()
    from engine.active_model import choice_for, pipeline_for

    choice = choice_for(model_registry.load(paths).get(teacher.spec), paths)
    if choice.lora_path is not None:
        settings = replace(settings, lora_path=str(choice.lora_path))
    local = LocalModel(choice.path, settings)
    return local, pipeline_for(choice, local.load)


def save_distilled(paths: AppPaths, examples: list[TrainingExample], teacher: Teacher) -> Path:
    """Add to the saved distilled riddles; a newer riddle for the same story replaces the older one."""
    path = distilled_file(paths)
    rows = {_story(r["title"]): r for r in _read_rows(path)}
    for e in examples:
        rows[_story(e.title)] = {
            "title": e.title,
            "summary": e.summary,
            "riddle": e.riddle,
            "answer": e.answer,
            "hints": list(e.hints),
            "difficulty": e.difficulty,
            "source": "distilled",
            "teacher": teacher.label,
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.values()), encoding="utf-8"
    )
    partial.replace(path)
    return path


def distilled_examples(paths: AppPaths) -> list[TrainingExample]:
    return [from_record(row, "distilled") for row in _read_rows(distilled_file(paths))]


def forget_distilled(paths: AppPaths) -> None:
    distilled_file(paths).unlink(missing_ok=True)


def _read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # a torn line from an interrupted write of an older version: skip it
    return rows


def _story(title: str) -> str:
    return " ".join(fold(title).split())

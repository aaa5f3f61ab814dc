"""The whole "Train on my riddles" flow as three blocking calls the CLI and the page share:
gather the data, train (or resume) and register, then A/B the adapter on the held-out news."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from engine import model_registry
from engine.active_model import choice_for
from engine.paths import AppPaths
from engine.progress import CancelToken, ProgressCallback
from engine.tuning.ab import ABResult, run_ab
from engine.tuning.adapters import TunedAdapter, register, save_evaluation
from engine.tuning.config import TuneConfig
from engine.tuning.data import TrainingExample, TrainingSet, assemble, heldout_items, shipped_examples
from engine.tuning.run import BaseModel, can_resume, new_run, train


def training_set(history: list[TrainingExample], validation_percent: int = 10) -> TrainingSet:
    """The user's liked/solved riddles first, then the shipped set; never a held-out story."""
    return assemble([*history, *shipped_examples()], heldout_items(), validation_percent)


def runs_root(paths: AppPaths) -> Path:
    return paths.data / "tuning" / "runs"


def resumable_run(paths: AppPaths) -> Path | None:
    """The newest run that was stopped before it finished, if any."""
    root = runs_root(paths)
    runs = sorted((p for p in root.iterdir() if can_resume(p)), reverse=True) if root.is_dir() else []
    return runs[0] if runs else None


def train_adapter(
    paths: AppPaths, data: TrainingSet | None, config: TuneConfig | None = None, *, base_key: str | None = None,
    resume: Path | None = None, progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
) -> TunedAdapter:
    """Train on `data` (or resume the run folder `resume`) against the active model's base, then
    register the adapter and switch it on."""
    registry = model_registry.load(paths)
    base = registry.get(base_key) if base_key else registry.active
    if resume is None:
        choice = choice_for(base, paths)
        resume = new_run(runs_root(paths), data, config or TuneConfig(), BaseModel(choice.path, base.sha256), paths.cache)
    result = train(resume, progress, cancel)
    return register(paths, result, base.key)


def evaluate_adapter(
    paths: AppPaths, adapter: TunedAdapter, limit: int | None = None, with_few_shot: bool = True,
    progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
) -> ABResult:
    from engine.tuning.ab import default_arms

    base = choice_for(model_registry.load(paths).get(adapter.base_key), paths).path
    result = run_ab(base, adapter.path, heldout_items()[:limit], default_arms(with_few_shot), progress, cancel)
    save_evaluation(adapter, asdict(result))
    return result

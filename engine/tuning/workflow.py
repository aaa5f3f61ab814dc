"""The whole "Train on my riddles" flow as three blocking calls the CLI and the page share:
gather the data, train (or resume) and register, then A/B the adapter on the held-out news."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

from engine import model_registry
from engine.active_model import choice_for
from engine.paths import AppPaths
from engine.pipelines import PROVENANCE_FILE
from engine.progress import CancelToken, ProgressCallback
from engine.tuning.ab import ABResult, run_ab
from engine.tuning.adapters import TunedAdapter, register, save_evaluation
from engine.tuning.config import TuneConfig
from engine.tuning.data import TrainingExample, TrainingSet, assemble, heldout_items, shipped_examples
from engine.tuning.run import BaseModel, can_resume, new_run, train


def training_set(
    history: list[TrainingExample],
    validation_percent: int = 10,
    distilled: list[TrainingExample] = (),
) -> TrainingSet:
    """The user's liked/solved riddles first, then the shipped set, then distilled riddles (those the
    checks kept, engine.tuning.distill); never a held-out story."""
    return assemble([*history, *shipped_examples(), *distilled], heldout_items(), validation_percent)


def distill_news(
    paths: AppPaths,
    history: list,
    teacher_spec: str,
    *,
    base_key: str | None = None,
    limit: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
):  # noqa: ANN201 - DistillResult
    """Distillation as the app runs it: the teacher riddles the user's stored news (`history`, from
    engine.tuning.distill.history_news) and then the shipped stories, never a held-out one; what the
    checks keep is saved for training_set(distilled=...)."""
    from engine.tuning.distill import distill, news_to_distil, resolve_teacher

    teacher = resolve_teacher(paths, teacher_spec, base_key)
    news = news_to_distil(history, shipped_examples(), heldout_items(), limit)
    return distill(paths, teacher, news, progress=progress, cancel=cancel)


def runs_root(paths: AppPaths) -> Path:
    return paths.data / "tuning" / "runs"


def resumable_run(paths: AppPaths) -> Path | None:
    """The newest run that was stopped before it finished, if any."""
    root = runs_root(paths)
    runs = sorted((p for p in root.iterdir() if can_resume(p)), reverse=True) if root.is_dir() else []
    return runs[0] if runs else None


def train_adapter(
    paths: AppPaths,
    data: TrainingSet | None,
    config: TuneConfig | None = None,
    *,
    base_key: str | None = None,
    resume: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> TunedAdapter:
    """Train on `data` (or resume the run folder `resume`) against the active model's base, then
    register the adapter and switch it on."""
    registry = model_registry.load(paths)
    base = registry.get(base_key) if base_key else registry.active
    if resume is None:
        choice = choice_for(base, paths)
        resume = new_run(
            runs_root(paths), data, config or TuneConfig(), BaseModel(choice.path, base.sha256), paths.cache
        )
    result = train(resume, progress, cancel)
    return register(paths, result, base.key)


def merge_and_register(
    paths: AppPaths,
    adapter: TunedAdapter,
    quant: str = "Q8_0",
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> model_registry.InstalledModel:
    """Bake the adapter into its base as a standalone GGUF in the models folder, registered as its own
    model; its provenance (the adapter's, plus how it was merged) is kept beside the file and in the
    adapter's folder."""
    import json

    from engine.tuning.merge import merge_adapter

    base = model_registry.load(paths).get(adapter.base_key)
    out = paths.models / f"{adapter.name}-merged-{quant.lower()}.gguf"
    name = f"{base.name} + {adapter.name} (merged)"
    merged = merge_adapter(
        choice_for(base, paths).path,
        adapter.path,
        out,
        quant=quant,
        name=name,
        progress=progress,
        cancel=cancel,
    )
    model = replace(
        model_registry.inspect_import(out, progress, cancel), name=name, tier=base.tier, variant=base.variant
    )
    model_registry.add(paths, model)
    record = {
        **adapter.provenance,
        "merged": {
            "file": str(out),
            "registry_key": model.key,
            "sha256": model.sha256,
            "quant": quant,
            "merged_tensors": merged.merged_tensors,
            "requantized_untouched": merged.requantized,
            "seconds": round(merged.seconds, 1),
        },
    }
    text = json.dumps(record, indent=1)
    out.with_name(out.name + ".provenance.json").write_text(text, encoding="utf-8")
    (adapter.folder / PROVENANCE_FILE).write_text(text, encoding="utf-8")
    return model


def evaluate_adapter(
    paths: AppPaths,
    adapter: TunedAdapter,
    limit: int | None = None,
    with_few_shot: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ABResult:
    from engine.tuning.ab import default_arms

    base = choice_for(model_registry.load(paths).get(adapter.base_key), paths).path
    result = run_ab(
        base, adapter.path, heldout_items()[:limit], default_arms(with_few_shot), progress, cancel
    )
    save_evaluation(adapter, asdict(result))
    return result

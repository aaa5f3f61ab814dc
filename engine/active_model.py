"""Which model riddles, and how to start it: the one place the CLI and the GUI ask.

The active model comes from the registry (engine/model_registry.py); the bundled starter is the
default and the fallback when a chosen file has gone missing. The pipeline follows the model's
variant (engine.pipelines), and the device choice becomes a number of GPU layers (engine.hardware)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from engine.catalog import ModelShape
from engine.errors import EngineCrashed, GenerationError, ModelError
from engine.gguf_file import GgufHeader, read_header
from engine.hardware import GpuPlan, Machine, detect, gpu_layers_for, need_for_shape
from engine.inference import ModelInfo, Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.inference.placement import where_words
from engine.model_registry import InstalledModel, add, inspect_import, load
from engine.paths import AppPaths
from engine.pipelines import Pipeline, adapter_pipeline, default_pipeline, tuned_here
from engine.progress import CancelToken, ProgressCallback
from engine.riddling import DEFAULT_SAMPLING, ModelIdentity, Riddler
from engine.samples import sample_articles
from engine.settings import Settings, local_settings
from engine.starter import ensure_starter_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelChoice:
    path: Path
    sha256: str
    name: str
    size_tier: str
    variant: str  # "base" | "instruct"
    lora_path: Path | None = None
    key: str = ""  # the registry key, where it came from the registry

    @property
    def identity(self) -> ModelIdentity:
        adapter = self.lora_path.name if self.lora_path is not None else ""
        return ModelIdentity(self.path.name, self.sha256, self.size_tier, adapter)


@dataclass(frozen=True)
class SmokeResult:
    """One test riddle from a model: proof that it loads and speaks, or the reason it did not riddle."""

    riddle: str
    answer: str
    seconds: float
    problem: str = ""  # a sentence when the model ran but wrote no usable riddle


def starter_choice(paths: AppPaths) -> ModelChoice:
    starter = ensure_starter_model(paths.models)
    return ModelChoice(starter.path, starter.sha256, starter.name, starter.size_tier, starter.variant)


def custom_choice(path: Path) -> ModelChoice:
    """A GGUF the user named directly (its hash is computed when it is imported, not here)."""
    return ModelChoice(Path(path), "", Path(path).stem, "custom", "base")


def choice_for(model: InstalledModel, paths: AppPaths) -> ModelChoice:
    path = ensure_starter_model(paths.models).path if model.source == "bundled" else model.file
    lora = Path(model.adapter.path) if model.adapter else None
    return ModelChoice(path, model.sha256, model.name, model.tier, model.variant, lora, model.key)


def active_choice(paths: AppPaths) -> ModelChoice:
    """The model the user made active, or the bundled starter (also when the chosen file is gone)."""
    registry = load(paths)
    model = registry.active
    if model.source != "bundled" and not model.file.is_file():
        log.warning("the active model's file %s is missing; using the bundled starter", model.path)
        model = registry.models[0]
    return choice_for(model, paths)


def pipeline_for(choice: ModelChoice, model_info=None) -> Pipeline:  # noqa: ANN001 - () -> ModelInfo
    """Few-shot for base models, zero-shot (the model's own chat template) for instruct models, and
    the prompt it was trained on for a base with one of our own tuned adapters (it has learnt the
    format, so its prompt drops the examples; a foreign adapter keeps the base's pipeline)."""
    if choice.lora_path is not None and tuned_here(choice.lora_path):
        return adapter_pipeline()
    return default_pipeline(choice.variant == "instruct" and model_info is not None, model_info)


def open_riddler(
    choice: ModelChoice,
    settings: LocalSettings | None = None,
    sampling: Sampling = DEFAULT_SAMPLING,
) -> tuple[Riddler, LocalModel]:
    settings = settings or LocalSettings()
    if choice.lora_path is not None and settings.lora_path is None:
        settings = replace(settings, lora_path=str(choice.lora_path))
    model = LocalModel(choice.path, settings)
    return Riddler(model, pipeline_for(choice, model.load), choice.identity, sampling), model


# -- GPU or CPU ------------------------------------------------------------------------------------
def device_plan(choice: ModelChoice, device: str, machine: Machine, n_ctx: int = 2048) -> GpuPlan:
    """How many layers go to the GPU for this model under the user's Auto/GPU/CPU setting."""
    header = read_header(choice.path)
    need = need_for_shape(shape_of(header), choice.path.stat().st_size, n_ctx)
    return gpu_layers_for(device, shape_of(header), need, machine)


def settings_for(
    choice: ModelChoice, base: LocalSettings, device: str, machine: Machine
) -> tuple[LocalSettings, GpuPlan]:
    """`base` with n_gpu_layers decided by the fit check; the plan says, in words, why."""
    plan = device_plan(choice, device, machine, base.n_ctx)
    return replace(base, n_gpu_layers=plan.n_gpu_layers), plan


def worker_settings(choice: ModelChoice, settings: Settings, paths: AppPaths) -> LocalSettings:
    """What the worker is started with, for the CLI and the GUI alike: the user's settings, with as
    many layers on the GPU as the fit check allows for this model under the Device setting
    (blocking: it looks at the machine)."""
    base = local_settings(settings, gpu_offload=False)
    device = str(settings["inference.device"])
    if device == "cpu":
        return base
    tuned, plan = settings_for(choice, base, device, detect(paths.models))
    log.info("device plan for %s: %s", choice.path.name, plan.reason)
    return tuned


def ran_on(info: ModelInfo, plan: GpuPlan | None = None) -> str:
    """What actually ran, for the status line: layers llama.cpp offloaded and to which device (from its
    own load log), and, when the GPU was meant but the CPU runs it, the reason in words."""
    where = where_words(info.gpu_layers, info.layers_total, info.backend)
    text = f"{Path(info.path).name}: {where}" + (f", {info.kernels}" if info.kernels else "")
    if info.fallback:
        return f"{text}. {info.fallback}"
    return text + (f" (planned: {plan.reason})" if plan else "")


def shape_of(header: GgufHeader) -> ModelShape:
    meta, arch = header.metadata, header.architecture

    def number(key: str, default: int) -> int:
        try:
            return int(float(meta.get(f"{arch}.{key}", default)))
        except ValueError:
            return default

    heads = number("attention.head_count", 1)
    head_dim = number("attention.key_length", number("embedding_length", 0) // max(heads, 1))
    return ModelShape(header.block_count or 1, number("attention.head_count_kv", heads), max(head_dim, 1))


# -- your own GGUF -------------------------------------------------------------------------------
def smoke_test(
    choice: ModelChoice, settings: LocalSettings | None = None, cancel: CancelToken | None = None
) -> SmokeResult:
    """Load the model in a worker and ask for one riddle about a bundled sample article. A file that
    will not load raises ModelError/EngineCrashed; a model that speaks but riddles badly says so."""
    riddler, model = open_riddler(choice, settings or LocalSettings(idle_unload_s=None), DEFAULT_SAMPLING)
    started = time.perf_counter()
    try:
        model.load()
        riddle, _ = riddler.riddle(sample_articles()[0], cancel)
        return SmokeResult(riddle.text, riddle.answer, time.perf_counter() - started)
    except GenerationError as weak:
        return SmokeResult("", "", time.perf_counter() - started, weak.sentence)
    finally:
        model.close()


def import_checked(
    paths: AppPaths,
    path: Path,
    settings: LocalSettings | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> tuple[InstalledModel, SmokeResult]:
    """Import a local GGUF: bounded header check, sha256, then one test riddle; registered only if
    llama.cpp loads it."""
    model = inspect_import(path, progress, cancel)
    try:
        smoke = smoke_test(choice_for(model, paths), settings, cancel)
    except (ModelError, EngineCrashed) as refused:
        raise ModelError(
            f"{Path(path).name} passed the header check but llama.cpp could not load it, so it was "
            f"not imported. ({refused.sentence})"
        ) from refused
    add(paths, model)
    return model, smoke

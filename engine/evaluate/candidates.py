"""Candidates: a model (a GGUF path, a file in the models folder, or "starter") with a pipeline name.
Generation goes through the app's own Riddler, so a new pipeline in engine.pipelines is evaluated
exactly as the reader would use it (guided, for a local model); the harness measures an output the
validator rejects from the Riddler's last attempt. `RecordingBackend` is for callers that drive a
backend's `complete` themselves (bench/evaluate.py): wrapped, a local model is not guided."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import engine.pipelines
from engine.errors import EngineError, ModelError
from engine.inference import Completion, ModelInfo, Sampling, TextCallback
from engine.inference.service import ServiceSettings
from engine.paths import AppPaths
from engine.pipelines import Pipeline
from engine.progress import CancelToken

STARTER = "starter"
# Pipeline names and the engine.pipelines class that implements each; a pipeline that another issue
# adds under one of these names is picked up without a change here.
_PIPELINE_CLASSES = {
    "few-shot": "FewShotPipeline",
    "zero-shot": "ZeroShotPipeline",
    "service": "ServicePipeline",
}


@dataclass(frozen=True)
class Candidate:
    model: str  # as the user named it
    pipeline: str

    @property
    def label(self) -> str:
        name = self.model.partition("#")[2] or self.model if "://" in self.model else Path(self.model).stem
        return f"{name} · {self.pipeline}"


@dataclass(frozen=True)
class ResolvedModel:
    path: Path  # for a service: its model name, as a path-like label
    sha256: str
    size_tier: str
    service: ServiceSettings | None = None  # set for an OpenAI-compatible endpoint

    @property
    def file_size(self) -> int:
        return 0 if self.service is not None else self.path.stat().st_size


def resolve_model(spec: str, paths: AppPaths) -> ResolvedModel:
    """A model as the user named it: "starter", a path to a GGUF file, a file in the models folder, or
    an OpenAI-compatible service as BASE_URL#MODEL (e.g. http://127.0.0.1:8080/v1#qwen2.5-7b)."""
    if spec.lower().startswith(("http://", "https://")):
        base_url, _, model = spec.partition("#")
        return ResolvedModel(
            Path(model or "default"), "", "service", ServiceSettings(base_url.rstrip("/"), model or "default")
        )
    if spec == STARTER:
        from engine.starter import ensure_starter_model

        starter = ensure_starter_model(paths.models)
        return ResolvedModel(starter.path, starter.sha256, starter.size_tier)
    for path in (Path(spec).expanduser(), paths.models / spec, paths.models / f"{spec}.gguf"):
        if path.is_file():
            return ResolvedModel(path.resolve(), file_sha256(path), "custom")
    raise ModelError(f'There is no model "{spec}": name a GGUF file, a file in {paths.models}, or "starter".')


def installed_models(paths: AppPaths) -> list[Path]:
    return sorted(p for p in paths.models.glob("*.gguf") if p.is_file()) if paths.models.is_dir() else []


def default_solver(paths: AppPaths) -> Path:
    """The largest installed model is the most capable judge available; the starter if none is."""
    installed = installed_models(paths)
    return max(installed, key=lambda p: p.stat().st_size) if installed else resolve_model(STARTER, paths).path


def pipeline_named(name: str, model_info: Callable[[], ModelInfo] | None = None) -> Pipeline:
    """The app's own pipeline of that name (zero-shot reads the chat template through model_info)."""
    by_name = getattr(engine.pipelines, "pipeline_named", None)
    if callable(by_name):
        try:
            return by_name(name, model_info)
        except ValueError as problem:
            raise EngineError(f'The pipeline "{name}" cannot be used here ({problem}).') from None
    cls = getattr(engine.pipelines, _PIPELINE_CLASSES.get(name, ""), None)
    if cls is None:
        known = ", ".join(n for n, c in _PIPELINE_CLASSES.items() if hasattr(engine.pipelines, c))
        raise EngineError(f'The pipeline "{name}" is not available in this version (available: {known}).')
    return cls()


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class RecordingBackend:
    """Passes every call through to a backend and keeps the last completion (text and timings)."""

    def __init__(self, backend: Any):
        self.backend = backend
        self.last: Completion | None = None

    def complete(
        self,
        prompt: str,
        sampling: Sampling,
        on_text: TextCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        self.last = None
        self.last = self.backend.complete(prompt, sampling, on_text=on_text, cancel=cancel)
        return self.last

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


def peak_rss_bytes(pid: int | None) -> int | None:
    """The worker's peak resident memory so far: exact on Linux (VmHWM) and Windows (peak working
    set); elsewhere the current RSS, which the harness samples after every riddle."""
    if pid is None:
        return None
    status = Path(f"/proc/{pid}/status")
    try:
        if status.is_file():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        import psutil

        info = psutil.Process(pid).memory_info()
        return int(getattr(info, "peak_wset", 0) or info.rss) if sys.platform == "win32" else int(info.rss)
    except (OSError, ValueError, ImportError):
        return None

"""Which model riddles, and how to start it: the one place the CLI and the GUI ask."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.paths import AppPaths
from engine.pipelines import FewShotPipeline, Pipeline
from engine.riddling import DEFAULT_SAMPLING, ModelIdentity, Riddler
from engine.starter import ensure_starter_model


@dataclass(frozen=True)
class ModelChoice:
    path: Path
    sha256: str
    name: str
    size_tier: str
    variant: str  # "base" | "instruct"

    @property
    def identity(self) -> ModelIdentity:
        return ModelIdentity(self.path.name, self.sha256, self.size_tier)


def starter_choice(paths: AppPaths) -> ModelChoice:
    starter = ensure_starter_model(paths.models)
    return ModelChoice(starter.path, starter.sha256, starter.name, starter.size_tier, starter.variant)


def custom_choice(path: Path) -> ModelChoice:
    """A GGUF the user named directly (its hash is computed when it is imported, not here)."""
    return ModelChoice(Path(path), "", Path(path).stem, "custom", "base")


def pipeline_for(choice: ModelChoice) -> Pipeline:
    return FewShotPipeline()


def open_riddler(
    choice: ModelChoice,
    settings: LocalSettings | None = None,
    sampling: Sampling = DEFAULT_SAMPLING,
) -> tuple[Riddler, LocalModel]:
    model = LocalModel(choice.path, settings or LocalSettings())
    return Riddler(model, pipeline_for(choice), choice.identity, sampling), model

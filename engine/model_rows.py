"""One row per model the user can see: every catalog file and every imported GGUF, with what this
machine and this user have (installed, active, a paused download's bytes, the fit verdict). The
Models page (desktop/model_list.py) and `riddlewire models list` show the same rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine import model_registry as registry
from engine.catalog import Catalog, ModelFile, ModelSpec
from engine.downloads import HubFile, partial_bytes
from engine.hardware import Fit, Machine, fit
from engine.model_registry import InstalledModel, Registry, catalog_key
from engine.paths import AppPaths

STATES = ("available", "downloading", "paused", "installed", "active", "failed")
INSTALLED_STATES = ("installed", "active")


@dataclass(frozen=True)
class ModelRow:
    key: str
    name: str
    spec: ModelSpec | None  # None for an imported file that is not in the catalog
    file: ModelFile | None
    installed: InstalledModel | None
    fit: Fit | None
    state: str  # one of STATES
    done: int = 0
    total: int = 0
    message: str = ""
    error: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def quant(self) -> str:
        return self.file.quant if self.file else (self.installed.quant if self.installed else "")

    @property
    def tier(self) -> str:
        return self.spec.tier if self.spec else "custom"

    @property
    def source(self) -> HubFile | None:
        """Where a catalog row downloads from (None for an import or the bundled model)."""
        if self.spec is None or self.file is None or self.spec.bundled:
            return None
        return HubFile.from_catalog(self.spec, self.file)


def build_rows(
    catalog: Catalog,
    installed_models: Registry,
    machine: Machine | None,
    partials: dict[str, int],
    n_ctx: int = 2048,
    device: str = "auto",
) -> list[ModelRow]:
    """Every catalog file and every imported model, with what this machine and this user have."""
    installed = {m.key: m for m in installed_models.models}
    rows = []
    for spec in catalog.entries:
        for file in spec.files:
            key = catalog_key(spec, file)
            verdict = fit(spec, file, machine, n_ctx, device) if machine else None
            model = installed.get(key)
            state = _state(key, model, installed_models, partials.get(key, 0))
            rows.append(
                ModelRow(
                    key,
                    spec.name,
                    spec,
                    file,
                    model,
                    verdict,
                    state,
                    done=partials.get(key, 0),
                    total=file.size_bytes,
                )
            )
    for model in installed_models.models:
        if model.source == "import":
            state = _state(model.key, model, installed_models, 0)
            rows.append(ModelRow(model.key, model.name, None, None, model, None, state))
    return rows


def partial_downloads(catalog: Catalog, folder: Path) -> dict[str, int]:
    """Bytes already fetched by unfinished downloads, by catalog key (engine.downloads keeps them)."""
    return {
        catalog_key(s, f): partial_bytes(HubFile.from_catalog(s, f), folder)
        for s in catalog.entries
        for f in s.files
        if not s.bundled
    }


def rows_on_disk(
    catalog: Catalog, paths: AppPaths, machine: Machine | None, n_ctx: int = 2048, device: str = "auto"
) -> list[ModelRow]:
    """build_rows over what is on disk now: the registry and the partial downloads (blocking)."""
    return build_rows(
        catalog, registry.load(paths), machine, partial_downloads(catalog, paths.models), n_ctx, device
    )


def _state(key: str, model: InstalledModel | None, installed: Registry, partial: int) -> str:
    if model is not None:
        return "active" if key == installed.active_key else "installed"
    return "paused" if partial else "available"

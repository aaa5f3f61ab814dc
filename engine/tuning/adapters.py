"""Tuned adapters the user owns: each lives in data/adapters/<name>/ as adapter.gguf plus
provenance.json (base hash, data counts, hyperparameters, losses) and, once measured, ab.json.
Switching one on attaches it to its base in the model registry (engine.model_registry), which
the riddler already follows; off detaches it; delete detaches it and removes the folder."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine import model_registry
from engine.paths import AppPaths
from engine.pipelines import PROVENANCE_FILE
from engine.tuning import TuningError
from engine.tuning.adapter_check import check_adapter
from engine.tuning.run import TrainingResult

ADAPTER_FILE = "adapter.gguf"


@dataclass(frozen=True)
class TunedAdapter:
    name: str
    folder: Path
    base_key: str
    provenance: dict
    evaluation: dict | None = None

    @property
    def path(self) -> Path:
        return self.folder / ADAPTER_FILE


def adapters_root(paths: AppPaths) -> Path:
    return paths.data / "adapters"


def register(paths: AppPaths, result: TrainingResult, base_key: str, *, use: bool = True) -> TunedAdapter:
    """Check the trained adapter against its base (the import check), keep it with its provenance,
    and (by default) switch it on."""
    base = model_registry.load(paths).get(base_key)
    base_path = _base_file(paths, base)
    info = check_adapter(result.adapter, base_path)
    spec = json.loads((result.run_dir / "run.json").read_text(encoding="utf-8"))
    name = datetime.now(UTC).strftime("riddles-%Y%m%d-%H%M%S")
    folder = adapters_root(paths) / name
    folder.mkdir(parents=True)
    shutil.copyfile(result.adapter, folder / ADAPTER_FILE)
    provenance = {
        "base_key": base_key,
        "base_file": base_path.name,
        "base_sha256": spec["base_sha256"],
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": spec["counts"],
        "excluded": spec["excluded"],
        "hyperparameters": spec["config"],
        "rank": info.rank,
        "alpha": info.alpha,
        "training": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(result).items()},
    }
    (folder / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=1), encoding="utf-8")
    adapter = TunedAdapter(name, folder, base_key, provenance)
    if use:
        switch_on(paths, adapter)
    return adapter


def tuned_adapters(paths: AppPaths) -> list[TunedAdapter]:
    """Newest first; a folder without readable provenance is skipped (it is not ours or not finished)."""
    found = []
    root = adapters_root(paths)
    for folder in sorted(root.iterdir(), reverse=True) if root.is_dir() else []:
        try:
            provenance = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        ab = folder / "ab.json"
        evaluation = json.loads(ab.read_text(encoding="utf-8")) if ab.is_file() else None
        found.append(
            TunedAdapter(folder.name, folder, provenance.get("base_key", ""), provenance, evaluation)
        )
    return found


def in_use(paths: AppPaths, adapter: TunedAdapter) -> bool:
    base = model_registry.load(paths).find(adapter.base_key)
    return bool(base and base.adapter and Path(base.adapter.path).resolve() == adapter.path.resolve())


def switch_on(paths: AppPaths, adapter: TunedAdapter) -> None:
    model_registry.attach_adapter(paths, adapter.base_key, adapter.path)


def switch_off(paths: AppPaths, adapter: TunedAdapter) -> None:
    if in_use(paths, adapter):
        model_registry.detach_adapter(paths, adapter.base_key)


def delete(paths: AppPaths, adapter: TunedAdapter) -> None:
    switch_off(paths, adapter)
    if adapter.folder.resolve().parent != adapters_root(paths).resolve():
        raise TuningError(f"{adapter.folder} is not in the adapters folder; it was left alone.")
    shutil.rmtree(adapter.folder)


def save_evaluation(adapter: TunedAdapter, evaluation: dict) -> TunedAdapter:
    (adapter.folder / "ab.json").write_text(json.dumps(evaluation, indent=1, default=str), encoding="utf-8")
    return TunedAdapter(adapter.name, adapter.folder, adapter.base_key, adapter.provenance, evaluation)


def _base_file(paths: AppPaths, base: model_registry.InstalledModel) -> Path:
    from engine.active_model import choice_for

    return choice_for(base, paths).path

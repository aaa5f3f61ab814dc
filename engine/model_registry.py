"""The models this user has: the bundled starter, downloads from the catalog, imported GGUF files, a
LoRA adapter attached to a base, and which one is active. Kept as a small JSON file in the data
folder (`models.json`), rewritten atomically under a lock, so two processes (the app and the CLI)
never lose each other's changes.

Downloaded files live in the models folder and are deleted on removal (disk reclaimed). Imported
files stay where the user keeps them; removing one only forgets it."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from engine.catalog import ModelFile, ModelSpec, load_catalog
from engine.downloads import Downloaded, exclusive, sha256_of
from engine.errors import ModelError
from engine.gguf_file import GgufHeader, read_header
from engine.paths import AppPaths
from engine.progress import CancelToken, ProgressCallback
from engine.starter import FILENAME as STARTER_FILE
from engine.starter import SHA256 as STARTER_SHA256
from engine.starter import SIZE_BYTES as STARTER_SIZE
from engine.starter import default_starter_adapter

log = logging.getLogger(__name__)
SCHEMA = 1


@dataclass(frozen=True)
class Adapter:
    path: str
    sha256: str
    name: str


@dataclass(frozen=True)
class InstalledModel:
    key: str  # "<catalog id>:<quant>" for catalog models, "import:<sha256 prefix>" for imports
    name: str
    path: str
    sha256: str
    size_bytes: int
    source: str  # "bundled" | "catalog" | "import"
    variant: str  # "base" | "instruct"
    tier: str  # a catalog tier, or "custom"
    quant: str
    catalog_id: str = ""
    architecture: str = ""
    parameter_count: int = 0
    context_length: int | None = None
    adapter: Adapter | None = None

    @property
    def file(self) -> Path:
        return Path(self.path)


@dataclass(frozen=True)
class Registry:
    models: tuple[InstalledModel, ...]
    active_key: str

    def get(self, key: str) -> InstalledModel:
        for model in self.models:
            if model.key == key:
                return model
        raise ModelError(f'No installed model is called "{key}". `riddlewire models list` shows them.')

    def find(self, key: str) -> InstalledModel | None:
        return next((m for m in self.models if m.key == key), None)

    @property
    def active(self) -> InstalledModel:
        return self.find(self.active_key) or self.models[0]


def catalog_key(spec: ModelSpec, file: ModelFile) -> str:
    return f"{spec.id}:{file.quant}"


def registry_file(paths: AppPaths) -> Path:
    return paths.data / "models.json"


def starter_entry(paths: AppPaths) -> InstalledModel:
    spec = load_catalog().bundled
    file = spec.file()
    return InstalledModel(
        catalog_key(spec, file),
        spec.name,
        str(paths.models / STARTER_FILE),
        STARTER_SHA256,
        STARTER_SIZE,
        "bundled",
        spec.variant,
        spec.tier,
        file.quant,
        spec.id,
        "gemma3",
        int(spec.params_b * 1e9),
        spec.context_length,
    )


# -- reading and writing -------------------------------------------------------------------------
def load(paths: AppPaths) -> Registry:
    """The registry; the bundled starter is always first, and active unless another model is chosen."""
    starter = starter_entry(paths)
    raw = _read(registry_file(paths))
    models = [starter] + [
        m for m in (_model(item) for item in raw.get("models", [])) if m and m.key != starter.key
    ]
    adapters = raw.get("starter_adapter")
    if "starter_adapter" not in raw and (shipped := default_starter_adapter()) is not None:
        # a new install (nothing written yet) starts with the tuned starter where it is the default
        adapters = {"path": str(shipped.path), "sha256": shipped.sha256, "name": shipped.name}
    if adapters:
        models[0] = replace(starter, adapter=Adapter(**adapters))
    keys = {m.key for m in models}
    active = raw.get("active") if raw.get("active") in keys else starter.key
    return Registry(tuple(models), active)


def _read(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        return raw
    except (OSError, ValueError) as exc:
        # Set it aside rather than overwrite it: nothing the user had is lost, and model files stay.
        aside = path.with_suffix(".json.broken")
        os.replace(path, aside)
        log.warning("models.json could not be read (%s); kept as %s", exc, aside)
        return {}


def _model(item: dict) -> InstalledModel | None:
    try:
        adapter = Adapter(**item["adapter"]) if item.get("adapter") else None
        return InstalledModel(**{**item, "adapter": adapter})
    except (TypeError, KeyError):
        log.warning("skipping an unreadable entry in models.json: %r", item)
        return None


def _write(paths: AppPaths, registry: Registry) -> None:
    path = registry_file(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    starter = registry.models[0]
    payload = {
        "schema": SCHEMA,
        "active": registry.active_key,
        "models": [asdict(m) for m in registry.models if m.source != "bundled"],
        "starter_adapter": asdict(starter.adapter) if starter.adapter else None,
    }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def _update(paths: AppPaths, change) -> Registry:  # noqa: ANN001 - change(Registry) -> Registry
    with exclusive(registry_file(paths).with_suffix(".lock")):
        registry = change(load(paths))
        _write(paths, registry)
        return registry


# -- changes -------------------------------------------------------------------------------------
def add(paths: AppPaths, model: InstalledModel) -> Registry:
    def change(registry: Registry) -> Registry:
        others = tuple(m for m in registry.models if m.key != model.key)
        return Registry(others + (model,), registry.active_key)

    return _update(paths, change)


def register_download(paths: AppPaths, spec: ModelSpec, file: ModelFile, done: Downloaded) -> InstalledModel:
    model = InstalledModel(
        catalog_key(spec, file),
        spec.name,
        str(done.path),
        done.sha256,
        done.size_bytes,
        "catalog",
        spec.variant,
        spec.tier,
        file.quant,
        spec.id,
        "",
        int(spec.params_b * 1e9),
        spec.context_length,
    )
    add(paths, model)
    return model


def set_active(paths: AppPaths, key: str) -> InstalledModel:
    def change(registry: Registry) -> Registry:
        chosen = registry.get(key)
        if not chosen.file.is_file() and chosen.source != "bundled":
            raise ModelError(
                f"The file of {chosen.name} is missing ({chosen.path}). Download or import it again."
            )
        return Registry(registry.models, key)

    return _update(paths, change).active


def remove(paths: AppPaths, key: str) -> int:
    """Forget a model; a file in the models folder (downloaded or merged) is deleted too. Returns the
    bytes reclaimed. If it was active, the bundled starter becomes active again."""
    removed: list[InstalledModel] = []

    def change(registry: Registry) -> Registry:
        model = registry.get(key)
        if model.source == "bundled":
            raise ModelError(
                f"{model.name} is the bundled starter model and cannot be removed; it is part of "
                "Riddlewire and takes no download."
            )
        removed.append(model)
        active = registry.active_key if registry.active_key != key else registry.models[0].key
        return Registry(tuple(m for m in registry.models if m.key != key), active)

    _update(paths, change)
    model = removed[0]
    # A file Riddlewire wrote (a download, a merged adapter) lives in its models folder and goes with
    # the entry; a GGUF the user imported stays where it is, theirs to keep.
    ours = model.source == "catalog" or model.file.resolve().parent == paths.models.resolve()
    if ours and model.file.is_file():
        size = model.file.stat().st_size
        model.file.unlink()
        model.file.with_name(model.file.name + ".provenance.json").unlink(missing_ok=True)
        return size
    return 0


# -- your own GGUF -------------------------------------------------------------------------------
def import_gguf(
    paths: AppPaths, path: Path, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> InstalledModel:
    """Register a local .gguf (see inspect_import). The file stays where it is."""
    model = inspect_import(path, progress, cancel)
    add(paths, model)
    return model


def inspect_import(
    path: Path, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> InstalledModel:
    """What a local .gguf would be once imported: its header checked with the bounded reader (llama.cpp
    never sees a file that fails it) and its sha256. Nothing is registered yet."""
    path = Path(path).expanduser().resolve()
    header = read_header(path)
    if header.kind == "adapter":
        raise ModelError(f"{path.name} is a LoRA adapter, not a model. Attach it to a base model instead.")
    if header.tensor_count == 0:
        raise ModelError(
            f"{path.name} has no weights (no tensors), so it cannot be a model. Choose another file."
        )
    digest = sha256_of(path, cancel, progress)
    known = load_catalog().find_file(path.name)
    return InstalledModel(
        key=f"import:{digest[:12]}",
        name=header.name or path.stem,
        path=str(path),
        sha256=digest,
        size_bytes=path.stat().st_size,
        source="import",
        variant=header.variant,
        tier=known[0].tier if known else "custom",
        quant=header.file_type or "?",
        catalog_id=known[0].id if known else "",
        architecture=header.architecture,
        parameter_count=header.parameter_count,
        context_length=header.context_length,
    )


def attach_adapter(paths: AppPaths, key: str, adapter_path: Path) -> InstalledModel:
    """Attach a LoRA adapter GGUF to an installed model (llama.cpp applies it at load, `lora_path`)."""
    adapter_path = Path(adapter_path).expanduser().resolve()
    header: GgufHeader = read_header(adapter_path)
    if header.kind != "adapter":
        raise ModelError(f"{adapter_path.name} is not a LoRA adapter (its general.type is not 'adapter').")
    adapter = Adapter(str(adapter_path), sha256_of(adapter_path), header.name or adapter_path.stem)
    return _set_adapter(paths, key, adapter)


def detach_adapter(paths: AppPaths, key: str) -> InstalledModel:
    return _set_adapter(paths, key, None)


def _set_adapter(paths: AppPaths, key: str, adapter: Adapter | None) -> InstalledModel:
    def change(registry: Registry) -> Registry:
        models = tuple(replace(m, adapter=adapter) if m.key == key else m for m in registry.models)
        registry.get(key)
        return Registry(models, registry.active_key)

    return _update(paths, change).get(key)

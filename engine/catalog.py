"""The model catalog (resources/models/catalog.json): which models Riddlewire offers, in which sizes,
variants and quantizations, where each file lives on the Hugging Face Hub, and its licence.

The API here is small and stable on purpose (the first-run "pick your model size" flow builds on it):
`load_catalog()` -> `Catalog`, whose `entries` are frozen `ModelSpec`s, each with its `ModelFile`s."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from engine.errors import ModelError
from engine.paths import resource

TIERS = ("tiny", "small", "medium", "large")
VARIANTS = ("base", "instruct")
DEFAULT_QUANT = "Q4_K_M"
CATALOG_FILE = resource("models", "catalog.json")


@dataclass(frozen=True)
class ModelShape:
    """What the KV cache needs: it grows with layers x kv heads x head width x context."""

    layers: int
    kv_heads: int
    head_dim: int


@dataclass(frozen=True)
class ModelFile:
    quant: str
    filename: str
    size_bytes: int
    sha256: str | None  # None: not pinned offline; the Hub's X-Linked-Etag is the reference


@dataclass(frozen=True)
class ModelSpec:
    id: str
    name: str
    family: str
    tier: str
    params_b: float
    variant: str
    context_length: int
    license: str
    license_url: str
    gated: bool
    repo_id: str
    revision: str
    bundled: bool
    notes: str
    shape: ModelShape
    files: tuple[ModelFile, ...]

    def file(self, quant: str | None = None) -> ModelFile:
        """The file for `quant`, or the default quantization (Q4_K_M where offered, else the first)."""
        wanted = quant or DEFAULT_QUANT
        for candidate in self.files:
            if candidate.quant == wanted:
                return candidate
        if quant is None:
            return self.files[0]
        offered = ", ".join(f.quant for f in self.files)
        raise ModelError(f"{self.name} is not offered as {quant}; choose one of: {offered}.")

    @property
    def quants(self) -> tuple[str, ...]:
        return tuple(f.quant for f in self.files)


@dataclass(frozen=True)
class Catalog:
    entries: tuple[ModelSpec, ...]

    def get(self, model_id: str) -> ModelSpec:
        for spec in self.entries:
            if spec.id == model_id:
                return spec
        raise ModelError(
            f'There is no model called "{model_id}" in the catalog. '
            "`riddlewire models list` shows the ones on offer."
        )

    def in_tier(self, tier: str) -> tuple[ModelSpec, ...]:
        return tuple(spec for spec in self.entries if spec.tier == tier)

    def find_file(self, filename: str) -> tuple[ModelSpec, ModelFile] | None:
        for spec in self.entries:
            for candidate in spec.files:
                if candidate.filename == filename:
                    return spec, candidate
        return None

    @property
    def bundled(self) -> ModelSpec:
        return next(spec for spec in self.entries if spec.bundled)


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and check the catalog. The shipped one is cached; a path given explicitly is read afresh."""
    if path is None:
        return _shipped_catalog()
    return _read(Path(path))


@lru_cache(maxsize=1)
def _shipped_catalog() -> Catalog:
    return _read(CATALOG_FILE)


def _read(path: Path) -> Catalog:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        entries = tuple(_spec(item) for item in raw["models"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"The model catalog {path} cannot be read ({exc}). Reinstall Riddlewire.") from exc
    ids = [spec.id for spec in entries]
    if len(set(ids)) != len(ids):
        raise ModelError(f"The model catalog {path} lists a model twice. Reinstall Riddlewire.")
    return Catalog(entries)


def _spec(item: dict) -> ModelSpec:
    files = tuple(
        ModelFile(f["quant"], f["filename"], int(f["size_bytes"]), (f.get("sha256") or None))
        for f in item["files"]
    )
    if not files:
        raise ValueError(f"{item['id']} has no files")
    if item["tier"] not in TIERS or item["variant"] not in VARIANTS:
        raise ValueError(f"{item['id']} has an unknown tier or variant")
    for f in files:
        if f.sha256 is not None and (
            len(f.sha256) != 64 or not all(c in "0123456789abcdef" for c in f.sha256)
        ):
            raise ValueError(f"{f.filename} has a malformed sha256")
    shape = item["shape"]
    return ModelSpec(
        id=item["id"],
        name=item["name"],
        family=item["family"],
        tier=item["tier"],
        params_b=float(item["params_b"]),
        variant=item["variant"],
        context_length=int(item["context_length"]),
        license=item["license"],
        license_url=item.get("license_url", ""),
        gated=bool(item.get("gated", False)),
        repo_id=item.get("repo_id", ""),
        revision=item.get("revision") or "main",
        bundled=bool(item.get("bundled", False)),
        notes=item.get("notes", ""),
        shape=ModelShape(int(shape["layers"]), int(shape["kv_heads"]), int(shape["head_dim"])),
        files=files,
    )

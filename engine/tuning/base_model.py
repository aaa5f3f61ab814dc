"""The base model as transformers sees it, for training only (imported in the training process).

transformers reads the quantized GGUF and dequantises it; the first time takes about a minute,
mostly converting the tokenizer. The result is saved once per base file hash in the cache folder,
so later runs load it in seconds. Training on the dequantised weights of the very file llama.cpp
runs keeps the adapter aligned with the base it will be applied to."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_folder(cache_root: Path, base_sha256: str) -> Path:
    return Path(cache_root) / "tuning" / f"hf-{base_sha256[:16]}"


def load_base(
    base_gguf: Path, base_sha256: str, cache_root: Path, say: Callable[[str], None]
) -> tuple[Any, Any]:
    """(model in float32, tokenizer), converting and caching on first use."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = cache_folder(cache_root, base_sha256)
    if not (folder / "complete").is_file():
        say("Preparing the base model for training (once per model, about a minute)…")
        _convert(Path(base_gguf), folder)
    say("Loading the base model…")
    # eager attention: the recommended path for training Gemma 3 (sdpa differs in its soft-capping)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype="float32", attn_implementation="eager")
    return model, AutoTokenizer.from_pretrained(folder)


def _convert(base_gguf: Path, folder: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_gguf.parent, gguf_file=base_gguf.name)
    model = AutoModelForCausalLM.from_pretrained(base_gguf.parent, gguf_file=base_gguf.name, dtype="float32")
    # The weights are plain float32 now; without these two the saved folder claims to be GGUF-quantized.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    (partial / "complete").write_text(base_gguf.name + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)

"""Merge and quantize: bake a tuned LoRA adapter into its base, giving a standalone GGUF that runs
without `lora_path` (for tools that take no adapters, or to share one file).

The route needs only what the app already ships (the `gguf` package and llama.cpp): converting a
transformers checkpoint back to GGUF would need llama.cpp's converter script, which the wheel lacks.
1. Read the quantized base with gguf's reader; for each weight the adapter touches, dequantize it
   and add scale·B·A (scale = alpha / rank, as llama.cpp applies the adapter).
2. Write a new GGUF with every other tensor and every metadata key copied byte for byte, and the
   merged tensors in one of two ways:
   - "Q8_0" (the default) or "F16": the merged tensors are quantized here (gguf.quants) and the file
     is done: the base's size plus a little (the starter: +1.7% with Q8_0).
   - "Q4_K_M" (the base's own scheme): merged tensors are written in F32 and llama.cpp quantizes the
     file (llama_model_quantize). A tensor already of the type the scheme picks is copied, not
     requantized, so only the merged ones are quantized again and the size is exactly the base's;
     requantizing anything else is refused unless llama.cpp needs it (then allowed and recorded).
Why Q8_0 is the default, measured on the starter (BENCHMARKS.md): its attention weights are Q5_0,
whose rounding error (std ≈ 0.0012) is as large as a trained LoRA's whole update, so a Q4_K_M merge
loses much of what was trained; Q8_0's error is ten times smaller. A merge of an all-zero adapter
gives back the base byte for byte either way (tested)."""

from __future__ import annotations

import ctypes
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter, Keys
from gguf.quants import dequantize, quantize

from engine.errors import Cancelled
from engine.progress import CancelToken, Progress, ProgressCallback
from engine.tuning import TuningError

# Merged tensors quantized here, the rest copied: the file is ready as written.
MERGED_TYPES = {"Q8_0": GGMLQuantizationType.Q8_0, "F16": GGMLQuantizationType.F16}
# The whole file through llama.cpp's quantizer (llama_ftype): Q4_K_M is the starter's own scheme.
FILE_TYPES = {"Q4_K_M": 15, "Q5_K_M": 17}
QUANTS = (*MERGED_TYPES, *FILE_TYPES)


@dataclass(frozen=True)
class MergedModel:
    path: Path
    quant: str
    merged_tensors: int
    size_bytes: int
    requantized: bool  # llama.cpp had to requantize tensors the adapter did not touch
    seconds: float


def merge_adapter(
    base: Path,
    adapter: Path,
    out: Path,
    *,
    quant: str = "Q8_0",
    name: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> MergedModel:
    """Write base + adapter, merged and quantized, to `out` (atomically)."""
    if quant not in QUANTS:
        raise TuningError(f"Cannot quantize to {quant}; choose one of {', '.join(QUANTS)}.")
    report = progress or (lambda _p: None)
    started = time.perf_counter()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    unquantized = out.with_name(out.name + ".f32.partial")
    partial = out.with_name(out.name + ".partial")
    try:
        report(Progress("merging", 0, 3, "Adding the adapter to the base weights…"))
        requantized = False
        if quant in MERGED_TYPES:
            count = write_merged(
                Path(base), Path(adapter), partial, MERGED_TYPES[quant], name=name, cancel=cancel
            )
        else:
            count = write_merged(Path(base), Path(adapter), unquantized, name=name, cancel=cancel)
            if cancel is not None:
                cancel.raise_if_cancelled()
            report(Progress("merging", 1, 3, f"Quantizing to {quant}…"))
            requantized = not _quantize(unquantized, partial, FILE_TYPES[quant], allow_requantize=False)
            if requantized and not _quantize(unquantized, partial, FILE_TYPES[quant], allow_requantize=True):
                raise TuningError(
                    "llama.cpp could not quantize the merged model; base and adapter are unchanged."
                )
        report(Progress("merging", 2, 3, "Checking the merged model…"))
        check_same_layout(Path(base), partial)
        os.replace(partial, out)
    finally:
        unquantized.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    report(Progress("merging", 3, 3, "Merged."))
    return MergedModel(out, quant, count, out.stat().st_size, requantized, time.perf_counter() - started)


def lora_pairs(adapter: Path) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], float]:
    """({base tensor name: (A rank×in, B out×rank)}, alpha) from a GGUF LoRA adapter."""
    reader = GGUFReader(adapter)
    alpha_field = reader.fields.get(Keys.Adapter.LORA_ALPHA)
    if alpha_field is None:
        raise TuningError(f"{adapter.name} has no LoRA alpha; it is not a LoRA adapter this app can merge.")
    alpha = float(alpha_field.contents())
    halves: dict[str, dict[str, np.ndarray]] = {}
    for tensor in reader.tensors:
        stem, _, side = tensor.name.rpartition(".lora_")
        if side not in ("a", "b"):
            continue
        data = (
            tensor.data
            if tensor.tensor_type == GGMLQuantizationType.F32
            else dequantize(tensor.data, tensor.tensor_type)
        )
        halves.setdefault(stem, {})[side] = np.asarray(data, dtype=np.float32)
    pairs = {}
    for stem, sides in halves.items():
        if set(sides) != {"a", "b"}:
            raise TuningError(f"{adapter.name} holds only half of the LoRA pair for {stem}.")
        pairs[stem] = (sides["a"], sides["b"])
    if not pairs:
        raise TuningError(f"{adapter.name} holds no LoRA tensors.")
    return pairs, alpha


def write_merged(
    base: Path,
    adapter: Path,
    out: Path,
    tensor_type: GGMLQuantizationType = GGMLQuantizationType.F32,
    *,
    name: str | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """The base with scale·B·A added to each touched weight, written as `tensor_type` (everything else
    copied as is); returns how many weights were merged."""
    as_f32 = tensor_type == GGMLQuantizationType.F32
    pairs, alpha = lora_pairs(adapter)
    reader = GGUFReader(base)
    architecture = reader.fields[Keys.General.ARCHITECTURE].contents()
    writer = GGUFWriter(str(out), architecture)
    for field in reader.fields.values():
        if field.name == Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue  # the writer writes these itself
        value = field.contents()
        if field.name == Keys.General.NAME and name:
            value = name
        if field.name == Keys.General.FILE_TYPE and as_f32:
            value = 0  # all F32 (for the touched tensors' sake); the quantizer writes the real one
        kind = field.types[0]
        writer.add_key_value(
            field.name, value, kind, sub_type=field.types[-1] if kind == GGUFValueType.ARRAY else None
        )
    if name and Keys.General.NAME not in reader.fields:
        writer.add_name(name)
    merged = 0
    for tensor in reader.tensors:
        if cancel is not None and cancel.cancelled:
            writer.close()
            raise Cancelled("Merging stopped at your request; nothing was written.")
        pair = pairs.get(tensor.name)
        if pair is None:
            writer.add_tensor(
                tensor.name, tensor.data, raw_shape=tensor.data.shape, raw_dtype=tensor.tensor_type
            )
            continue
        a, b = pair
        weight = np.asarray(dequantize(tensor.data, tensor.tensor_type), dtype=np.float32)
        if weight.shape != (b.shape[0], a.shape[1]) or a.shape[0] != b.shape[1]:
            writer.close()
            raise TuningError(
                f"The adapter does not fit this base: {tensor.name} is {weight.shape[0]}×"
                f"{weight.shape[1]}, the adapter's update is {b.shape[0]}×{a.shape[1]}."
            )
        scale = alpha / a.shape[0]
        updated = np.ascontiguousarray(weight + scale * (b @ a), dtype=np.float32)
        if tensor_type in (GGMLQuantizationType.F32, GGMLQuantizationType.F16):
            writer.add_tensor(tensor.name, updated if as_f32 else updated.astype(np.float16))
        else:
            packed = quantize(updated, tensor_type)
            writer.add_tensor(tensor.name, packed, raw_shape=packed.shape, raw_dtype=tensor_type)
        merged += 1
    if merged != len(pairs):
        writer.close()
        missing = sorted(set(pairs) - {t.name for t in reader.tensors})
        raise TuningError(f"The adapter changes weights this base does not have ({', '.join(missing[:3])}).")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return merged


def _quantize(source: Path, target: Path, ftype: int, *, allow_requantize: bool) -> bool:
    import llama_cpp

    from engine.inference import backends

    backends.ensure_loaded()  # quantizing runs ggml's CPU code, which a dynamic build loads on demand

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.allow_requantize = allow_requantize
    params.nthread = 0  # llama.cpp's choice: all cores
    code = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    return code == 0


def check_same_layout(base: Path, merged: Path) -> None:
    """The merged file has the base's tensors, shapes and types: a model the app already knows how to run."""
    want = {t.name: (t.tensor_type, tuple(t.shape.tolist())) for t in GGUFReader(base).tensors}
    got = {t.name: (t.tensor_type, tuple(t.shape.tolist())) for t in GGUFReader(merged).tensors}
    if set(want) != set(got):
        raise TuningError("The merged model lost or gained tensors; it was not kept.")
    changed = sorted(n for n in want if want[n][1] != got[n][1])
    if changed:
        raise TuningError(f"The merged model's {changed[0]} has the wrong shape; it was not kept.")

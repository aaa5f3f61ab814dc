"""Write a trained LoRA as a GGUF adapter that llama.cpp applies to the quantized base with
`lora_path`: general.type=adapter, adapter.type=lora, adapter.lora.alpha, and per projection the
tensors blk.N.<name>.weight.lora_a / .lora_b holding peft's A (rank × in) and B (out × rank) as
trained. numpy and gguf only: no torch here."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from gguf import GGUFWriter, Keys

# peft module names (Hugging Face layer names) -> llama.cpp tensor names
GGUF_NAMES = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}
_PEFT_KEY = re.compile(r"layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.lora_([AB])(?:\.default)?\.weight$")


def gguf_tensor_name(peft_key: str) -> str:
    """'base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight' -> 'blk.3.attn_q.weight.lora_a'."""
    match = _PEFT_KEY.search(peft_key)
    if match is None or match.group(2) not in GGUF_NAMES:
        raise ValueError(f"not a LoRA tensor this exporter knows: {peft_key}")
    layer, module, side = match.groups()
    return f"blk.{layer}.{GGUF_NAMES[module]}.weight.lora_{side.lower()}"


def write_adapter(
    path: Path, lora: dict[str, np.ndarray], *, alpha: float, architecture: str, name: str = "riddlewire-lora"
) -> Path:
    """Write `lora` (peft state-dict keys -> arrays) to `path`, atomically."""
    tensors = {
        gguf_tensor_name(key): np.ascontiguousarray(value, dtype=np.float32) for key, value in lora.items()
    }
    for tensor_name in tensors:
        partner = tensor_name[:-1] + ("b" if tensor_name.endswith("a") else "a")
        if partner not in tensors:
            raise ValueError(f"{tensor_name} has no {partner}")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    writer = GGUFWriter(str(partial), architecture)
    writer.add_type("adapter")
    writer.add_string(Keys.Adapter.TYPE, "lora")
    writer.add_float32(Keys.Adapter.LORA_ALPHA, float(alpha))
    writer.add_name(name)
    for tensor_name in sorted(tensors, key=_layer_order):
        writer.add_tensor(tensor_name, tensors[tensor_name])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(partial, path)
    return path


def as_float16(source: Path, target: Path) -> Path:
    """The same adapter with its tensors in float16 (half the bytes; llama.cpp applies either),
    for an adapter that is committed to the repository. Metadata as written by write_adapter."""
    from gguf import GGUFReader

    reader = GGUFReader(str(source))

    def field(key: str):  # noqa: ANN202 - str | float
        return reader.fields[key].contents()

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    writer = GGUFWriter(str(partial), field("general.architecture"))
    writer.add_type("adapter")
    writer.add_string(Keys.Adapter.TYPE, "lora")
    writer.add_float32(Keys.Adapter.LORA_ALPHA, float(field(Keys.Adapter.LORA_ALPHA)))
    writer.add_name(field("general.name"))
    for tensor in sorted(reader.tensors, key=lambda t: _layer_order(t.name)):
        # GGUFReader gives the data in GGML's order (the reverse of its listed shape): as written
        writer.add_tensor(tensor.name, np.ascontiguousarray(tensor.data, dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(partial, target)
    return target


def _layer_order(tensor_name: str) -> tuple[int, str]:
    return int(tensor_name.split(".")[1]), tensor_name

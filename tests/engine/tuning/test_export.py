"""The GGUF LoRA exporter and the import check, on a real (synthetic) llama-architecture GGUF: names
and shapes, llama.cpp applying the adapter, and malformed adapters refused with a reason."""

from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFReader, GGUFWriter

from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.tuning import TuningError
from engine.tuning.adapter_check import check_adapter
from engine.tuning.export import gguf_tensor_name, write_adapter

WIDTH, LAYERS, RANK = 256, 4, 4  # the shape of tests/support write_random_model


def peft_lora(scale: float = 0.01, rank: int = RANK, out: int = WIDTH) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    lora = {}
    for layer in range(LAYERS):
        for module in ("q_proj", "v_proj"):
            key = f"base_model.model.model.layers.{layer}.self_attn.{module}"
            lora[f"{key}.lora_A.weight"] = rng.standard_normal((rank, WIDTH)).astype(np.float32) * scale
            lora[f"{key}.lora_B.weight"] = rng.standard_normal((out, rank)).astype(np.float32) * scale
    return lora


def test_peft_names_map_to_llama_cpp_names():
    assert (
        gguf_tensor_name("base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight")
        == "blk.3.attn_q.weight.lora_a"
    )
    assert (
        gguf_tensor_name("base_model.model.model.layers.17.mlp.down_proj.lora_B.weight")
        == "blk.17.ffn_down.weight.lora_b"
    )
    with pytest.raises(ValueError):
        gguf_tensor_name("base_model.model.lm_head.weight")


def test_written_adapter_has_the_keys_names_and_shapes_llama_cpp_expects(tmp_path, random_gguf):
    path = write_adapter(tmp_path / "a.gguf", peft_lora(), alpha=8.0, architecture="llama")
    reader = GGUFReader(str(path))
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.type"].contents() == "lora"
    assert reader.fields["adapter.lora.alpha"].contents() == 8.0
    shapes = {t.name: [int(n) for n in t.shape] for t in reader.tensors}
    assert len(shapes) == LAYERS * 4
    assert shapes["blk.0.attn_q.weight.lora_a"] == [WIDTH, RANK]  # ne order: A is rank × in
    assert shapes["blk.3.attn_v.weight.lora_b"] == [RANK, WIDTH]  # B is out × rank
    info = check_adapter(path, random_gguf)
    assert (info.rank, info.pairs, info.layers, info.architecture) == (RANK, LAYERS * 2, LAYERS, "llama")


def test_llama_cpp_applies_the_adapter_and_output_changes(tmp_path, random_gguf):
    adapter = write_adapter(tmp_path / "a.gguf", peft_lora(scale=0.5), alpha=8.0, architecture="llama")
    greedy = Sampling(temperature=0.0, max_tokens=12, seed=1)
    texts = []
    for lora in (None, str(adapter)):
        model = LocalModel(random_gguf, LocalSettings(n_ctx=256, lora_path=lora, idle_unload_s=None))
        try:
            texts.append(model.complete("w1 w2 w3 w4", greedy).text)
        finally:
            model.close()
    assert texts[0] and texts[1] and texts[0] != texts[1]


def _write_raw(path: Path, arch: str, kv: dict[str, object], tensors: dict[str, np.ndarray]) -> Path:
    writer = GGUFWriter(str(path), arch)
    for key, value in kv.items():
        (writer.add_float32 if isinstance(value, float) else writer.add_string)(key, value)
    for name, array in tensors.items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


ADAPTER_KV = {"general.type": "adapter", "adapter.type": "lora", "adapter.lora.alpha": 8.0}
A = np.zeros((RANK, WIDTH), np.float32)
B = np.zeros((WIDTH, RANK), np.float32)


@pytest.mark.parametrize(
    ("kv", "tensors", "arch", "reason"),
    [
        (
            {**ADAPTER_KV, "general.type": "model"},
            {"blk.0.attn_q.weight.lora_a": A, "blk.0.attn_q.weight.lora_b": B},
            "llama",
            "not marked as a LoRA adapter",
        ),
        (
            ADAPTER_KV,
            {"blk.0.attn_q.weight.lora_a": A, "blk.0.attn_q.weight.lora_b": B},
            "gemma3",
            "made for the gemma3 architecture",
        ),
        (ADAPTER_KV, {"blk.0.attn_q.weight.lora_a": A}, "llama", "has no lora_b partner"),
        (
            ADAPTER_KV,
            {
                "blk.0.attn_q.weight.lora_a": np.zeros((RANK, 100), np.float32),
                "blk.0.attn_q.weight.lora_b": B,
            },
            "llama",
            "do not fit",
        ),
        (
            ADAPTER_KV,
            {"blk.9.attn_q.weight.lora_a": A, "blk.9.attn_q.weight.lora_b": B},
            "llama",
            "which the model does not have",
        ),
        (
            {k: v for k, v in ADAPTER_KV.items() if k != "adapter.lora.alpha"},
            {"blk.0.attn_q.weight.lora_a": A, "blk.0.attn_q.weight.lora_b": B},
            "llama",
            "alpha",
        ),
        (ADAPTER_KV, {}, "llama", "no LoRA tensors"),
    ],
)
def test_malformed_adapters_are_refused_with_the_reason(tmp_path, random_gguf, kv, tensors, arch, reason):
    path = _write_raw(tmp_path / "bad.gguf", arch, kv, tensors)
    with pytest.raises(TuningError, match=reason):
        check_adapter(path, random_gguf)


def test_files_that_are_not_gguf_are_refused_before_any_parsing(tmp_path, random_gguf):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a gguf at all" * 10)
    with pytest.raises(TuningError, match="not a GGUF file"):
        check_adapter(junk, random_gguf)
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 24)
    with pytest.raises(TuningError, match="cannot be used|could not be read"):
        check_adapter(truncated, random_gguf, timeout_s=20)
    with pytest.raises(TuningError, match="no adapter file"):
        check_adapter(tmp_path / "missing.gguf", random_gguf)

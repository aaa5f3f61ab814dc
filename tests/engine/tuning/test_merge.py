"""Merge and quantize, for real: an adapter baked into the real starter model by engine.tuning.merge
gives a standalone GGUF that llama.cpp loads, whose touched weights are base + scale·B·A and whose
other tensors are the base's byte for byte, that writes what base + adapter writes (see the one
measured exception), and that is registered as its own model.
The adapter is a fixed random one written by our exporter (no torch needed), strong enough that the
output changes; a trained adapter goes through the same code (BENCHMARKS.md has one measured)."""

from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFReader
from gguf.quants import dequantize

from engine import model_registry
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.paths import app_paths
from engine.tuning import TuningError
from engine.tuning.adapters import TunedAdapter
from engine.tuning.export import write_adapter
from engine.tuning.merge import merge_adapter, write_merged
from engine.tuning.workflow import merge_and_register

pytestmark = pytest.mark.slow  # each merge of the starter takes about a minute on 2 cores

PROMPTS = ("News: City opens a new library. Answer:", "The capital of France is", "Once upon a time")
GREEDY = Sampling(temperature=0.0, max_tokens=16, seed=1)


def gemma_lora(scale: float, rank: int = 4, layers: int = 18) -> dict[str, np.ndarray]:
    """q (1024×640) and v (256×640) updates for the starter's 18 layers."""
    rng = np.random.default_rng(3)
    lora = {}
    for layer in range(layers):
        for module, out in (("q_proj", 1024), ("v_proj", 256)):
            key = f"base_model.model.model.layers.{layer}.self_attn.{module}"
            lora[f"{key}.lora_A.weight"] = rng.standard_normal((rank, 640)).astype(np.float32) * scale
            lora[f"{key}.lora_B.weight"] = rng.standard_normal((out, rank)).astype(np.float32) * scale
    return lora


def greedy_texts(model_path: Path, lora: Path | None = None) -> list[str]:
    model = LocalModel(
        model_path, LocalSettings(n_ctx=256, lora_path=str(lora) if lora else None, idle_unload_s=None)
    )
    try:
        return [model.complete(prompt, GREEDY).text for prompt in PROMPTS]
    finally:
        model.close()


@pytest.fixture(scope="module")
def merged(tmp_path_factory, starter_gguf):
    folder = tmp_path_factory.mktemp("merge")
    adapter = write_adapter(folder / "adapter.gguf", gemma_lora(0.02), alpha=8.0, architecture="gemma3")
    return adapter, merge_adapter(starter_gguf, adapter, folder / "merged.gguf", name="starter + test")


def touched(layers: int = 18) -> set[str]:
    return {f"blk.{i}.attn_{m}.weight" for i in range(layers) for m in ("q", "v")}


def test_merged_weights_are_base_plus_scaled_update_and_nothing_else_changes(merged, starter_gguf):
    adapter, result = merged
    assert result.merged_tensors == 36 and result.quant == "Q8_0"
    assert 1.0 < result.size_bytes / starter_gguf.stat().st_size < 1.03  # only the touched tensors grew
    base = {t.name: t for t in GGUFReader(starter_gguf).tensors}
    out = {t.name: t for t in GGUFReader(result.path).tensors}
    assert set(base) == set(out)
    assert {n for n in base if bytes(base[n].data) != bytes(out[n].data)} == touched()
    lora = gemma_lora(0.02)
    for layer, module, name in ((0, "q_proj", "blk.0.attn_q.weight"), (17, "v_proj", "blk.17.attn_v.weight")):
        key = f"base_model.model.model.layers.{layer}.self_attn.{module}"
        want = (8.0 / 4) * lora[f"{key}.lora_B.weight"] @ lora[f"{key}.lora_A.weight"]
        got = dequantize(out[name].data, out[name].tensor_type) - dequantize(
            base[name].data, base[name].tensor_type
        )
        cosine = float((got * want).sum() / np.linalg.norm(got) / np.linalg.norm(want))
        # Q8_0 rounding only (a Q4_K_M merge of the same update measured cosine 0.75: Q5_0 rounding)
        assert cosine > 0.98 and float(np.abs(got - want).std()) < 0.2 * float(want.std())
    assert GGUFReader(result.path).fields["general.name"].contents() == "starter + test"


def test_merged_model_loads_and_writes_what_base_plus_adapter_writes(merged, starter_gguf):
    adapter, result = merged
    with_adapter = greedy_texts(starter_gguf, adapter)
    assert with_adapter != greedy_texts(
        starter_gguf
    )  # the adapter matters, so the comparison means something
    same = sum(a == b for a, b in zip(greedy_texts(result.path), with_adapter, strict=True))
    # Not all: at runtime llama.cpp multiplies the Q5_0 base weights with 8-bit-quantized activations
    # and adds the adapter in F32; the merged Q8_0 weights take another kernel. Where two tokens are
    # nearly tied, that rounding picks differently (even an F16 merge does). Measured: 2 of 3 equal.
    assert same >= 2


def test_a_zero_update_merged_in_the_base_scheme_gives_the_base_back_byte_for_byte(tmp_path, starter_gguf):
    lora = {k: (v * 0 if "lora_B" in k else v) for k, v in gemma_lora(0.02).items()}
    adapter = write_adapter(tmp_path / "zero.gguf", lora, alpha=8.0, architecture="gemma3")
    result = merge_adapter(starter_gguf, adapter, tmp_path / "zero-merged.gguf", quant="Q4_K_M")
    assert not result.requantized and result.size_bytes == starter_gguf.stat().st_size
    base = {t.name: bytes(t.data) for t in GGUFReader(starter_gguf).tensors}
    assert base == {t.name: bytes(t.data) for t in GGUFReader(result.path).tensors}


def test_merge_is_registered_as_its_own_model_with_provenance(merged, installed_starter):
    adapter_file, _result = merged
    paths = app_paths().ensure()
    folder = paths.data / "adapters" / "riddles-test"
    folder.mkdir(parents=True)
    (folder / "adapter.gguf").write_bytes(adapter_file.read_bytes())
    base_key = model_registry.load(paths).active.key
    adapter = TunedAdapter("riddles-test", folder, base_key, {"base_key": base_key, "data": {"shipped": 3}})
    model = merge_and_register(paths, adapter)
    registry = model_registry.load(paths)
    assert registry.get(model.key).name.endswith("riddles-test (merged)")
    assert model.file.is_file() and model.file.parent == paths.models and model.adapter is None
    provenance = (folder / "provenance.json").read_text(encoding="utf-8")
    assert '"registry_key": "' + model.key in provenance and '"shipped": 3' in provenance
    assert Path(str(model.file) + ".provenance.json").read_text(encoding="utf-8") == provenance


def test_an_adapter_that_does_not_fit_the_base_is_refused(tmp_path, random_gguf):
    adapter = write_adapter(
        tmp_path / "wide.gguf", gemma_lora(0.01, layers=1), alpha=8.0, architecture="llama"
    )
    with pytest.raises(TuningError, match="does not fit this base"):
        write_merged(random_gguf, adapter, tmp_path / "out.gguf")
    with pytest.raises(TuningError, match="Cannot quantize to Q2_X"):
        merge_adapter(random_gguf, adapter, tmp_path / "out.gguf", quant="Q2_X")

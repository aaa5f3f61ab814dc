"""The registry of installed models (a JSON file in the data folder) and the active model built on it:
real files, real GGUF headers, real llama.cpp for the smoke riddle and the LoRA adapter."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter

from engine import model_registry as registry
from engine.active_model import (
    active_choice,
    choice_for,
    import_checked,
    open_riddler,
    settings_for,
    shape_of,
)
from engine.catalog import load_catalog
from engine.downloads import Downloaded
from engine.errors import ModelError
from engine.gguf_file import read_header
from engine.hardware import GIB, GpuInfo, Machine
from engine.inference.local import LocalSettings
from engine.paths import app_paths
from engine.samples import sample_articles
from engine.starter import SHA256 as STARTER_SHA
from engine.subjects import candidates
from tests.support.synthetic_gguf import SCRIPT_ANSWER, write_random_model


@pytest.fixture
def paths():
    return app_paths().ensure()


def fake_download(
    paths, spec_id: str = "qwen2.5-0.5b-instruct", content: bytes = b"weights"
) -> registry.InstalledModel:
    spec = load_catalog().get(spec_id)
    file = spec.file()
    target = paths.models / file.filename
    target.write_bytes(content)
    return registry.register_download(
        paths, spec, file, Downloaded(target, "ab" * 32, len(content), "c" * 40, len(content), 0)
    )


def write_adapter(path: Path, rank: int = 4, width: int = 64) -> Path:
    """A LoRA adapter for the scripted model's q projection, zero-valued (so the riddle is unchanged)."""
    writer = GGUFWriter(str(path), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(rank))
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((rank, width), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight.lora_b", np.zeros((width, rank), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_fresh_registry_has_the_starter_active(paths):
    reg = registry.load(paths)
    assert len(reg.models) == 1 and reg.active.source == "bundled" and reg.active.sha256 == STARTER_SHA
    assert not registry.registry_file(paths).exists()  # reading writes nothing


def test_download_registered_set_active_and_removed_reclaims_disk(paths):
    model = fake_download(paths)
    assert registry.set_active(paths, model.key).key == model.key
    stored = json.loads(registry.registry_file(paths).read_text())
    assert stored["active"] == model.key and [m["key"] for m in stored["models"]] == [model.key]
    assert registry.remove(paths, model.key) == len(b"weights")
    assert not model.file.exists()
    assert registry.load(paths).active.source == "bundled"  # the starter takes over again


def test_the_starter_cannot_be_removed(paths):
    with pytest.raises(ModelError, match="bundled starter model and cannot be removed"):
        registry.remove(paths, registry.load(paths).models[0].key)


def test_a_missing_file_cannot_be_made_active(paths):
    model = fake_download(paths)
    model.file.unlink()
    with pytest.raises(ModelError, match="missing"):
        registry.set_active(paths, model.key)


def test_a_damaged_registry_is_set_aside_not_lost(paths):
    fake_download(paths)
    registry.registry_file(paths).write_text("{broken")
    reg = registry.load(paths)
    assert len(reg.models) == 1
    assert registry.registry_file(paths).with_suffix(".json.broken").read_text() == "{broken"


def test_import_keeps_the_file_in_place_and_remove_only_forgets_it(
    paths, scripted_gguf: Path, tmp_path: Path
):
    own = tmp_path / "my-finetune.gguf"
    shutil.copyfile(scripted_gguf, own)
    model = registry.import_gguf(paths, own)
    assert model.key.startswith("import:") and model.source == "import" and model.variant == "base"
    assert (model.architecture, model.quant, model.tier) == ("llama", "F32", "custom")
    assert registry.remove(paths, model.key) == 0 and own.exists()


def test_import_refuses_a_broken_file_and_an_adapter(paths, tmp_path: Path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 16)
    with pytest.raises(ModelError, match="not a usable GGUF"):
        registry.import_gguf(paths, broken)
    with pytest.raises(ModelError, match="LoRA adapter, not a model"):
        registry.import_gguf(paths, write_adapter(tmp_path / "a.gguf"))
    assert len(registry.load(paths).models) == 1


def test_import_checked_runs_one_real_riddle(paths, scripted_gguf: Path):
    model, smoke = import_checked(paths, scripted_gguf, LocalSettings(n_ctx=8192, idle_unload_s=None))
    # Guided, the answer is one of the sample story's subjects, whatever the scripted model would say.
    story = sample_articles()[0]
    assert smoke.answer in candidates(story.title, story.summary) and smoke.answer != SCRIPT_ANSWER
    assert smoke.problem == "" and smoke.seconds > 0
    assert registry.load(paths).find(model.key) is not None


def test_import_checked_rejects_a_file_llama_cpp_cannot_load(paths, scripted_gguf: Path, tmp_path: Path):
    # A valid header whose tensor data is cut off: the bounded reader passes it, llama.cpp refuses it.
    data = scripted_gguf.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: len(data) - 4096])
    with pytest.raises(ModelError, match="could not load it, so it was not imported"):
        import_checked(paths, cut, LocalSettings(n_ctx=2048, idle_unload_s=None))
    assert len(registry.load(paths).models) == 1


def test_active_choice_follows_the_registry_and_falls_back_to_the_starter(
    paths, scripted_gguf, installed_starter
):
    model = registry.import_gguf(paths, scripted_gguf)
    registry.set_active(paths, model.key)
    assert active_choice(paths).path == scripted_gguf and active_choice(paths).key == model.key
    moved = scripted_gguf.with_suffix(".moved")
    os.replace(scripted_gguf, moved)
    try:
        assert active_choice(paths).sha256 == STARTER_SHA
    finally:
        os.replace(moved, scripted_gguf)


def test_a_lora_adapter_is_attached_and_applied_by_llama_cpp(paths, tmp_path: Path, scripted_gguf: Path):
    model = registry.import_gguf(paths, scripted_gguf)
    with pytest.raises(ModelError, match="not a LoRA adapter"):
        registry.attach_adapter(paths, model.key, scripted_gguf)
    width = int(read_header(scripted_gguf).metadata["llama.embedding_length"])
    adapter = write_adapter(tmp_path / "lora.gguf", width=width)
    attached = registry.attach_adapter(paths, model.key, adapter)
    assert attached.adapter is not None and attached.adapter.path == str(adapter.resolve())
    choice = choice_for(registry.load(paths).get(model.key), paths)
    assert choice.lora_path == adapter.resolve()
    riddler, local = open_riddler(choice, LocalSettings(n_ctx=8192, idle_unload_s=None))
    try:
        assert local.settings.lora_path == str(adapter.resolve())
        local.load()  # llama.cpp accepted the adapter for this base
    finally:
        local.close()
    assert registry.detach_adapter(paths, model.key).adapter is None


def test_device_choice_becomes_gpu_layers_from_the_file_header(tmp_path: Path):
    path = write_random_model(tmp_path / "r.gguf", layers=6, width=256, heads=4, kv_heads=2)
    shape = shape_of(read_header(path))
    assert (shape.layers, shape.kv_heads, shape.head_dim) == (6, 2, 64)
    choice = choice_for(
        registry.InstalledModel("k", "r", str(path), "", 1, "import", "base", "custom", "F32"), app_paths()
    )
    base = LocalSettings(n_ctx=2048)
    gpu = Machine(32 * GIB, 16 * GIB, 100 * GIB, 8, (), GpuInfo("Test GPU", 8 * GIB, 8 * GIB), True)
    on_gpu, plan = settings_for(choice, base, "auto", gpu)
    assert on_gpu.n_gpu_layers == 7 and plan.backend == "GPU"
    on_cpu, plan = settings_for(choice, base, "cpu", gpu)
    assert on_cpu.n_gpu_layers == 0 and plan.reason == "you chose CPU"


def test_cli_downloads_lists_uses_and_removes_a_catalog_model(paths, capsys):
    from engine.cli import main
    from tests.support.fake_hub import FakeHub

    spec = load_catalog().get("qwen2.5-0.5b-instruct")  # its Q8_0 has no pinned hash: X-Linked-Etag decides
    content = os.urandom(1_500_000)
    with FakeHub() as hub:
        hub.add(spec.repo_id, spec.file("Q8_0").filename, content)
        hub.add("ggml-org/gemma-3-1b-it-GGUF", "gemma-3-1b-it-Q4_K_M.gguf", content)
        assert main(["models", "download", spec.id, "--quant", "Q8_0", "--endpoint", hub.url, "--use"]) == 0
        # a pinned hash that the served file contradicts: refused, exit 1, nothing registered
        assert main(["models", "download", "gemma-3-1b-instruct", "--endpoint", hub.url]) == 1
    assert "not the file Riddlewire's catalog pinned" in capsys.readouterr().err
    key = f"{spec.id}:Q8_0"
    assert registry.load(paths).active_key == key
    assert (paths.models / spec.file("Q8_0").filename).read_bytes() == content
    assert main(["models", "list", "--installed"]) == 0
    assert f"* {key}" in capsys.readouterr().out
    assert main(["models", "remove", key]) == 0
    assert "2 MB of disk reclaimed" in capsys.readouterr().out
    assert not (paths.models / spec.file("Q8_0").filename).exists()
    assert registry.load(paths).active.source == "bundled"


def test_a_model_written_into_the_models_folder_is_deleted_with_its_entry(paths, scripted_gguf: Path):
    """A merged adapter (engine.tuning.merge) is registered like an import, but its file and provenance
    are ours, in the models folder: removing it reclaims the disk."""
    paths.models.mkdir(parents=True, exist_ok=True)
    merged = paths.models / "starter + riddles (merged).gguf"
    shutil.copyfile(scripted_gguf, merged)
    provenance = merged.with_name(merged.name + ".provenance.json")
    provenance.write_text("{}", encoding="utf-8")
    model = registry.import_gguf(paths, merged)
    assert registry.remove(paths, model.key) == scripted_gguf.stat().st_size
    assert not merged.exists() and not provenance.exists()

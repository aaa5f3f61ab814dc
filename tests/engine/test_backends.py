"""llama.cpp's kernels picked at run time (engine/inference/backends.py), with the real dynamic build:
fresh worker processes load the backend folder, and a missing or broken folder gives a sentence."""

from pathlib import Path

import pytest

from engine.diagnostics import llama_build
from engine.errors import ModelError
from engine.inference import backends
from engine.inference.local import LocalModel, LocalSettings

SETTINGS = LocalSettings(n_ctx=512, idle_unload_s=None)


def test_the_highest_scoring_variant_wins():
    chosen, skipped = backends.choose_variant(
        {"x64": 1, "sse42": 5, "haswell": 33, "skylakex": 0}, amx_ok=False
    )
    assert chosen == "haswell" and skipped == ()


def test_amx_kernels_are_refused_where_amx_may_not_be_used():
    scores = {"haswell": 33, "icelake": 120, "sapphirerapids": 300}
    chosen, skipped = backends.choose_variant(scores, amx_ok=False)
    assert chosen == "icelake"
    assert len(skipped) == 1 and "sapphirerapids" in skipped[0] and "AMX" in skipped[0]
    assert backends.choose_variant(scores, amx_ok=True)[0] == "sapphirerapids"


def test_no_runnable_variant_is_none():
    assert backends.choose_variant({"skylakex": 0, "zen4": 0}, amx_ok=False)[0] is None


def test_amx_is_off_unless_the_user_opts_in(monkeypatch):
    monkeypatch.delenv(backends.ALLOW_AMX_ENV, raising=False)
    assert backends.amx_usable() is False


def test_the_wheel_ships_every_cpu_variant():
    names = set(backends._variant_files(backends.backends_folder()))
    assert {"x64", "sse42", "haswell", "skylakex", "zen4", "sapphirerapids"} <= names


def test_a_fresh_worker_loads_the_best_runnable_kernels(scripted_gguf):
    model = LocalModel(scripted_gguf, SETTINGS)
    try:
        info = model.load()
    finally:
        model.close()
    assert info.kernels.startswith("CPU kernels: ")
    variant = info.kernels.removeprefix("CPU kernels: ").split(" ")[0]
    assert variant in backends.VARIANT_FEATURES and variant not in backends.AMX_VARIANTS


def test_a_missing_backend_folder_is_a_sentence_not_a_crash(scripted_gguf, tmp_path, monkeypatch):
    monkeypatch.setenv(backends.FOLDER_ENV, str(tmp_path / "nowhere"))
    model = LocalModel(scripted_gguf, SETTINGS)
    try:
        with pytest.raises(ModelError, match="No llama.cpp CPU kernels were found"):
            model.load()
    finally:
        model.close()


def test_a_broken_backend_file_is_a_sentence_not_a_crash(scripted_gguf, tmp_path, monkeypatch):
    (tmp_path / "libggml-cpu-haswell.so").write_bytes(b"\x7fELF not really a library")
    monkeypatch.setenv(backends.FOLDER_ENV, str(tmp_path))
    model = LocalModel(scripted_gguf, SETTINGS)
    try:
        with pytest.raises(ModelError, match="None of llama.cpp's CPU kernels can run"):
            model.load()
    finally:
        model.close()


def test_diagnostics_name_the_kernels_that_run():
    llama_build.cache_clear()
    build = llama_build()
    assert build.problem == ""
    assert build.kernels.startswith("CPU kernels: "), build
    assert Path(backends.backends_folder()).is_dir()


def test_each_riddle_s_provenance_names_the_kernels_and_the_adapter(scripted_gguf, tmp_path):
    from engine.active_model import ModelChoice, open_riddler
    from engine.inference import Sampling
    from engine.samples import sample_articles
    from engine.store import Store

    choice = ModelChoice(scripted_gguf, "", "scripted", "tiny", "base")
    riddler, model = open_riddler(
        choice, LocalSettings(n_ctx=8192, idle_unload_s=None), Sampling(temperature=0.0)
    )
    try:
        article = sample_articles()[0]
        riddle, provenance = riddler.riddle(article)
    finally:
        model.close()
    assert provenance.kernels.startswith("CPU kernels: ") and provenance.adapter == ""
    store = Store(tmp_path / "h.db")
    [saved] = store.save_articles([article])
    stored = store.riddle(store.save_riddle(saved, riddle, provenance).id)
    assert stored.provenance.kernels == provenance.kernels
    tuned = ModelChoice(scripted_gguf, "", "scripted", "tiny", "base", lora_path=tmp_path / "riddles.gguf")
    assert tuned.identity.adapter == "riddles.gguf"

"""GPU load failure → CPU fallback, and "what actually ran" read from llama.cpp's own log.

This machine has no GPU, so a GPU that refuses a model cannot happen here for real. The tests below
stand in for that one thing only: a small wrapper around the real worker (written to tmp_path) makes
a load *with n_gpu_layers != 0* fail the two ways a GPU load fails — llama.cpp refusing it (the lines
its CUDA backend logs when cudaMalloc runs out, then the ValueError llama-cpp-python raises), or the
worker dying in native code (SIGSEGV) — and hands every other request to the real worker and real
llama.cpp. The real failure on a real GPU is tests/engine/test_gpu_device.py (RIDDLEWIRE_GPU=1)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import engine.inference.local as local
from engine.active_model import ran_on
from engine.errors import ModelError
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.inference.placement import failure_cause, fallback_sentence, read_placement
from tests.support.synthetic_gguf import SCRIPT_TEXT

GREEDY = Sampling(temperature=0.0, max_tokens=64, seed=1)

# What llama.cpp 0.3.36's CUDA build logged on the H100 when the weights did not fit in the VRAM another
# process had left free (.gpu3/check.py, 2026-11-26; the issue 3 GPU notes).
CUDA_OOM_LINES = """\
llama_prepare_model_devices: using device CUDA0 (NVIDIA H100 80GB HBM3) (0000:00:06.0) - 242 MiB free
load_tensors: offloading output layer to GPU
load_tensors: offloading 8 repeating layers to GPU
load_tensors: offloaded 9/9 layers to GPU
ggml_backend_cuda_buffer_type_alloc_buffer: allocating 910.14 MiB on device 0: cudaMalloc failed: out of memory
alloc_tensor_range: failed to allocate CUDA0 buffer of size 954355712
llama_model_load: error loading model: unable to allocate CUDA0 buffer
llama_model_load_from_file_impl: failed to load model
"""

SHIM = """
import os, signal, sys
from pathlib import Path
from engine.inference import worker

real_load = worker.Worker.load

def load(self, request):
    if int(request.get("n_gpu_layers", 0)) != 0:
        with open(os.environ["GPU_TRIES"], "a") as tries:
            tries.write("gpu\\n")
        if os.environ["GPU_FAILURE"] == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        sys.stderr.write(Path(os.environ["GPU_LINES"]).read_text())
        sys.stderr.flush()
        raise ValueError("Failed to load model from file: " + request["path"])
    with open(os.environ["GPU_TRIES"], "a") as tries:
        tries.write("cpu, CUDA_VISIBLE_DEVICES=%r\\n" % os.environ.get("CUDA_VISIBLE_DEVICES"))
    real_load(self, request)

worker.Worker.load = load
worker.main()
"""


@pytest.fixture
def refusing_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    return use_refusing_gpu_worker(tmp_path, monkeypatch)


def use_refusing_gpu_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Start workers through the wrapper; returns a function that says how many GPU loads were tried."""
    shim = tmp_path / "refusing_gpu_worker.py"
    shim.write_text(SHIM)
    (tmp_path / "lines.txt").write_text(CUDA_OOM_LINES)
    tries = tmp_path / "tries.txt"
    monkeypatch.setattr(local, "worker_command", lambda: [sys.executable, str(shim)])
    monkeypatch.setenv("GPU_TRIES", str(tries))
    monkeypatch.setenv("GPU_LINES", str(tmp_path / "lines.txt"))
    monkeypatch.setenv("GPU_FAILURE", "error")

    def gpu_tries() -> int:
        return tries.read_text().splitlines().count("gpu") if tries.exists() else 0

    gpu_tries.log = tries
    return gpu_tries


def test_llama_cpp_refusing_the_gpu_falls_back_to_the_cpu_with_its_reason(refusing_gpu, scripted_gguf):
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=512, n_gpu_layers=99, idle_unload_s=None))
    try:
        info = model.load()
        assert refusing_gpu() == 1
        # the CPU load ran in a worker that cannot see the GPU, so it cannot fail on it again
        assert refusing_gpu.log.read_text().splitlines() == ["gpu", "cpu, CUDA_VISIBLE_DEVICES=''"]
        assert info.gpu_layers == 0 and info.backend == "CPU"
        assert info.fallback == (
            "The GPU could not load this model (cudaMalloc failed: out of memory), so it runs on the CPU."
        )
        assert model.complete("News: x\nRiddle:", GREEDY).text == SCRIPT_TEXT  # and it riddles on the CPU
        assert "cudaMalloc failed" in ran_on(info)
    finally:
        model.close()


def test_a_worker_dying_during_the_gpu_load_falls_back_too(refusing_gpu, scripted_gguf, monkeypatch):
    monkeypatch.setenv("GPU_FAILURE", "crash")
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=512, n_gpu_layers=-1, idle_unload_s=None))
    try:
        info = model.load()
        assert "SIGSEGV" in info.fallback and info.fallback.endswith("so it runs on the CPU.")
        assert model.complete("News: x\nRiddle:", GREEDY).text == SCRIPT_TEXT
    finally:
        model.close()


def test_the_gpu_is_not_retried_until_the_settings_change(refusing_gpu, scripted_gguf):
    settings = LocalSettings(n_ctx=512, n_gpu_layers=99, idle_unload_s=None)
    model = LocalModel(scripted_gguf, settings)
    try:
        model.load()
        model.close()  # as an idle unload does
        again = model.load()
        assert refusing_gpu() == 1, "the second load went straight to the CPU"
        assert again.fallback.startswith("The GPU could not load this model")
        model.switch_to(scripted_gguf, settings)  # the same settings: still no retry
        model.load()
        assert refusing_gpu() == 1
        model.switch_to(scripted_gguf, LocalSettings(n_ctx=1024, n_gpu_layers=99, idle_unload_s=None))
        model.load()
        assert refusing_gpu() == 2, "new settings give the GPU another try"
    finally:
        model.close()


def test_a_broken_file_is_still_a_model_error_not_a_fallback(refusing_gpu, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    model = LocalModel(broken, LocalSettings(n_gpu_layers=99, idle_unload_s=None))
    with pytest.raises(ModelError, match="could not be loaded"):
        model.load()
    assert model.gpu_refused == ""
    model.close()


def test_a_cpu_build_reports_cpu_and_the_real_layer_count(scripted_gguf):
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=512, n_gpu_layers=0, idle_unload_s=None))
    try:
        info = model.load()
        assert (info.gpu_layers, info.backend, info.fallback) == (0, "CPU", "")
        assert info.layers_total == int(info.metadata["llama.block_count"]) + 1
        assert f"CPU only ({info.layers_total} layers), CPU kernels: " in ran_on(info)
    finally:
        model.close()


def test_placement_is_read_from_llama_cpp_log_lines():
    placed = read_placement(CUDA_OOM_LINES)
    assert (placed.gpu_layers, placed.layers_total) == (9, 9)
    assert placed.backend == "CUDA0 (NVIDIA H100 80GB HBM3)"
    partial = read_placement(
        "load_tensors: offloaded 7/19 layers to GPU\n"
        "load_tensors:      Vulkan0 model buffer size =   100.00 MiB\n"
        "load_tensors:   CPU_Mapped model buffer size =   200.00 MiB"
    )
    assert (partial.gpu_layers, partial.layers_total, partial.backend) == (7, 19, "Vulkan0")
    assert read_placement("load_tensors: offloaded 0/19 layers to GPU").backend == "CPU"
    assert read_placement("load_tensors:   CPU_Mapped model buffer size =    14.42 MiB") is None


def test_the_cause_is_the_most_telling_line():
    assert failure_cause(CUDA_OOM_LINES.splitlines()) == "cudaMalloc failed: out of memory"
    kv = [
        "llama_init_from_model: failed to initialize the context: failed to allocate buffer for kv cache",
        "llama_init_from_model: failed to create llama_context",
    ]
    assert failure_cause(kv) == "failed to allocate buffer for kv cache"  # a KV cache that does not fit
    assert failure_cause(["load_tensors: loading model tensors"]) == ""
    assert fallback_sentence("") == "The GPU could not load this model, so it runs on the CPU."


def test_the_diagnostics_report_says_what_ran_and_why():
    from engine.diagnostics import collect
    from engine.inference import ModelInfo
    from engine.paths import app_paths
    from engine.settings import Settings

    on_gpu = ModelInfo(
        "/m/small.gguf",
        2048,
        270_000_000,
        "llama",
        False,
        19,
        0.9,
        layers_total=19,
        backend="CUDA0 (NVIDIA H100 80GB HBM3)",
    )
    report = collect(app_paths().ensure(), Settings(), loaded=on_gpu).report()
    assert "all 19 layers on CUDA0 (NVIDIA H100 80GB HBM3), loaded in 0.90 s" in report
    assert "Fallback:" not in report
    fell_back = ModelInfo(
        "/m/large.gguf",
        2048,
        1_000_000_000,
        "llama",
        False,
        0,
        2.6,
        layers_total=9,
        fallback=fallback_sentence("cudaMalloc failed: out of memory"),
    )
    report = collect(app_paths().ensure(), Settings(), loaded=fell_back).report()
    assert "CPU only (9 layers), loaded in 2.60 s" in report
    assert (
        "Fallback: The GPU could not load this model (cudaMalloc failed: out of memory), so it runs on "
        "the CPU."
    ) in report

"""Will it fit: the arithmetic (weights + KV cache + overhead), the verdicts, the GPU layer plan, and
detection on this real machine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from engine.catalog import ModelShape, load_catalog
from engine.hardware import (
    GIB,
    GPU_RUNTIME_RESERVE,
    GpuInfo,
    Machine,
    detect,
    detect_gpu,
    fit,
    gpu_layers_for,
    memory_need,
    need_for_shape,
    nvml_gpu,
)

LAPTOP = Machine(
    ram_total=16 * GIB,
    ram_available=10 * GIB,
    disk_free=100 * GIB,
    cpu_count=8,
    cpu_features=("avx2",),
    gpu=None,
    gpu_offload=False,
)


def test_kv_cache_follows_layers_heads_and_context():
    shape = ModelShape(layers=28, kv_heads=8, head_dim=128)  # Llama 3.2 3B
    need = need_for_shape(shape, 2_000_000_000, 4096)
    assert need.kv_cache == 2 * 28 * 8 * 128 * 4096 * 2  # 448 MiB
    assert need_for_shape(shape, 2_000_000_000, 8192).kv_cache == 2 * need.kv_cache
    assert need.total == need.weights + need.kv_cache + need.overhead
    assert "KV cache for 4,096 tokens" in need.arithmetic()


def test_context_is_capped_by_what_the_model_supports():
    spec = load_catalog().get("qwen2.5-0.5b-instruct")
    assert memory_need(spec, spec.file(), 10**6).n_ctx == spec.context_length


def test_small_model_fits_large_model_is_tight_or_refused_on_cpu():
    catalog = load_catalog()
    tiny = catalog.get("gemma-3-270m-base")
    large = catalog.get("gemma-3-12b-instruct")
    assert fit(tiny, tiny.file(), LAPTOP).verdict == "fits"
    busy = replace(LAPTOP, ram_available=6 * GIB)
    assert fit(large, large.file(), busy).verdict == "tight"
    small_machine = replace(LAPTOP, ram_total=8 * GIB, ram_available=6 * GIB)
    verdict = fit(large, large.file(), small_machine)
    assert verdict.verdict == "wont_fit" and verdict.badge == "Won't fit"
    assert "8.6 GB of RAM in all" in verdict.arithmetic()


def test_speed_class_falls_with_size():
    catalog = load_catalog()
    speeds = [
        fit(s, s.file(), LAPTOP).tokens_per_s
        for s in (
            catalog.get("gemma-3-270m-base"),
            catalog.get("gemma-3-4b-instruct"),
            catalog.get("gemma-3-12b-instruct"),
        )
    ]
    assert speeds == sorted(speeds, reverse=True)
    assert (
        fit(catalog.get("gemma-3-270m-base"), catalog.get("gemma-3-270m-base").file(), LAPTOP).speed_class
        == "fast"
    )


def _gpu_machine(free_gib: float) -> Machine:
    return replace(LAPTOP, gpu=GpuInfo("Test GPU", 8 * GIB, int(free_gib * GIB)), gpu_offload=True)


@pytest.mark.parametrize(
    ("device", "free_gib", "backend"),
    [
        ("cpu", 24, "CPU"),
        ("auto", 24, "GPU"),
        ("auto", 4, "GPU+CPU"),
        ("auto", 0.2, "CPU"),
        ("gpu", 0.2, "GPU"),
    ],
)
def test_gpu_plan_follows_device_choice_and_free_vram(device: str, free_gib: float, backend: str):
    spec = load_catalog().get("gemma-3-12b-instruct")
    need = memory_need(spec, spec.file(), 2048)
    plan = gpu_layers_for(device, spec.shape, need, _gpu_machine(free_gib))
    assert plan.backend == backend
    if backend == "GPU":
        assert plan.n_gpu_layers == spec.shape.layers + 1
    elif backend == "GPU+CPU":
        assert 0 < plan.n_gpu_layers < spec.shape.layers
        # the offloaded layers really fit in 90% of free VRAM after the overhead and the GPU runtime
        per_layer = (need.weights + need.kv_cache) / (spec.shape.layers + 1)
        assert plan.n_gpu_layers * per_layer <= 0.9 * free_gib * GIB - need.overhead - GPU_RUNTIME_RESERVE
    else:
        assert plan.n_gpu_layers == 0
    assert plan.reason


def test_a_nearly_full_card_gets_no_layers():
    """Measured on the H100: with 803 MB left free by another program, a 1.09 GB model planned at 2 of 9
    layers failed to load (the worker's CUDA context alone took 524 MiB). The plan now counts it."""
    need = need_for_shape(ModelShape(8, 16, 128), 1_087_288_384, 2048)
    plan = gpu_layers_for("auto", ModelShape(8, 16, 128), need, _gpu_machine(803_405_824 / GIB))
    assert (plan.n_gpu_layers, plan.backend) == (0, "CPU") and "not one layer fits" in plan.reason


def test_cpu_only_build_falls_back_with_the_reason_in_words():
    spec = load_catalog().get("gemma-3-1b-instruct")
    machine = replace(_gpu_machine(24), gpu_offload=False)
    plan = gpu_layers_for("gpu", spec.shape, memory_need(spec, spec.file()), machine)
    assert plan.n_gpu_layers == 0 and "no GPU support" in plan.reason
    no_gpu = gpu_layers_for(
        "auto", spec.shape, memory_need(spec, spec.file()), replace(LAPTOP, gpu_offload=True)
    )
    assert no_gpu.n_gpu_layers == 0 and "no GPU was found" in no_gpu.reason


def test_fit_on_gpu_reports_gpu_speed():
    spec = load_catalog().get("gemma-3-4b-instruct")
    on_gpu = fit(spec, spec.file(), _gpu_machine(24))
    on_cpu = fit(spec, spec.file(), LAPTOP)
    assert on_gpu.device == "GPU" and on_gpu.badge == "Fits (GPU)"
    assert on_gpu.tokens_per_s > 10 * on_cpu.tokens_per_s


def test_detect_reads_this_machine(tmp_path: Path):
    machine = detect(tmp_path / "not-yet" / "models", gpu_offload=False)
    assert machine.ram_total > machine.ram_available > 0
    assert machine.disk_free > 0 and machine.cpu_count >= 1
    assert "RAM" in machine.summary() and "CPU-only" in machine.summary()


def _has_nvidia_driver() -> bool:
    import ctypes.util
    import shutil

    return bool(ctypes.util.find_library("nvidia-ml") or shutil.which("nvidia-smi"))


@pytest.mark.skipif(
    _has_nvidia_driver(),
    reason="an NVIDIA driver is present: tests/engine/test_gpu_device.py covers that case (RIDDLEWIRE_GPU=1)",
)
def test_nvml_without_an_nvidia_driver_means_no_gpu():
    """The real path on a machine without libnvidia-ml (this one, CI, and most laptops): nvidia-ml-py
    is installed, nvmlInit fails with LibraryNotFound, and detection says "no GPU" without an error."""
    import pynvml

    with pytest.raises(pynvml.NVMLError_LibraryNotFound):
        pynvml.nvmlInit()
    assert nvml_gpu() is None and detect_gpu() is None
    machine = detect(Path("."), gpu_offload=False)
    assert machine.gpu is None and "no GPU found" in machine.summary()

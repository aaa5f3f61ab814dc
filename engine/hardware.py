"""What this machine has (RAM, free disk, CPU features, GPU and free VRAM), and whether a model fits:
Fits / Tight / Won't fit, on GPU or CPU, with the arithmetic shown, and how many layers to offload.

`detect()` takes a moment (it may ask nvidia-smi and a llama.cpp subprocess); everything else is pure
arithmetic on frozen values, fast enough to run for the whole catalog on every repaint."""

from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.catalog import ModelFile, ModelShape, ModelSpec

GIB = 1024**3
# Token generation is memory-bound: each token reads every weight once. These effective bandwidths
# turn a file size into a rough tokens/s. The CPU figure is measured here: the 253 MB starter model
# makes ~47 tokens/s on 2 cores (about 12 GB/s); a discrete GPU reads its memory ~25x faster.
CPU_BYTES_PER_S = 12e9
GPU_BYTES_PER_S = 300e9
# llama.cpp's compute buffers, the runtime and the app: a fixed part plus a share of the weights.
OVERHEAD_FIXED = 256 * 1024**2
OVERHEAD_SHARE = 0.10
# What the worker's own GPU runtime takes before any weight arrives: its CUDA context took 524 MiB on
# the H100 (CUDA 13, driver 580: 766 MiB free before the worker started, 242 MiB as llama.cpp began to
# load). Without it, Auto planned 2 layers into 766 MiB and the KV cache then did not fit.
GPU_RUNTIME_RESERVE = 576 * 1024**2
DEVICES = ("auto", "gpu", "cpu")
_INTERESTING_FLAGS = ("avx", "avx2", "avx512f", "fma", "f16c", "amx_tile", "neon", "asimd")


@dataclass(frozen=True)
class GpuInfo:
    name: str
    vram_total: int | None  # bytes; None where the driver does not say (Vulkan, most Metal)
    vram_free: int | None
    unified: bool = False  # Apple Silicon: the GPU shares system RAM


@dataclass(frozen=True)
class Machine:
    ram_total: int
    ram_available: int
    disk_free: int  # in the models folder
    cpu_count: int
    cpu_features: tuple[str, ...]
    gpu: GpuInfo | None
    gpu_offload: bool  # this llama.cpp build can offload layers to a GPU

    def summary(self) -> str:
        gpu = "no GPU found"
        if self.gpu is not None:
            free = f", {_gb(self.gpu.vram_free)} free" if self.gpu.vram_free is not None else ""
            gpu = f"GPU {self.gpu.name}{free}"
        build = "GPU build" if self.gpu_offload else "CPU-only llama.cpp build"
        return (
            f"RAM {_gb(self.ram_total)} ({_gb(self.ram_available)} free) · disk {_gb(self.disk_free)} free · "
            f"{self.cpu_count} CPU threads · {gpu} · {build}"
        )


@dataclass(frozen=True)
class MemoryNeed:
    weights: int
    kv_cache: int
    overhead: int
    n_ctx: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.overhead

    def arithmetic(self) -> str:
        return (
            f"weights {_gb(self.weights)} + KV cache for {self.n_ctx:,} tokens {_gb(self.kv_cache)} + "
            f"overhead {_gb(self.overhead)} = {_gb(self.total)}"
        )


@dataclass(frozen=True)
class Fit:
    verdict: str  # "fits" | "tight" | "wont_fit"
    device: str  # "GPU" | "GPU+CPU" | "CPU"
    need: MemoryNeed
    budget: int  # the memory it was compared with
    tokens_per_s: float
    reason: str

    @property
    def badge(self) -> str:
        label = {"fits": "Fits", "tight": "Tight", "wont_fit": "Won't fit"}[self.verdict]
        return label if self.verdict == "wont_fit" else f"{label} ({self.device})"

    @property
    def speed_class(self) -> str:
        if self.tokens_per_s >= 20:
            return "fast"
        return "usable" if self.tokens_per_s >= 6 else "slow"

    def arithmetic(self) -> str:
        return (
            f"{self.need.arithmetic()}; {self.reason}. Rough speed: ~{self.tokens_per_s:.0f} tokens/s "
            f"({self.speed_class})."
        )


@dataclass(frozen=True)
class GpuPlan:
    n_gpu_layers: int  # what LocalSettings.n_gpu_layers gets
    backend: str  # "GPU" | "GPU+CPU" | "CPU"
    reason: str  # in words, shown to the user


def memory_need(spec: ModelSpec, file: ModelFile, n_ctx: int = 2048) -> MemoryNeed:
    return need_for_shape(spec.shape, file.size_bytes, min(n_ctx, spec.context_length))


def need_for_shape(shape: ModelShape, weights: int, n_ctx: int) -> MemoryNeed:
    # K and V, f16 (2 bytes), per layer, per kv head, per head dimension, per token of context.
    kv = 2 * shape.layers * shape.kv_heads * shape.head_dim * n_ctx * 2
    return MemoryNeed(weights, kv, OVERHEAD_FIXED + int(OVERHEAD_SHARE * weights), n_ctx)


def fit(spec: ModelSpec, file: ModelFile, machine: Machine, n_ctx: int = 2048, device: str = "auto") -> Fit:
    need = memory_need(spec, file, n_ctx)
    plan = gpu_layers_for(device, spec.shape, need, machine)
    cpu_speed = CPU_BYTES_PER_S / max(need.weights, 1)
    if plan.backend == "GPU":
        speed = GPU_BYTES_PER_S / max(need.weights, 1)
        budget = machine.gpu.vram_free if machine.gpu and machine.gpu.vram_free else machine.ram_available
        return Fit("fits", "GPU", need, budget, speed, f"runs on the GPU: {plan.reason}")
    if plan.backend == "GPU+CPU":
        share = plan.n_gpu_layers / max(spec.shape.layers, 1)
        speed = cpu_speed / max(1 - share, 0.05)
        return _cpu_verdict(need, machine, speed, "GPU+CPU", f"{plan.reason}; the rest runs from RAM")
    return _cpu_verdict(need, machine, cpu_speed, "CPU", plan.reason)


def _cpu_verdict(need: MemoryNeed, machine: Machine, speed: float, device: str, why: str) -> Fit:
    if need.total <= 0.8 * machine.ram_available:
        verdict, words = "fits", f"{_gb(machine.ram_available)} of RAM is free"
    elif need.total <= 0.9 * machine.ram_total:
        verdict, words = (
            "tight",
            (
                f"only {_gb(machine.ram_available)} of RAM is free now; close other programs "
                f"({_gb(machine.ram_total)} installed)"
            ),
        )
    else:
        verdict, words = "wont_fit", f"this machine has {_gb(machine.ram_total)} of RAM in all"
    return Fit(verdict, device, need, machine.ram_available, speed, f"{words} ({why})")


def gpu_layers_for(device: str, shape: ModelShape, need: MemoryNeed, machine: Machine) -> GpuPlan:
    """How many layers llama.cpp should put on the GPU for the user's device choice (Auto/GPU/CPU)."""
    every = shape.layers + 1  # all repeating layers plus the output layer
    if device == "cpu":
        return GpuPlan(0, "CPU", "you chose CPU")
    if not machine.gpu_offload:
        return GpuPlan(
            0,
            "CPU",
            "this llama.cpp build has no GPU support (see the README to build it with CUDA, Metal or Vulkan)",
        )
    if machine.gpu is None:
        return GpuPlan(0, "CPU", "no GPU was found")
    if device == "gpu":
        return GpuPlan(every, "GPU", "you chose GPU: every layer is offloaded")
    free = machine.gpu.vram_free
    if machine.gpu.unified or free is None:
        return GpuPlan(
            every, "GPU", f"{machine.gpu.name} reports no separate memory limit: every layer is offloaded"
        )
    usable = 0.9 * free - need.overhead - GPU_RUNTIME_RESERVE
    per_layer = (need.weights + need.kv_cache) / every
    layers = max(0, min(every, int(usable // per_layer))) if per_layer > 0 else every
    if layers >= every:
        return GpuPlan(every, "GPU", f"all {every} layers fit in {_gb(free)} of free VRAM")
    if layers == 0:
        return GpuPlan(0, "CPU", f"not one layer fits in {_gb(free)} of free VRAM")
    return GpuPlan(layers, "GPU+CPU", f"{layers} of {every} layers fit in {_gb(free)} of free VRAM")


# -- detection -------------------------------------------------------------------------------------
def detect(models_dir: Path, gpu_offload: bool | None = None) -> Machine:
    """Look at this machine. `gpu_offload=None` asks the llama.cpp build (once per process)."""
    import psutil

    memory = psutil.virtual_memory()
    return Machine(
        ram_total=int(memory.total),
        ram_available=int(memory.available),
        disk_free=disk_free(models_dir),
        cpu_count=os.cpu_count() or 1,
        cpu_features=cpu_features(),
        gpu=detect_gpu(),
        gpu_offload=build_supports_gpu_offload() if gpu_offload is None else gpu_offload,
    )


def disk_free(folder: Path) -> int:
    """Free bytes where `folder` is (or would be: the nearest existing parent)."""
    probe = Path(folder)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def cpu_features() -> tuple[str, ...]:
    if platform.machine().lower() in ("arm64", "aarch64"):
        return ("neon",)
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return tuple(f for f in _INTERESTING_FLAGS if f in flags)
    except OSError:
        pass
    return ()


def detect_gpu() -> GpuInfo | None:
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return GpuInfo("Apple GPU (Metal)", None, None, unified=True)
    return _nvidia_gpu()


def _nvidia_gpu() -> GpuInfo | None:
    """NVIDIA through NVML (nvidia-ml-py) where the driver is installed, else nvidia-smi; None when
    neither answers (no driver, no card: the usual laptop without NVIDIA)."""
    found = nvml_gpu()
    if found is not None:
        return found
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        out = subprocess.run(
            [smi, "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
        name, total, free = (part.strip() for part in out.splitlines()[0].split(","))
        return GpuInfo(name, int(total) * 1024**2, int(free) * 1024**2)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def nvml_gpu() -> GpuInfo | None:
    """Free and total VRAM from NVML, summed over the cards (llama.cpp spreads layers over all of them).
    None when the NVML library or driver is absent: pynvml raises NVMLError_LibraryNotFound then."""
    try:
        import pynvml  # nvidia-ml-py: pure Python, loads libnvidia-ml from the driver on nvmlInit
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return None
    try:
        names, total, free = [], 0, 0
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            names.append(name if isinstance(name, str) else name.decode())
            total, free = total + int(memory.total), free + int(memory.free)
        if not names:
            return None
        if len(set(names)) == 1:
            label = names[0] if len(names) == 1 else f"{len(names)} × {names[0]}"
        else:
            label = " + ".join(names)
        return GpuInfo(label, total, free)
    except pynvml.NVMLError:
        return None
    finally:
        try:
            pynvml.nvmlShutdown()
        except pynvml.NVMLError:
            pass


@functools.cache
def build_supports_gpu_offload() -> bool:
    """Ask llama.cpp in a child process: loading its library here would tie this process to a native
    crash, and the answer never changes while the app runs."""
    if getattr(
        sys, "frozen", False
    ):  # a bundled app cannot run `python -c`; its llama.cpp is the shipped one
        import llama_cpp

        from engine.inference import backends

        backends.ensure_loaded()  # with dynamic backends, offload is only there once a GPU backend is
        return bool(llama_cpp.llama_supports_gpu_offload())
    code = (
        "import llama_cpp, sys; from engine.inference import backends; backends.ensure_loaded(); "
        "sys.stdout.write(str(bool(llama_cpp.llama_supports_gpu_offload())))"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.stdout.strip() == "True"


def _gb(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"

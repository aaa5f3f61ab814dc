"""What actually ran, read from llama.cpp's own load log rather than from what was asked for: how many
layers it offloaded, to which device (CUDA0, Metal, Vulkan0...), and, when a GPU load failed, why.

llama.cpp logs these lines while it loads (src/llama.cpp, src/llama-model.cpp, ggml-cuda.cu):
    llama_model_load_from_file_impl: using device CUDA0 (NVIDIA H100 80GB HBM3) (0000:00:1e.0) - 80614 MiB free
    load_tensors: offloaded 19/19 layers to GPU
    load_tensors:        CUDA0 model buffer size =   355.02 MiB
    ggml_backend_cuda_buffer_type_alloc_buffer: allocating 355.02 MiB on device 0: cudaMalloc failed: out of memory
    llama_model_load: error loading model: unable to allocate CUDA0 buffer
The worker keeps the placement lines (ModelInfo.placement); the parent keeps the last stderr lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

_OFFLOADED = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")
_DEVICE = re.compile(r"using device (\S+) \(([^)]*)\)")
_WEIGHTS_BUFFER = re.compile(r"(\S+) model buffer size")
# Lines that name a cause, most telling first. Generic wrap-ups ("failed to load model") come last.
_CAUSES = (
    re.compile(r"(cudaMalloc failed: .*|out of memory.*|ErrorOutOfDeviceMemory.*)", re.IGNORECASE),
    re.compile(r"error loading model: (.*)", re.IGNORECASE),
    re.compile(r"(unable to allocate .*|failed to allocate .*)", re.IGNORECASE),
    re.compile(r"((?:CUDA|Metal|Vulkan|ggml_cuda|ggml_metal|ggml_vulkan)\S* error.*)", re.IGNORECASE),
)
_GENERIC = ("failed to load model", "failed to create llama_context")


@dataclass(frozen=True)
class Placement:
    gpu_layers: int  # layers llama.cpp says it offloaded (0 where it offloaded none or cannot)
    layers_total: int  # repeating layers + the output layer, as llama.cpp counts them (0: not said)
    backend: str  # "CPU", or the device(s) the offloaded layers went to, e.g. "CUDA0 (NVIDIA H100 80GB HBM3)"


def read_placement(placement: str) -> Placement | None:
    """The offload llama.cpp reported, or None where its log says nothing about offloading (a build
    without GPU support does not log the line at all)."""
    counted = _OFFLOADED.findall(placement)
    if not counted:
        return None
    done, total = (int(n) for n in counted[-1])
    if done == 0:
        return Placement(0, total, "CPU")
    devices = [f"{name} ({about})" if about else name for name, about in _DEVICE.findall(placement)]
    if not devices:  # older logs name the device only in the buffer lines
        devices = [
            b for b in dict.fromkeys(_WEIGHTS_BUFFER.findall(placement)) if not b.upper().startswith("CPU")
        ]
    return Placement(done, total, " + ".join(devices) or "GPU")


def failure_cause(log_lines: list[str]) -> str:
    """llama.cpp's own reason for a failed load, from its last log lines ("" when it gave none)."""
    for pattern in _CAUSES:
        for line in reversed(log_lines):
            found = pattern.search(line)
            if found and not any(g in found.group(1).lower() for g in _GENERIC):
                return found.group(1).strip().rstrip(".")[:160]
    return ""


def fallback_sentence(cause: str) -> str:
    """The words shown wherever the app says where the model runs."""
    why = f" ({cause})" if cause else ""
    return f"The GPU could not load this model{why}, so it runs on the CPU."


def where_words(gpu_layers: int, layers_total: int, backend: str) -> str:
    """'all 19 layers on CUDA0 (...)', '7 of 19 layers on Vulkan0, the rest on the CPU', 'CPU only'."""
    if gpu_layers == 0:
        return f"CPU only ({layers_total} layers)" if layers_total else "CPU only"
    if gpu_layers < 0:  # asked for "all" with no count from llama.cpp (an older record)
        return "all layers on the GPU"
    if layers_total and gpu_layers >= layers_total:
        return f"all {layers_total} layers on {backend}"
    of = f" of {layers_total}" if layers_total else ""
    return f"{gpu_layers}{of} layers on {backend}, the rest on the CPU"

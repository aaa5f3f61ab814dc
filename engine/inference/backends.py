"""Which llama.cpp kernels run on this computer.

Our llama.cpp is built with GGML_BACKEND_DL and GGML_CPU_ALL_VARIANTS: one CPU library per
instruction-set level (x64, sse42, sandybridge, haswell, skylakex, icelake, zen4, sapphirerapids...)
and GPU backends as separate libraries, none linked in. llama-cpp-python 0.3.36 never loads them, so
this module does, in the process that runs llama.cpp (the worker, the hardware probe, the merge),
before the first model load:

- each CPU variant scores this CPU itself (`ggml_backend_score`, the function ggml's own loader
  calls: 0 where an instruction it needs is missing) and the best one runs;
- AMX variants are skipped unless this process may really use AMX tiles: some Xeons report AMX in
  CPUID while the kernel (or the hypervisor) refuses the tiles, and ggml's scoring only reads CPUID,
  so it picks sapphirerapids there and dies with SIGILL on the first `tilezero`. Measured on such a
  machine, the permission request (arch_prctl) even returned 0 and the tiles still faulted, so AMX is
  used only where the user opts in with RIDDLEWIRE_ALLOW_AMX=1 and the kernel grants it;
- GPU backends (CUDA, Vulkan, HIP) load only where their driver library exists; anywhere else the
  reason is kept as a sentence and the CPU runs.

Everything is through ctypes on the very libggml that libllama links (`libggml.so.0` on Linux): a
wheel stores symlinks as copies, and `libggml.so` beside it is a second copy with its own, empty,
backend registry.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelError

# What each CPU variant needs at least, in words for Diagnostics (ggml's cmake variant list).
VARIANT_FEATURES = {
    "x64": "SSE2",
    "sse42": "SSE4.2",
    "sandybridge": "AVX",
    "ivybridge": "AVX, F16C",
    "piledriver": "AVX, FMA",
    "haswell": "AVX2",
    "skylakex": "AVX-512",
    "cannonlake": "AVX-512 VBMI",
    "cascadelake": "AVX-512 VNNI",
    "icelake": "AVX-512 VNNI and VBMI",
    "cooperlake": "AVX-512 BF16",
    "zen4": "AVX-512 BF16",
    "alderlake": "AVX-VNNI",
    "sapphirerapids": "AMX",
}
AMX_VARIANTS = frozenset({"sapphirerapids"})
# GPU backends we may ship, each with the driver library it cannot run without.
GPU_BACKENDS = (
    ("cuda", "CUDA", "cuda", "no NVIDIA driver was found (libcuda)"),
    ("hip", "ROCm", "amdhip64", "no AMD ROCm runtime was found (libamdhip64)"),
    ("vulkan", "Vulkan", "vulkan", "no Vulkan loader was found (libvulkan)"),
)
FOLDER_ENV = "RIDDLEWIRE_GGML_BACKENDS"  # where the backend libraries are, if not the default
ALLOW_AMX_ENV = "RIDDLEWIRE_ALLOW_AMX"

# Linux arch_prctl: ask for, then read back, permission to use AMX tile data (XFEATURE 18).
_SYS_ARCH_PRCTL = 158
_ARCH_GET_XCOMP_PERM = 0x1022
_ARCH_REQ_XCOMP_PERM = 0x1023
_XFEATURE_XTILEDATA = 18


@dataclass(frozen=True)
class Kernels:
    """What this process runs llama.cpp with."""

    cpu_variant: str  # "haswell", or "built-in" for a build without dynamic backends
    cpu_path: str
    gpu: tuple[str, ...] = ()  # GPU backends loaded ("CUDA")
    skipped: tuple[str, ...] = ()  # sentences: what was not used, and why
    scores: tuple[tuple[str, int], ...] = ()  # every CPU variant's score on this CPU (0: cannot run)

    def describe(self) -> str:
        """One line for Diagnostics, the Models page and a riddle's provenance."""
        features = VARIANT_FEATURES.get(self.cpu_variant)
        cpu = f"CPU kernels: {self.cpu_variant}" + (f" ({features})" if features else "")
        return cpu + ("; GPU: " + ", ".join(self.gpu) if self.gpu else "")


_lock = threading.Lock()
_loaded: Kernels | None = None


def ensure_loaded(folder: Path | None = None) -> Kernels:
    """Load the best CPU variant (and any usable GPU backend) once per process; later calls return
    what was loaded. Raises ModelError with a sentence when no CPU kernels can run here."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _load(folder or backends_folder())
        return _loaded


def backends_folder() -> Path:
    """The folder holding libggml-cpu-*.so: set by the bundle or the environment, else where the
    llama-cpp-python wheel installs them (site-packages/bin)."""
    if os.environ.get(FOLDER_ENV):
        return Path(os.environ[FOLDER_ENV])
    if getattr(sys, "frozen", False):
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "ggml-backends"
    return llama_lib_folder().parent.parent / "bin"


def llama_lib_folder() -> Path:
    import llama_cpp  # the worker imports it anyway; here only for its path

    return Path(llama_cpp.__file__).resolve().parent / "lib"


def _load(folder: Path) -> Kernels:
    ggml = libggml()
    variants = _variant_files(folder)
    if not variants:
        if _registered_backends(ggml) > 0:  # a build with the CPU linked in (no dynamic backends)
            return Kernels(cpu_variant="built-in", cpu_path="")
        raise ModelError(
            f"No llama.cpp CPU kernels were found in {folder}. The installation is incomplete: "
            "reinstall Riddlewire (or run `make setup` in a source checkout)."
        )
    scores = tuple((name, _score(path)) for name, path in variants.items())
    name, skipped = choose_variant(dict(scores), amx_usable())
    if name is None:
        raise ModelError(
            "None of llama.cpp's CPU kernels can run on this processor "
            f"(every variant in {folder} needs an instruction it lacks)."
        )
    if not ggml.ggml_backend_load(str(variants[name]).encode()):
        raise ModelError(f"llama.cpp's CPU kernels for {name} ({variants[name].name}) could not be loaded.")
    gpu, gpu_skipped = _load_gpu_backends(ggml, folder)
    return Kernels(name, str(variants[name]), gpu, skipped + gpu_skipped, scores)


def choose_variant(scores: dict[str, int], amx_ok: bool) -> tuple[str | None, tuple[str, ...]]:
    """The highest-scoring variant that runs here; AMX ones only where AMX is usable. Pure, so the
    AMX refusal is tested on any machine."""
    skipped = []
    usable = {}
    for name, score in scores.items():
        if score <= 0:
            continue
        if name in AMX_VARIANTS and not amx_ok:
            skipped.append(
                f"The {name} kernels (AMX) were skipped: this process may not use AMX tiles "
                f"(set {ALLOW_AMX_ENV}=1 where the kernel allows them)."
            )
            continue
        usable[name] = score
    if not usable:
        return None, tuple(skipped)
    return max(usable, key=lambda n: (usable[n], n)), tuple(skipped)


def amx_usable() -> bool:
    """AMX only by the user's choice and only where Linux grants this process the tile state."""
    if os.environ.get(ALLOW_AMX_ENV) != "1":
        return False
    if not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "AMD64"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(_SYS_ARCH_PRCTL, _ARCH_REQ_XCOMP_PERM, _XFEATURE_XTILEDATA) != 0:
        return False
    granted = ctypes.c_uint64()
    if libc.syscall(_SYS_ARCH_PRCTL, _ARCH_GET_XCOMP_PERM, ctypes.byref(granted)) != 0:
        return False
    return bool(granted.value & (1 << _XFEATURE_XTILEDATA))


def _variant_files(folder: Path) -> dict[str, Path]:
    prefix, suffix = _library_affixes()
    found = {}
    for path in sorted(folder.glob(f"{prefix}ggml-cpu-*{suffix}")) if folder.is_dir() else ():
        found[path.name[len(prefix) + len("ggml-cpu-") : -len(suffix)]] = path
    return found


def _library_affixes() -> tuple[str, str]:
    if sys.platform == "win32":
        return "", ".dll"
    return "lib", (".dylib" if sys.platform == "darwin" else ".so")


def _score(path: Path) -> int:
    """The variant's own verdict on this CPU. Its score function is built without the variant's
    instruction flags, so calling it is safe where the rest of the library would not be."""
    try:
        library = ctypes.CDLL(str(path))
        function = library.ggml_backend_score
    except (OSError, AttributeError):
        return 0
    function.restype = ctypes.c_int
    return int(function())


def _load_gpu_backends(ggml: ctypes.CDLL, folder: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    prefix, suffix = _library_affixes()
    loaded, skipped = [], []
    for stem, label, driver, missing in GPU_BACKENDS:
        path = folder / f"{prefix}ggml-{stem}{suffix}"
        if not path.exists():
            continue
        if os.environ.get("CUDA_VISIBLE_DEVICES") == "" and stem == "cuda":
            skipped.append(f"The {label} backend was skipped: GPUs are hidden from this process.")
        elif ctypes.util.find_library(driver) is None and not _soname_loads(driver):
            skipped.append(f"The {label} backend was skipped: {missing}, so llama.cpp runs on the CPU.")
        elif ggml.ggml_backend_load(str(path).encode()):
            loaded.append(label)
        else:
            skipped.append(f"The {label} backend was skipped: it found no usable device or driver.")
    return tuple(loaded), tuple(skipped)


def _soname_loads(driver: str) -> bool:
    """find_library misses libraries outside ldconfig's cache (e.g. WSL's libcuda); try to open it."""
    try:
        ctypes.CDLL(f"lib{driver}.so.1")
        return True
    except OSError:
        return False


def libggml() -> ctypes.CDLL:
    folder = llama_lib_folder()
    names = {"win32": ["ggml.dll"], "darwin": ["libggml.dylib"]}.get(
        sys.platform, ["libggml.so.0", "libggml.so"]
    )
    for name in names:
        if (folder / name).exists():
            ggml = ctypes.CDLL(str(folder / name))
            ggml.ggml_backend_load.restype = ctypes.c_void_p
            ggml.ggml_backend_load.argtypes = [ctypes.c_char_p]
            ggml.ggml_backend_reg_count.restype = ctypes.c_size_t
            return ggml
    raise ModelError(f"llama.cpp's ggml library was not found in {folder}; reinstall Riddlewire.")


def _registered_backends(ggml: ctypes.CDLL) -> int:
    return int(ggml.ggml_backend_reg_count())

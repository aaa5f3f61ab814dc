"""Diagnostics: what a person pastes into a bug report. Versions, the llama.cpp build (CPU features
compiled in, GPU devices seen, whether offload works), the models folder and its free space, the
history database's size and integrity, the settings that shape speed, and the last errors.

llama_cpp is imported only in a short-lived subprocess (`python -m engine.diagnostics
--llama-build`), so asking about the build can never crash or slow down the window. The report
holds no personal data: paths under the home folder are shown as ~, and links and quoted text in
error lines (which could be feed contents) are blanked."""

from __future__ import annotations

import functools
import json
import logging
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import __version__
from engine.hardware import disk_free
from engine.inference import ModelInfo
from engine.inference.placement import where_words
from engine.logs import LoggedError, recent_errors
from engine.paths import AppPaths
from engine.settings import SETTINGS, Settings
from engine.store import Store

log = logging.getLogger(__name__)

PROBE_FLAG = "--llama-build"
_DEVICE_KINDS = {0: "CPU", 1: "GPU", 2: "integrated GPU", 3: "accelerator"}
# Settings that shape speed and output go into the report; folders and servers stay out (personal).
_REPORTED_SECTIONS = ("model", "inference", "sampling", "privacy", "appearance", "diagnostics")
_PRIVATE_KEYS = ("privacy.hub_endpoint",)


@dataclass(frozen=True)
class Device:
    name: str
    description: str
    kind: str
    free_bytes: int
    total_bytes: int


@dataclass(frozen=True)
class LlamaBuild:
    version: str = ""
    system_info: str = ""  # llama_print_system_info(): the CPU features of the kernels that run
    kernels: str = ""  # "CPU kernels: haswell (AVX2)" (engine.inference.backends)
    kernel_notes: tuple[str, ...] = ()  # what was skipped, and why (AMX, a GPU backend with no driver)
    gpu_offload: bool = False
    devices: tuple[Device, ...] = ()
    problem: str = ""  # a sentence when the probe itself failed

    @property
    def gpu_devices(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.kind != "CPU")


@dataclass(frozen=True)
class DatabaseHealth:
    size_bytes: int = 0
    integrity: str = ""  # "ok", or SQLite's first complaints
    riddles: int = 0
    articles: int = 0
    problem: str = ""  # a sentence when the database could not be opened


@dataclass(frozen=True)
class Diagnostics:
    app_version: str
    python: str
    platform: str
    qt_version: str
    cpu_count: int
    memory_bytes: int | None
    llama: LlamaBuild
    models_folder: str
    models_free_bytes: int
    model_files: tuple[tuple[str, int], ...]
    active_model: str
    loaded: ModelInfo | None
    database: DatabaseHealth
    log_file: str
    settings: tuple[tuple[str, str], ...]
    errors: tuple[LoggedError, ...] = field(default_factory=tuple)

    def report(self) -> str:
        return render_report(self)


# -- the llama.cpp build, asked in a subprocess -------------------------------------------------
def probe_command() -> list[str]:
    """The bundled executable re-enters itself with a flag (desktop/launcher.py); a source install
    runs this module with the same interpreter."""
    if getattr(sys, "frozen", False):
        return [sys.executable, PROBE_FLAG]
    return [sys.executable, "-m", "engine.diagnostics", PROBE_FLAG]


@functools.lru_cache(maxsize=1)
def llama_build(timeout_s: float = 30.0) -> LlamaBuild:
    """What this llama.cpp build can do. Cached: the build does not change while the app runs."""
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run(probe_command(), capture_output=True, timeout=timeout_s, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return LlamaBuild(problem=f"The llama.cpp build could not be examined ({error.__class__.__name__}).")
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        return LlamaBuild(
            problem=f"The llama.cpp build could not be examined: it stopped with status "
            f"{done.returncode} ({tail[0][:200]})."
        )
    facts = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
    devices = tuple(Device(**d) for d in facts.pop("devices"))
    facts["kernel_notes"] = tuple(facts.get("kernel_notes", ()))
    return LlamaBuild(devices=devices, **facts)


def probe_llama() -> dict[str, Any]:
    """Runs in the subprocess: load llama.cpp's kernels as the worker does, then ask it."""
    import llama_cpp

    from engine.errors import ModelError
    from engine.inference import backends

    try:
        kernels = backends.ensure_loaded()
        ran, notes = kernels.describe(), list(kernels.skipped)
    except ModelError as missing:
        ran, notes = "", [str(missing)]
    return {
        "kernels": ran,
        "kernel_notes": notes,
        "version": llama_cpp.__version__,
        "system_info": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip(),
        "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
        "devices": _ggml_devices(),
    }


def _ggml_devices() -> list[dict[str, Any]]:
    """ggml's backend devices (CPU, CUDA0, Vulkan0, Metal...). The Python bindings do not wrap this
    part of ggml's C API, so it is called through ctypes; any failure just means no device list."""
    import ctypes

    try:
        from engine.inference.backends import libggml

        lib = libggml()  # the libggml that libllama uses: it holds the loaded backends and their devices

        lib.ggml_backend_dev_count.restype = ctypes.c_size_t
        lib.ggml_backend_dev_get.restype = ctypes.c_void_p
        lib.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
        for name in ("ggml_backend_dev_name", "ggml_backend_dev_description"):
            getattr(lib, name).restype = ctypes.c_char_p
            getattr(lib, name).argtypes = [ctypes.c_void_p]
        lib.ggml_backend_dev_type.restype = ctypes.c_int
        lib.ggml_backend_dev_type.argtypes = [ctypes.c_void_p]
        size_p = ctypes.POINTER(ctypes.c_size_t)
        lib.ggml_backend_dev_memory.argtypes = [ctypes.c_void_p, size_p, size_p]
        devices = []
        for index in range(lib.ggml_backend_dev_count()):
            dev = lib.ggml_backend_dev_get(index)
            free, total = ctypes.c_size_t(), ctypes.c_size_t()
            lib.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
            devices.append(
                {
                    "name": lib.ggml_backend_dev_name(dev).decode("utf-8", "replace"),
                    "description": lib.ggml_backend_dev_description(dev).decode("utf-8", "replace"),
                    "kind": _DEVICE_KINDS.get(lib.ggml_backend_dev_type(dev), "device"),
                    "free_bytes": free.value,
                    "total_bytes": total.value,
                }
            )
        return devices
    except (AttributeError, OSError, ImportError):
        return []


# -- the rest, asked in this process -------------------------------------------------------------
def database_health(store: Store) -> DatabaseHealth:
    """Size, integrity and counts of the history (run it on the database thread)."""
    size = sum(
        p.stat().st_size for p in (store.path, store.path.with_name(store.path.name + "-wal")) if p.exists()
    )
    rows = store.db.execute("PRAGMA integrity_check(5)").fetchall()
    return DatabaseHealth(
        size_bytes=size,
        integrity="; ".join(r[0] for r in rows),
        riddles=store.count_riddles(),
        articles=store.count_articles(),
    )


StoreRunner = Callable[[Callable[[Store], DatabaseHealth]], DatabaseHealth]


def collect(
    paths: AppPaths,
    settings: Settings,
    *,
    qt_version: str = "",
    on_store: StoreRunner | None = None,
    active_model: str = "",
    loaded: ModelInfo | None = None,
) -> Diagnostics:
    """Gather everything (blocking, about a second for the llama.cpp probe). `on_store` runs a
    function on the app's database thread; without it the database is opened here (the CLI)."""
    return Diagnostics(
        app_version=__version__,
        python=f"{platform.python_implementation()} {platform.python_version()}",
        platform=f"{platform.system()} {platform.release()} ({platform.machine()})",
        qt_version=qt_version,
        cpu_count=os.cpu_count() or 0,
        memory_bytes=_memory_bytes(),
        llama=llama_build(),
        models_folder=str(paths.models),
        models_free_bytes=disk_free(paths.models),
        model_files=tuple(
            sorted((p.name, p.stat().st_size) for p in paths.models.glob("*.gguf") if p.is_file())
        ),
        active_model=active_model,
        loaded=loaded,
        database=_database(paths, on_store),
        log_file=str(paths.logs / "riddlewire.log"),
        settings=_reported_settings(settings),
        errors=tuple(recent_errors(paths.logs)),
    )


def _database(paths: AppPaths, on_store: StoreRunner | None) -> DatabaseHealth:
    from engine.errors import EngineError

    try:
        if on_store is not None:
            return on_store(database_health)
        store = Store(paths.database)
        try:
            return database_health(store)
        finally:
            store.close()
    except EngineError as error:
        return DatabaseHealth(problem=error.sentence)


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None  # not a POSIX system; the model manager's hardware check knows more


def _reported_settings(settings: Settings) -> tuple[tuple[str, str], ...]:
    shown = []
    for setting in SETTINGS:
        if setting.section not in _REPORTED_SECTIONS or not setting.visible:
            continue
        value = settings[setting.key]
        if setting.key in _PRIVATE_KEYS:
            value = "custom" if value else "default"
        shown.append((setting.key, str(value)))
    return tuple(shown)


# -- the report ----------------------------------------------------------------------------------
_LINK = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”")


def scrub(text: str) -> str:
    """Keep a line's shape, drop what could be personal: home folder, links, quoted text."""
    home = str(Path.home())
    if len(home) > 1:
        text = text.replace(home, "~")
    return _LINK.sub("<link>", _QUOTED.sub("'…'", text))


def _size(count: int | None) -> str:
    if count is None:
        return "unknown"
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


def render_report(d: Diagnostics) -> str:
    lines = [
        "Riddlewire diagnostics",
        f"App: {d.app_version}",
        f"Python: {d.python}",
        f"Qt: {d.qt_version or 'not loaded'}",
        f"System: {d.platform}, {d.cpu_count} CPU threads, {_size(d.memory_bytes)} memory",
        "",
        "llama.cpp",
        *_llama_lines(d.llama),
        "",
        "Models",
        f"Folder: {d.models_folder} ({_size(d.models_free_bytes)} free)",
        *(f"  {name} ({_size(size)})" for name, size in d.model_files),
        f"Active: {d.active_model or 'none chosen yet'}",
        *_loaded_lines(d.loaded),
        "",
        "History database",
        *_database_lines(d.database),
        "",
        "Settings that shape speed and output",
        *(f"  {key} = {value}" for key, value in d.settings),
        "",
        f"Last errors (log: {d.log_file})",
        *([f"  {e.line[:300]}" for e in d.errors] or ["  none"]),
    ]
    return scrub("\n".join(lines)) + "\n"


def _llama_lines(build: LlamaBuild) -> list[str]:
    if build.problem:
        return [build.problem]
    lines = [
        f"Version: {build.version}",
        build.kernels or "CPU kernels: none could be loaded",
        *(f"  {note}" for note in build.kernel_notes),
        f"Features in use: {build.system_info}",
        "GPU offload: " + ("works here" if build.gpu_offload else "no GPU backend loaded (processor only)"),
    ]
    for dev in build.devices:
        memory = f", {_size(dev.free_bytes)} free of {_size(dev.total_bytes)}" if dev.total_bytes else ""
        lines.append(f"Device: {dev.name} ({dev.kind}: {dev.description}{memory})")
    return lines


def _loaded_lines(info: ModelInfo | None) -> list[str]:
    if info is None:
        return ["Loaded: no model is loaded right now"]
    where = where_words(info.gpu_layers, info.layers_total, info.backend)
    lines = [
        f"Loaded: {Path(info.path).name}, {info.architecture}, {info.n_params / 1e6:.0f}M parameters, "
        f"context {info.n_ctx}, {where}, loaded in {info.load_s:.2f} s"
    ]
    if info.kernels:
        lines.append(f"Ran with: {info.kernels}")
    if info.fallback:
        lines.append(f"Fallback: {info.fallback}")
    # llama.cpp's own words about where the weights went (devices, offloaded layers, buffer sizes).
    lines += [f"  llama.cpp: {line.strip()}" for line in info.placement.splitlines()[:12] if line.strip()]
    return lines


def _database_lines(db: DatabaseHealth) -> list[str]:
    if db.problem:
        return [db.problem]
    verdict = "ok" if db.integrity == "ok" else f"PROBLEMS: {db.integrity}"
    return [
        f"Size: {_size(db.size_bytes)}, integrity {verdict}",
        f"{db.riddles} riddles, {db.articles} articles",
    ]


if __name__ == "__main__" and PROBE_FLAG in sys.argv:
    print(json.dumps(probe_llama()))

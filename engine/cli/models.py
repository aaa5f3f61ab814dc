"""`riddlewire models list | info | download | import | remove | use | attach`: the model manager
without the window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine import model_registry as registry
from engine.active_model import import_checked
from engine.catalog import load_catalog
from engine.downloads import HubFile, download
from engine.gguf_file import read_header
from engine.hardware import DEVICES, detect, fit
from engine.inference.local import LocalSettings
from engine.model_rows import INSTALLED_STATES, rows_on_disk
from engine.paths import app_paths
from engine.progress import Progress


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("models", help="list, download, import and remove models")
    sub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = sub.add_parser(
        "list", help="the catalog with a fit verdict for this machine, and what is installed"
    )
    listing.add_argument("--installed", action="store_true", help="only installed models")
    _fit_options(listing)
    listing.set_defaults(run=run_list)
    info = sub.add_parser(
        "info", help="details and the fit arithmetic for a catalog model, or a GGUF file's header"
    )
    info.add_argument("model", help="a catalog id, an installed key, or a path to a .gguf")
    info.add_argument("--quant", help="which quantization (default Q4_K_M)")
    _fit_options(info)
    info.set_defaults(run=run_info)
    get = sub.add_parser("download", help="download a catalog model from the Hugging Face Hub (resumes)")
    get.add_argument("model", help="a catalog id (see `riddlewire models list`)")
    get.add_argument("--quant", help="which quantization (default Q4_K_M)")
    get.add_argument("--endpoint", help="a Hub mirror (default: HF_ENDPOINT or huggingface.co)")
    get.add_argument("--use", action="store_true", help="make it the active model when done")
    get.set_defaults(run=run_download)
    own = sub.add_parser("import", help="import your own .gguf (checked, then one test riddle)")
    own.add_argument("path", type=Path)
    own.add_argument("--no-smoke", action="store_true", help="skip the test riddle")
    own.add_argument("--use", action="store_true", help="make it the active model")
    own.set_defaults(run=run_import)
    gone = sub.add_parser(
        "remove", help="remove a model (a downloaded file is deleted; an import is forgotten)"
    )
    gone.add_argument("key")
    gone.set_defaults(run=run_remove)
    use = sub.add_parser("use", help="make an installed model the active one")
    use.add_argument("key")
    use.set_defaults(run=run_use)
    lora = sub.add_parser("attach", help="attach a LoRA adapter .gguf to an installed model (or --detach)")
    lora.add_argument("key")
    lora.add_argument("adapter", type=Path, nargs="?")
    lora.add_argument("--detach", action="store_true")
    lora.set_defaults(run=run_attach)


def _fit_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ctx", type=int, default=2048, help="context length the fit is computed for (default 2048)"
    )
    p.add_argument("--device", choices=DEVICES, default="auto", help="Auto, GPU or CPU (default auto)")


def run_list(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    reg = registry.load(paths)
    if not args.installed:
        machine = detect(paths.models)
        print(machine.summary())
        # The Models page's rows (engine/model_rows.py): the same states and fit verdicts.
        for row in rows_on_disk(load_catalog(), paths, machine, args.ctx, args.device):
            if row.spec is None or row.file is None or row.fit is None:
                continue  # an import: listed below
            spec, file, verdict = row.spec, row.file, row.fit
            state = row.state if row.state in INSTALLED_STATES else ""
            print(
                f"{spec.id:24} {file.quant:7} {spec.tier:6} {spec.variant:8} {_mb(file.size_bytes):>9}  "
                f"{verdict.badge:16} {verdict.speed_class:6} {state}"
            )
    for model in reg.models:
        if model.source == "import" or args.installed:
            mark = "*" if model.key == reg.active_key else " "
            lora = f" + LoRA {model.adapter.name}" if model.adapter else ""
            print(
                f"{mark} {model.key:30} {model.name}{lora} ({model.source}, {model.variant}, {model.quant})"
            )
    return 0


def run_info(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    path = Path(args.model)
    if path.suffix == ".gguf" and path.exists():
        print(read_header(path).describe())
        return 0
    installed = registry.load(paths).find(args.model)
    if installed is not None:
        print(
            f"{installed.name} [{installed.key}]: {installed.path}\n  sha256 {installed.sha256}, "
            f"{_mb(installed.size_bytes)}, {installed.variant}, {installed.quant}"
        )
        return 0
    spec = load_catalog().get(args.model)
    file = spec.file(args.quant)
    verdict = fit(spec, file, detect(paths.models), args.ctx, args.device)
    print(
        f"{spec.name} ({spec.family}, {spec.params_b}B parameters, {spec.variant}, {spec.tier})\n"
        f"  {spec.notes}\n  file {file.filename} ({file.quant}, {_mb(file.size_bytes)}) from "
        f"{spec.repo_id or 'bundled'}\n  licence: {spec.license}{' (gated)' if spec.gated else ''} "
        f"{spec.license_url}\n  quantizations: {', '.join(spec.quants)}\n  {verdict.badge}: "
        f"{verdict.arithmetic()}"
    )
    return 0


def run_download(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    spec = load_catalog().get(args.model)
    file = spec.file(args.quant)
    if spec.bundled:
        print(f"{spec.name} is bundled with Riddlewire; there is nothing to download.")
        return 0

    def show(progress: Progress) -> None:
        print(f"\r{progress.message:70}", end="", file=sys.stderr, flush=True)

    done = download(HubFile.from_catalog(spec, file), paths.models, endpoint=args.endpoint, progress=show)
    print(file=sys.stderr)
    model = registry.register_download(paths, spec, file, done)
    if args.use:
        registry.set_active(paths, model.key)
    print(f"Installed {spec.name} ({file.quant}) as {model.key}; sha256 verified.")
    return 0


def run_import(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    if args.no_smoke:
        model = registry.import_gguf(paths, args.path)
        print(f"Imported {model.name} as {model.key} ({model.architecture}, {model.quant}, {model.variant}).")
    else:
        model, smoke = import_checked(paths, args.path, LocalSettings(idle_unload_s=None))
        print(f"Imported {model.name} as {model.key} ({model.architecture}, {model.quant}, {model.variant}).")
        print(
            f"Test riddle ({smoke.seconds:.1f} s): {smoke.riddle} — {smoke.answer}"
            if not smoke.problem
            else f"It loads, but its test riddle failed: {smoke.problem}"
        )
    if args.use:
        registry.set_active(paths, model.key)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    freed = registry.remove(app_paths().ensure(), args.key)
    print(
        f"Removed {args.key}" + (f"; {_mb(freed)} of disk reclaimed." if freed else " (its file was kept).")
    )
    return 0


def run_use(args: argparse.Namespace) -> int:
    model = registry.set_active(app_paths().ensure(), args.key)
    print(f"Riddles now come from {model.name}.")
    return 0


def run_attach(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    if args.detach or args.adapter is None:
        model = registry.detach_adapter(paths, args.key)
        print(f"{model.name} runs without an adapter.")
    else:
        model = registry.attach_adapter(paths, args.key, args.adapter)
        print(f"{model.name} now loads with the LoRA adapter {model.adapter.name}.")
    return 0


def _mb(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"

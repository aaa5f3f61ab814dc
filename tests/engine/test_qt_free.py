"""engine/ must never import Qt: it is shared by the CLI, the tests and the GUI."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parents[2]


def all_engine_modules() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.walk_packages(engine.__path__, prefix="engine.")
        if m.name != "engine.__main__"
    )


def test_there_are_modules_to_check():
    modules = all_engine_modules()
    assert "engine.inference.worker" in modules and "engine.store" in modules


def test_importing_every_engine_module_never_imports_qt():
    code = (
        "import importlib, sys\n"
        f"mods = {all_engine_modules()!r}\n"
        "for m in mods: importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('PySide6', 'shiboken6', 'desktop'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"engine imported: {result.stdout}"

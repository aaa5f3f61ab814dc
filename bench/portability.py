"""Does Riddlewire riddle on CPUs we do not have? `make portability` (or `python -m bench.portability`).

qemu-user (Debian's `qemu-user`) emulates one x86-64 CPU model per run: Nehalem is x86-64-v2 without
AVX, Haswell-v4 and EPYC-Milan are AVX2 machines without AVX-512 (Intel and AMD). qemu has no AVX-512
at all, so a build that compiles AVX-512 into its kernels dies there with SIGILL, as it would on most
laptops. The engine worker is a child process, which qemu-user would run natively; so the interpreter is
started through a wrapper in the venv's bin/ (`exec qemu-x86_64 -cpu MODEL -0 "$0" python "$@"`): `-0`
makes argv[0], hence sys.executable, the wrapper, and the worker re-enters the same emulated CPU.

Each run riddles one sample article with the scripted test model (a tiny real GGUF: seconds even under
emulation) through the app's own path (open_riddler → Riddler → worker), and prints which kernels ran.
Natively it also runs the same check without qemu. Results: docs/installers.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU_MODELS = (
    ("x86-64-v2, no AVX (Intel Nehalem)", "Nehalem"),
    ("AVX2, no AVX-512 (Intel Haswell)", "Haswell-v4"),
    ("AVX2, no AVX-512 (AMD EPYC Milan, Zen 3)", "EPYC-Milan"),
)

RIDDLE_ONE = r"""
import json, sys, time
from pathlib import Path
from engine.active_model import ModelChoice, open_riddler
from engine.inference import Sampling
from engine.inference.local import LocalSettings
from engine.samples import sample_articles
from tests.support.synthetic_gguf import write_scripted_model

model_path = Path(sys.argv[1])
if not model_path.exists():
    write_scripted_model(model_path)
started = time.perf_counter()
choice = ModelChoice(model_path, "", "scripted", "tiny", "base")
# The scripted model's byte-level prompt is long: give it room.
riddler, model = open_riddler(choice, LocalSettings(n_ctx=8192, idle_unload_s=None, load_timeout_s=600),
                              Sampling(temperature=0.0))
try:
    riddle, _ = riddler.riddle(sample_articles()[0])
    info = model.info
finally:
    model.close()
print(json.dumps({"answer": riddle.answer, "kernels": info.kernels, "notes": list(info.kernel_notes),
                  "seconds": round(time.perf_counter() - started, 1)}))
"""


def wrapper(cpu: str) -> Path:
    """A `python` that runs the venv's interpreter under qemu with one CPU model, for itself and for
    every child started through sys.executable."""
    real = Path(sys.executable).resolve()
    path = Path(sys.executable).parent / f"python-qemu-{cpu}"
    path.write_text(f'#!/bin/sh\nexec qemu-x86_64 -cpu {cpu} -0 "$0" {real} "$@"\n')
    path.chmod(0o755)
    return path


def riddle_with(python: Path | str, model: Path, timeout_s: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), "-c", RIDDLE_ONE, str(model)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"ok": False, "status": done.returncode, "why": tail[:300], "wall_s": round(seconds, 1)}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"ok": True, "wall_s": round(seconds, 1), **result}


def bundle_self_test(bundle: Path, cpu: str | None, timeout_s: float) -> dict:
    """The bundled executable's --self-test (starter model, one riddle, a database read back) in a
    clean environment, under qemu with the worker on the same emulated CPU (RIDDLEWIRE_WORKER_PREFIX:
    a frozen app re-enters its own executable, so the wrapper trick above cannot reach it)."""
    home = tempfile.mkdtemp()
    env = {"HOME": home, "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"}
    command = [str(bundle / "riddlewire"), "--self-test"]
    if cpu:
        env["RIDDLEWIRE_WORKER_PREFIX"] = f"qemu-x86_64 -cpu {cpu}"
        command = ["qemu-x86_64", "-cpu", cpu, *command]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        return {"ok": False, "why": f"no riddle within {timeout_s} s"}
    finally:
        shutil.rmtree(home, ignore_errors=True)
    said = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or ["no output"])[-1]
    return {
        "ok": done.returncode == 0,
        "status": done.returncode,
        "said": said[:300],
        "wall_s": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    if shutil.which("qemu-x86_64") is None:
        print("qemu-x86_64 is missing: apt-get install qemu-user", file=sys.stderr)
        return 2
    if "--bundle" in sys.argv:  # python -m bench.portability --bundle build/installer/dist/riddlewire
        bundle = Path(sys.argv[sys.argv.index("--bundle") + 1])
        failures = 0
        for label, cpu in (("native (this machine)", None), *CPU_MODELS):
            result = bundle_self_test(bundle, cpu, 1800)
            failures += not result["ok"]
            print(f"bundle, {label}: {json.dumps(result)}", flush=True)
        return 1 if failures else 0
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "scripted.gguf"
        runs = [("native (this machine)", sys.executable, 300)]
        runs += [(label, wrapper(cpu), 900) for label, cpu in CPU_MODELS]
        for label, python, timeout_s in runs:
            try:
                result = riddle_with(python, model, timeout_s)
            except subprocess.TimeoutExpired:
                result = {"ok": False, "why": f"no riddle within {timeout_s} s"}
            failures += not result["ok"]
            print(f"{label}: {json.dumps(result)}", flush=True)
            if python != sys.executable:
                Path(python).unlink(missing_ok=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""The reliability scorecard: counts recorded by the robustness suites while they run, and the page
written from them.

During a run, tests call `tally(suite, inputs=..., faults=..., iterations=...)` and `worst(suite, name,
value)`; tests/robustness/conftest.py adds every test's outcome and, at the end of the session, writes
build/robustness/scorecard-<mode>.json (mode "fast", or "soak" under RIDDLEWIRE_SOAK=1). Then

    .venv/bin/python -m tests.robustness.scorecard

writes docs/reliability.md from those files. No number on that page is typed by hand."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "robustness"
PAGE = ROOT / "docs" / "reliability.md"
# The soak run multiplies every loop by SOAK_FACTOR and lets hypothesis explore fresh random examples;
# CI runs hypothesis derandomized (the same examples each time), so a new find never makes CI flaky.
SOAK = os.environ.get("RIDDLEWIRE_SOAK", "") not in ("", "0")
MODE = "soak" if SOAK else "fast"
SOAK_FACTOR = 10

_counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
_worst: dict[str, dict[str, float]] = defaultdict(dict)


def scaled(fast: int) -> int:
    """Iterations for this run: `fast` in CI, ten times as many in the soak run."""
    return fast * SOAK_FACTOR if SOAK else fast


def tally(suite: str, *, inputs: int = 0, faults: int = 0, iterations: int = 0) -> None:
    """Count what a test really did (call it as the work happens, so a failing test still counts)."""
    counts = _counts[suite]
    counts["inputs"] += inputs
    counts["faults"] += faults
    counts["iterations"] += iterations


def worst(suite: str, name: str, value: float) -> None:
    """Keep the largest value seen for a measure (seconds to a sentence, MB of memory, ms of stall)."""
    if value > _worst[suite].get(name, float("-inf")):
        _worst[suite][name] = round(value, 4)


def snapshot(outcomes: dict[str, str], seconds: float) -> dict:
    return {
        "mode": MODE,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "machine": _machine(),
        "commit": _commit(),
        "counts": {suite: dict(values) for suite, values in _counts.items()},
        "worst": {suite: dict(values) for suite, values in _worst.items()},
        "outcomes": outcomes,
    }


def save(outcomes: dict[str, str], seconds: float) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"scorecard-{MODE}.json"
    path.write_text(json.dumps(snapshot(outcomes, seconds), indent=1, sort_keys=True))
    return path


def _machine() -> str:
    try:
        import psutil

        memory = f", {psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:  # pragma: no cover - psutil is a dependency
        memory = ""
    return f"{os.cpu_count()}-core {platform.machine()}{memory}, Python {platform.python_version()}"


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        return done.stdout.strip()
    except OSError:
        return ""


if __name__ == "__main__":
    from tests.robustness.report import write_page

    sys.exit(write_page(OUT, PAGE))

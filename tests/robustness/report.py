"""docs/reliability.md, written from the scorecard files the robustness suites save (scorecard.py)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.robustness.bugs import BUGS

SUITES = {  # test file -> (suite, what it throws at the app)
    "test_hostile_gguf.py": (
        "Hostile GGUF",
        "a real GGUF cut at every header boundary; lying magic, version, counts "
        "and lengths; random header damage (hypothesis); bad weights and offsets through "
        "llama.cpp; chat templates that escape, loop or bomb; imports in the live window",
    ),
    "test_hostile_feeds.py": (
        "Hostile feeds",
        "generated malformed RSS/Atom/RDF (hypothesis); entity bombs, XXE, "
        "external DTD, XInclude, scripts and javascript: links, invalid UTF-8, NULs, deep "
        "nesting; slowloris, endless chunked, 100 MB, cut and reset connections, beside "
        "healthy feeds in one refresh",
    ),
    "test_hostile_output.py": (
        "Hostile model output",
        "models that say nothing, never stop, ignore the format, leak "
        "the answer, emit control characters, huge lines or markup; any text into the "
        "parser (hypothesis)",
    ),
    "test_faults.py": (
        "Faults",
        "SIGKILL of downloads, the worker and feed writes at random moments; a full disk "
        "(RLIMIT_FSIZE) in downloads and the history; dropped connections; SIGILL, SIGSEGV, SIGBUS, "
        "SIGABRT in the worker; an offline start",
    ),
    "test_crash_safety.py": (
        "Faults",
        "(issue 6's own test) SIGKILL of a riddle writer, acknowledged riddles kept",
    ),
    "test_load.py": (
        "Load",
        "200 feeds refreshing while the reader riddles and the history is searched, in one window",
    ),
}


def write_page(folder: Path, page: Path) -> int:
    runs = {
        mode: json.loads(path.read_text())
        for mode in ("fast", "soak")
        if (path := folder / f"scorecard-{mode}.json").is_file()
    }
    if not runs:
        print(f"No scorecard in {folder}: run the robustness tests first.")
        return 1
    page.write_text("\n".join(_page(runs)) + "\n")
    print(f"wrote {page}")
    return 0


def _page(runs: dict[str, dict]) -> list[str]:
    lines = [
        "# Reliability scorecard",
        "",
        "Written by `.venv/bin/python -m tests.robustness.scorecard` from the counts the robustness suites "
        "(`tests/robustness/`) record while they run; nothing here is typed by hand. `make test` runs the "
        "fast variant (CI); `make soak` runs every loop ten times longer and rewrites this page.",
        "",
    ]
    for mode, run in runs.items():
        lines.append(
            f"- **{mode}** run: {run['finished']}, commit {run['commit']}, {run['machine']}, "
            f"{run['seconds']:.0f} s for the robustness tests."
        )
    lines += [
        "",
        "## Suites",
        "",
        "| suite | what it throws at the app | run | inputs tried | faults injected | "
        "iterations | tests | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for suite, what in _suite_descriptions():
        for mode, run in runs.items():
            counts = run["counts"].get(suite, {})
            tests = Counter(outcome for node, outcome in run["outcomes"].items() if _suite_of(node) == suite)
            result = (
                "all pass"
                if tests and set(tests) <= {"passed", "xfailed"}
                else ", ".join(f"{n} {o}" for o, n in sorted(tests.items())) or "not run"
            )
            if tests.get("xfailed"):
                result += f" ({tests['xfailed']} filed bug{'s' if tests['xfailed'] > 1 else ''} kept visible)"
            lines.append(
                f"| {suite} | {what if mode == next(iter(runs)) else ''} | {mode} | "
                f"{_n(counts.get('inputs'))} | {_n(counts.get('faults'))} | {_n(counts.get('iterations'))} | "
                f"{sum(tests.values())} | {result} |"
            )
    lines += [
        "",
        "## Worst cases measured",
        "",
        "The largest value each measure reached in the run (slowest refusal, most memory, longest stall).",
        "",
        "| suite | measure | " + " | ".join(runs) + " |",
        "|---|---|" + "---|" * len(runs),
    ]
    measures = sorted({(s, m) for run in runs.values() for s, values in run["worst"].items() for m in values})
    for suite, measure in measures:
        cells = [_n(run["worst"].get(suite, {}).get(measure), measured=True) for run in runs.values()]
        lines.append(f"| {suite} | {measure} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Bugs found",
        "",
        "| # | bug | suite | status | change or reason | guarding test: " + " / ".join(runs) + " |",
        "|---|---|---|---|---|---|",
    ]
    for number, bug in enumerate(BUGS, start=1):
        node = f"tests/robustness/{bug.file}::{bug.test}"
        outcomes = " / ".join(_outcome(run["outcomes"], node) for run in runs.values())
        lines.append(
            f"| {number} | {bug.title} | {bug.suite} | {bug.status} | {bug.where} | `{bug.test}`: "
            f"{outcomes} |"
        )
    return lines


def _outcome(outcomes: dict[str, str], node: str) -> str:
    """One test's outcome, or a parametrized test's outcomes counted over its cases."""
    if node in outcomes:
        return outcomes[node]
    cases = Counter(o for n, o in outcomes.items() if n.startswith(node + "["))
    return ", ".join(f"{n} {o}" for o, n in sorted(cases.items())) or "not run"


def _suite_descriptions() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for suite, what in SUITES.values():
        seen.setdefault(suite, what)
    return list(seen.items())


def _suite_of(node: str) -> str:
    file = node.split("::", 1)[0].rsplit("/", 1)[-1]
    return SUITES.get(file, (file, ""))[0]


def _n(value: float | None, measured: bool = False) -> str:
    """Counts as whole numbers; measured times, sizes and stalls with two decimals below 100."""
    if value is None:
        return "–"
    whole = value >= 100 or (float(value).is_integer() and not measured)
    return f"{value:,.0f}" if whole else f"{value:.2f}"

"""Collects the outcome of every robustness test and saves the scorecard data when the session ends
(see tests/robustness/scorecard.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness import scorecard

_FILES = {path.name for path in Path(__file__).parent.glob("test_*.py")}
_partial = [False]  # some robustness tests deselected (-k, -m): such a run does not replace the scorecard

_outcomes: dict[str, str] = {}
_seconds = [0.0]  # time spent in robustness tests only (a full `make test` session runs much else too)


def _is_ours(nodeid: str) -> bool:
    return nodeid.startswith("tests/robustness/")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _is_ours(report.nodeid):
        return
    _seconds[0] += report.duration
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        outcome = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
        if hasattr(report, "wasxfail") and report.passed:
            outcome = "xpassed"
        _outcomes[report.nodeid] = outcome
    elif report.when == "teardown" and report.failed:
        _outcomes[report.nodeid] = "failed"


def pytest_deselected(items: list[pytest.Item]) -> None:
    if any(_is_ours(item.nodeid) for item in items):
        _partial[0] = True


def pytest_sessionfinish(session: pytest.Session) -> None:
    ran = {node.split("::", 1)[0].rsplit("/", 1)[-1] for node in _outcomes}
    if _outcomes and ran >= _FILES and not _partial[0]:
        scorecard.save(dict(sorted(_outcomes.items())), _seconds[0])

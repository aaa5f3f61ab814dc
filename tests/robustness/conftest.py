"""Collects the outcome of every robustness test and saves the scorecard data when the session ends
(see tests/robustness/scorecard.py)."""

from __future__ import annotations

import time

import pytest

from tests.robustness import scorecard

_outcomes: dict[str, str] = {}
_began = time.monotonic()


def _is_ours(nodeid: str) -> bool:
    return nodeid.startswith("tests/robustness/")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _is_ours(report.nodeid):
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        outcome = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
        if hasattr(report, "wasxfail") and report.passed:
            outcome = "xpassed"
        _outcomes[report.nodeid] = outcome
    elif report.when == "teardown" and report.failed:
        _outcomes[report.nodeid] = "failed"


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _outcomes:
        scorecard.save(dict(sorted(_outcomes.items())), time.monotonic() - _began)

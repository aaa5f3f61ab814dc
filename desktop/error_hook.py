"""No silent failures: every unexpected error, on the UI thread (a Qt slot, which PySide6 hands to
sys.excepthook), in a plain thread (threading.excepthook) or anywhere else Python reports one, is
written to the log with its traceback (so Help → Diagnostics lists it among the recent errors) and
said in one sentence in the window's notice banner.

Errors the engine expects (EngineError, with its own sentence) reach the user through the page that
asked; this is for the ones nobody expected."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("riddlewire.unexpected")

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def sentence_for(error: BaseException) -> str:
    where = _last_frame(error.__traceback__)
    return (
        f"Something went wrong inside Riddlewire ({error.__class__.__name__}{where}). It is written to the "
        "log, and Help → Diagnostics lists it for a bug report."
    )


def _last_frame(tb: TracebackType | None) -> str:
    frames = traceback.extract_tb(tb) if tb is not None else []
    if not frames:
        return ""
    last = frames[-1]
    return f" in {last.name}, {last.filename.replace(chr(92), '/').rsplit('/', 1)[-1]}"


class _Relay(QObject):
    """Carries the sentence to the UI thread: an error on a worker thread must not touch widgets."""

    said = Signal(str)


class ErrorHooks:
    """Installed once at start-up; `uninstall` puts the previous hooks back (tests)."""

    def __init__(self, show: Callable[[str], None]):
        self._relay = _Relay()
        self._relay.said.connect(show)
        self._previous: ExceptHook = sys.excepthook
        self._previous_thread = threading.excepthook
        sys.excepthook = self._python_hook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        if sys.excepthook == self._python_hook:
            sys.excepthook = self._previous
        if threading.excepthook == self._thread_hook:
            threading.excepthook = self._previous_thread

    def report(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        """Log it and tell the window; never raises (a failing error hook would hide the error)."""
        try:
            log.error(
                "unexpected %s: %s\n%s",
                kind.__name__,
                error,
                "".join(traceback.format_exception(kind, error, tb)).rstrip(),
            )
            self._relay.said.emit(sentence_for(error.with_traceback(tb) if tb is not None else error))
        except Exception:  # noqa: BLE001 - the last resort must not fail
            traceback.print_exception(kind, error, tb)

    def _python_hook(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):  # Ctrl+C in a terminal is a request, not an error
            self._previous(kind, error, tb)
            return
        self.report(kind, error, tb)
        self._previous(kind, error, tb)  # still on stderr (and seen by a test harness's own hook)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        self.report(args.exc_type, args.exc_value, args.exc_traceback)
        self._previous_thread(args)

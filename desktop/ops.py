"""The one way desktop/ runs work off the UI thread (in the spirit of Anki's QueryOp).

    BackgroundOp(op, on_success=..., on_failure=..., on_progress=...).start()

`op(cancel, report)` runs on Qt's global thread pool and must not touch widgets. `report(Progress)`
may be called from the op. Every callback runs on the UI thread. An op's failure goes to
on_failure, or, if none is given, to the window's error display (set with set_default_failure)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from shiboken6 import isValid

from engine.errors import Cancelled, EngineError
from engine.progress import CancelToken, Progress

log = logging.getLogger(__name__)

Op = Callable[[CancelToken, Callable[[Progress], None]], Any]
_default_failure: Callable[[str], None] = lambda sentence: log.error("%s", sentence)  # noqa: E731
_running: set[BackgroundOp] = set()  # keeps ops alive until they finish


def set_default_failure(show: Callable[[str], None]) -> None:
    global _default_failure
    _default_failure = show


def failure_sentence(error: BaseException) -> str:
    if isinstance(error, EngineError):
        return error.sentence
    return (
        f"Something went wrong inside Riddlewire ({error.__class__.__name__}: {error}). "
        "Details are in the log."
    )


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)


class _Task(QRunnable):
    def __init__(self, op: Op, token: CancelToken, signals: _Signals):
        super().__init__()
        self.setAutoDelete(True)
        self._op, self._token, self._signals = op, token, signals

    def run(self) -> None:
        try:
            result = self._op(self._token, self._signals.progressed.emit)
        except BaseException as error:  # noqa: BLE001 - every failure must reach the UI thread
            if not isinstance(error, EngineError):
                log.error("background op failed:\n%s", traceback.format_exc())
            self._signals.failed.emit(error)
        else:
            self._signals.succeeded.emit(result)


class BackgroundOp:
    def __init__(
        self,
        op: Op,
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        pool: QThreadPool | None = None,
    ):
        self._op = op
        self.token = CancelToken()
        # The signals object is created here, on the UI thread, so queued delivery lands here too.
        self._signals = _Signals()
        self._signals.succeeded.connect(lambda result: self._finish(on_success, result))
        self._signals.failed.connect(lambda error: self._fail(error, on_failure, on_cancelled))
        if on_progress is not None:
            self._signals.progressed.connect(lambda progress: _call_if_alive(on_progress, progress))
        self._pool = pool or QThreadPool.globalInstance()
        self.done = False

    def start(self) -> BackgroundOp:
        _running.add(self)
        self._pool.start(_Task(self._op, self.token, self._signals))
        return self

    def cancel(self) -> None:
        self.token.cancel()

    def _release(self) -> None:
        """Let a finished op be freed. Its signals' connections hold lambdas that hold the op, and Qt
        holds the connections, out of the garbage collector's sight: kept, every op ever run stayed in
        memory (about 70 objects each; every search is two ops, every page, play and card view one),
        and the ever larger heap made each full garbage collection longer. A full collection holds
        the GIL, so the window froze for it: 90-270 ms under the load test (tests/robustness/
        stall_trace.py). deleteLater hands the signals to Qt, which deletes them on the UI thread once
        this delivery is over, whichever thread drops the last Python reference (the op's task may)."""
        self.done = True
        _running.discard(self)
        signals, self._signals = self._signals, None
        if signals is not None:
            signals.deleteLater()

    def _finish(self, callback: Callable[[Any], None] | None, result: Any) -> None:
        self._release()
        if callback is not None:
            _call_if_alive(callback, result)

    def _fail(self, error: BaseException, on_failure, on_cancelled) -> None:  # noqa: ANN001
        self._release()
        if isinstance(error, Cancelled):
            if on_cancelled is not None:
                _call_if_alive(on_cancelled)
            return
        if on_failure is not None:
            _call_if_alive(on_failure, error)
        else:
            _default_failure(failure_sentence(error))


def _call_if_alive(callback: Callable[..., None], *args: Any) -> None:
    """Call back, unless the callback is a method of a widget that has been deleted meanwhile (its
    window closed while the op ran): there is nobody left to tell, and touching it would raise."""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, QObject) and not isValid(owner):
        log.debug("dropped the result of a background op: %s was deleted", type(owner).__name__)
        return
    callback(*args)

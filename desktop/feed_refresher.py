"""Scheduled feed refresh: on start, every N minutes, and on request, one refresh at a time.

    refresher = FeedRefresher(context, interval_s=60 * 60, on_start=True)
    refresher.finished.connect(...)   # RefreshReport, on the UI thread
    refresher.start()                 # ... refresher.stop() on quit

The refresh itself is engine.ingest.refresh, run through BackgroundOp with the app's one
database thread, so the UI thread never waits on the network or the database."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.ops import BackgroundOp, failure_sentence
from engine.feeds.fetch import DEFAULT_LIMITS, FetchLimits
from engine.ingest import RefreshReport, fill_full_text, refresh
from engine.progress import Progress


class FeedRefresher(QObject):
    started = Signal()
    progressed = Signal(object)  # Progress
    finished = Signal(object)  # RefreshReport
    failed = Signal(str)  # a sentence
    cancelled = Signal()

    def __init__(
        self,
        context,  # noqa: ANN001 - AppContext; only its `store` is used
        *,
        interval_s: float = 0,
        on_start: bool = False,
        allowed: Callable[[], bool] = lambda: True,
        limits: FetchLimits = DEFAULT_LIMITS,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._context, self._on_start, self._allowed, self._limits = context, on_start, allowed, limits
        self.op: BackgroundOp | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh_now)
        self.set_interval(interval_s)

    @property
    def busy(self) -> bool:
        return self.op is not None and not self.op.done

    def set_interval(self, seconds: float) -> None:
        """0 turns the schedule off (refresh only on request)."""
        self._interval_ms = int(seconds * 1000)
        if self._timer.isActive():
            self._restart_timer()

    def start(self) -> None:
        self._restart_timer()
        if self._on_start:
            QTimer.singleShot(0, self.refresh_now)

    def stop(self) -> None:
        self._timer.stop()
        if self.busy:
            self.op.cancel()

    def refresh_now(self, feed_ids: Iterable[int] | None = None) -> bool:
        """Start a refresh unless one is running or the network is off; True when one started."""
        if self.busy:
            return False
        if not self._allowed():
            self.failed.emit(self.tr("Riddlewire is set to work offline, so feeds were not refreshed."))
            return False
        store, limits = self._context.store, self._limits
        ids = None if feed_ids is None else list(feed_ids)

        full_text = bool(self._context.settings["news.full_text"])

        def op(cancel, report) -> RefreshReport:  # noqa: ANN001
            result = refresh(store, ids, limits=limits, progress=report, cancel=cancel)
            if full_text and result.new:
                fill_full_text(store, progress=report, cancel=cancel)
            return result

        self.started.emit()
        self.op = BackgroundOp(
            op,
            on_success=self.finished.emit,
            on_progress=self._progressed,
            on_failure=lambda error: self.failed.emit(failure_sentence(error)),
            on_cancelled=self.cancelled.emit,
        ).start()
        return True

    def _progressed(self, progress: Progress) -> None:
        self.progressed.emit(progress)

    def _restart_timer(self) -> None:
        self._timer.stop()
        if self._interval_ms > 0:
            self._timer.start(self._interval_ms)

"""Qt-free progress reporting and cancellation, shared by every long engine call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One progress report. `done`/`total` count work units (articles, bytes...); `item` carries a
    finished result (e.g. a stored riddle) so a view can show it before the whole job ends."""

    stage: str
    done: int = 0
    total: int = 0
    message: str = ""
    item: Any = None

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None


ProgressCallback = Callable[[Progress], None]


class CancelToken:
    """A threading.Event with a name that says what it is for. Checked per chunk or per token."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        return self._event.wait(seconds)


def throttled(callback: ProgressCallback | None, per_second: float = 10.0) -> ProgressCallback:
    """Wrap a callback so plain progress is passed on at most `per_second` times a second.
    Reports that carry an item, and the final report (done == total), always go through."""
    if callback is None:
        return lambda _p: None
    interval = 1.0 / per_second
    last = [0.0]

    def report(progress: Progress) -> None:
        now = time.monotonic()
        final = progress.total and progress.done >= progress.total
        if progress.item is not None or final or now - last[0] >= interval:
            last[0] = now
            callback(progress)

    return report

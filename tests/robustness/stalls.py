"""How long the UI thread is kept from its event loop: a 5 ms timer that notes the longest gap
between its ticks while background work runs. A gap is a stall the user would feel as a frozen window.

Each gap is also split by what the kernel says about the UI thread (Linux: /proc/thread-self/schedstat):
the time it was runnable but the machine gave its CPU to another process is the machine's share of
the gap; the rest (`own_ms`: running our code, or waiting for the GIL or a lock) is the app's. On the
shared 2-core test machine a gap of 100-250 ms can be nearly all the machine's, so the app's share
is what a test can hold to a tight limit. Where schedstat is missing, the whole gap counts as the app's."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer

TICK_MS = 5
_SCHEDSTAT = "/proc/thread-self/schedstat"


def runnable_waiting_ns() -> int:
    """Nanoseconds the calling thread has spent runnable but not on a CPU (0 where unknown)."""
    try:
        with open(_SCHEDSTAT) as f:
            return int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0


class StallMeter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.ticks = 0
        self.longest_ms = 0.0
        self.gaps_ms: list[float] = []
        self.own_ms: list[
            float
        ] = []  # each gap less the time the machine kept the runnable UI thread off a CPU
        self.longest_waited_ms = 0.0  # how much of the longest gap the machine's scheduling took
        self._last = 0.0
        self._waited = 0
        self.on_tick = None  # StallTrace.tick(gap_ms), when a trace explains the stalls (stall_trace.py)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> StallMeter:
        self._last = time.perf_counter()
        self._waited = runnable_waiting_ns()
        self._timer.start()
        return self

    def stop(self) -> float:
        self._timer.stop()
        return self.longest_ms

    @property
    def longest_own_ms(self) -> float:
        return max(self.own_ms, default=0.0)

    def percentile(self, share: float) -> float:
        """The gap that `share` of all ticks stayed under (0.99: all but the worst 1%)."""
        ordered = sorted(self.gaps_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        waited = runnable_waiting_ns()
        gap = (now - self._last) * 1000 - TICK_MS
        waited_ms = (waited - self._waited) / 1e6
        self.gaps_ms.append(gap)
        self.own_ms.append(max(0.0, gap - waited_ms))
        if gap > self.longest_ms:
            self.longest_ms, self.longest_waited_ms = gap, waited_ms
        self._last, self._waited = now, waited
        self.ticks += 1
        if self.on_tick is not None:
            self.on_tick(gap)

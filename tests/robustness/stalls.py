"""How long the UI thread is kept from its event loop: a 5 ms timer that notes the longest gap
between its ticks while background work runs. A gap is a stall the user would feel as a frozen window."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer

TICK_MS = 5


class StallMeter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.ticks = 0
        self.longest_ms = 0.0
        self.gaps_ms: list[float] = []
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> StallMeter:
        self._last = time.perf_counter()
        self._timer.start()
        return self

    def stop(self) -> float:
        self._timer.stop()
        return self.longest_ms

    def percentile(self, share: float) -> float:
        """The gap that `share` of all ticks stayed under (0.99: all but the worst 1%)."""
        ordered = sorted(self.gaps_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000 - TICK_MS
        self.gaps_ms.append(gap)
        self.longest_ms = max(self.longest_ms, gap)
        self._last = now
        self.ticks += 1

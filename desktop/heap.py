"""The garbage collector and the window: keep full collections short.

A full (generation 2) collection walks every object the collector tracks, holding the GIL, in
whichever thread happens to allocate at that moment; the UI thread cannot run Python meanwhile, so
the window freezes for as long as it takes. Most of those objects are the app's own start-up: the
imported modules of Qt's bindings, httpx, feedparser, jinja2, numpy and the rest, about 70,000 objects
(100,000 under pytest), which live as long as the app. Under the load test (tests/robustness/test_load.py,
traced with tests/robustness/stall_trace.py) one full collection took 65-75 ms of CPU, and 150-300 ms
of wall time when the busy 2-core machine took the CPU away from the collecting thread while it held
the GIL: the longest stalls of the window.

`settle_start_up_heap()` collects once and then freezes what is left (gc.freeze): those objects move
to a permanent generation that later collections skip, so a full collection walks only what came
after start-up (11-25 ms of CPU measured). Frozen objects are still freed by reference counting;
only a reference cycle among them would never be collected, and start-up leaves few."""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def settle_start_up_heap() -> None:
    """Call once the window is built (its pages imported and made), before it is shown."""
    began = time.perf_counter()
    gc.collect()
    gc.freeze()
    log.debug(
        "start-up heap frozen: %d objects in %.0f ms",
        gc.get_freeze_count(),
        (time.perf_counter() - began) * 1000,
    )

"""What every robustness test expects of a failure: a sentence a person can act on, soon, without the
process growing. Small checks shared by the suites."""

from __future__ import annotations

import contextlib
import resource
import time
import tracemalloc
from collections.abc import Iterator

from tests.robustness.scorecard import worst

_NOT_SENTENCES = ("Traceback", "Exception:", "Error:", "object at 0x", "\\x")


def assert_sentence(text: str) -> None:
    """A user-facing sentence: starts with a capital or a name, ends with a full stop, has no
    traceback or repr in it, and is short enough to read."""
    text = str(text)
    assert 15 <= len(text) <= 700, f"not a readable sentence: {text!r}"
    assert text.rstrip()[-1] in ".!?)", f"does not end like a sentence: {text!r}"
    assert not any(bad in text for bad in _NOT_SENTENCES), f"leaks internals: {text!r}"


@contextlib.contextmanager
def bounded(suite: str, measure: str, seconds: float) -> Iterator[None]:
    """The block must finish within `seconds`; the slowest run of each measure goes on the scorecard."""
    started = time.monotonic()
    try:
        yield  # an expected error passes through: the time to it is what is measured
    finally:
        took = time.monotonic() - started
        worst(suite, f"{measure} (s)", took)
        if took >= seconds:
            raise AssertionError(f"{measure} took {took:.2f} s (limit {seconds} s)")


@contextlib.contextmanager
def python_memory(suite: str, measure: str, megabytes: float) -> Iterator[None]:
    """Python allocations made by the block must peak under `megabytes` (tracemalloc)."""
    tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        worst(suite, f"{measure} (MB)", peak)
        if peak >= megabytes:
            raise AssertionError(f"{measure} peaked at {peak:.1f} MB (limit {megabytes} MB)")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

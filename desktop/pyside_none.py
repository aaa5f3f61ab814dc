"""A guard for a PySide6 bug: when C++ calls a Python `data()` override (every view painting a row
does, for a dozen roles) and it returns None, PySide6 6.12.0 on Python 3.11 drops one reference to
None too many. None is not immortal before Python 3.12, so after some thousands of such calls the
process dies with "Fatal Python error: none_dealloc" (seen here while scrolling a long list).

`no_data()` is what a model's data() returns for "nothing": None, with the lost reference given
back, but only where a probe at first use shows that this PySide6 loses it. Elsewhere it is a
plain None.

That guards our own models, but not every path through which C++ hands a Python None back (the
test suite drained None below zero in a long run: SIGABRT "none_dealloc" in whichever test came
next). So `keep_none_alive()`, called at start-up, does for None what Python 3.12 does for it:
makes it immortal, with a reference count no process can drain. tests/desktop/test_pyside_none.py
checks the bug, the guard and the immortal None."""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

_PROBE_CALLS = 200
# Added to None's reference count where PySide6 loses references: 2**40 lost references would take
# a view years of painting. Python 3.12's immortal objects use the same idea (a count no code reaches).
_IMMORTAL = 1 << 40
_loses_none: bool | None = None


class _Probe(QAbstractListModel):
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 1

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return None


def loses_none() -> bool:
    """Whether this PySide6 drops a reference to None returned from data() (measured once)."""
    global _loses_none
    if _loses_none is None:
        probe = _Probe()
        index = probe.index(0)
        before = sys.getrefcount(None)
        for _ in range(_PROBE_CALLS):
            index.data(Qt.ItemDataRole.DisplayRole)  # through C++, as a view calls it
        lost = before - sys.getrefcount(None)
        _loses_none = lost >= _PROBE_CALLS // 2
        if _loses_none:
            for _ in range(lost):  # give back what the probe itself cost
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    return _loses_none


def no_data() -> None:
    if _loses_none or (_loses_none is None and loses_none()):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    return None


def keep_none_alive() -> bool:
    """Where this PySide6 loses references to None (and Python is older than 3.12, whose None is
    immortal), raise None's reference count out of reach. Returns whether it did."""
    if sys.version_info >= (3, 12) or not loses_none() or sys.getrefcount(None) > _IMMORTAL:
        return False
    # ob_refcnt is a PyObject's first field (a Py_ssize_t) in every CPython build before 3.12. One
    # write under the GIL, where calling Py_IncRef 2**40 times would never finish.
    ctypes.c_ssize_t.from_address(id(None)).value += _IMMORTAL
    return True

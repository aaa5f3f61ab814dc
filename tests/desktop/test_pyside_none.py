"""The None-refcount guard for data() overrides (see desktop/pyside_none.py): real Qt calls, through
C++, the way a view makes them."""

import sys

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt

from desktop.pyside_none import keep_none_alive, loses_none, no_data
from desktop.riddle_list import RiddleListModel
from engine.store.history import RiddleLine

CALLS = 2000


class Guarded(QAbstractListModel):
    def rowCount(self, parent=QModelIndex()):  # noqa: B008, N802
        return 1

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return no_data()


def none_lost(model) -> int:
    index = model.index(0)
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        assert index.data(Qt.ItemDataRole.WhatsThisRole) is None
    return before - sys.getrefcount(None)


def test_the_guard_keeps_none_alive_through_cpp_calls(qapp):
    assert none_lost(Guarded()) <= 0


def test_the_riddle_list_returns_nothing_safely(qapp):
    model = RiddleListModel()
    model._append(model._generation, [RiddleLine(1, "I wait.", "Wire", "new", False, "")], True)  # noqa: SLF001
    assert model.index(0).data(Qt.ItemDataRole.DisplayRole).endswith("Wire")
    assert none_lost(model) <= 0


def test_the_probe_matches_the_running_pyside(qapp):
    class Plain(Guarded):
        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            return None

    lost = none_lost(Plain())
    assert loses_none() == (lost >= CALLS // 2)
    if lost > 0:  # give back what this test took from None
        import ctypes

        for _ in range(lost):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))


def test_none_is_out_of_reach_where_pyside_loses_it(qapp):
    """The start-up guard (called by the app, and for the tests by tests/conftest.py): after it, a
    view could drain None for years; calling it again adds nothing."""
    if sys.version_info >= (3, 12) or not loses_none():
        assert not keep_none_alive()  # None is immortal already, or this PySide6 loses nothing
        return
    assert sys.getrefcount(None) > 1 << 40
    before = sys.getrefcount(None)
    assert not keep_none_alive() and sys.getrefcount(None) - before < 1000

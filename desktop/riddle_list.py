"""The list of riddles the reader and the history show: a Qt model over light RiddleLine rows, newest
first, loaded a page at a time in the background as the view scrolls (canFetchMore/fetchMore).

A row holds only what it shows; the full riddle is loaded when one is selected. A history of
100,000 riddles therefore costs a page of memory at start and never blocks the UI thread."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    Signal,
)

from desktop.icons import status_icon
from desktop.ops import BackgroundOp, failure_sentence
from desktop.pyside_none import no_data
from engine.store.history import PAGE, RiddleLine

RiddleRole = Qt.ItemDataRole.UserRole + 1  # the RiddleLine of a row

# fetch(before_id, limit) -> lines older than before_id (None: the newest). Runs off the UI thread.
Fetch = Callable[[int | None, int], list[RiddleLine]]

_STATUS_WORD = {"new": "new", "solved": "solved", "revealed": "revealed", "skipped": "skipped"}
_PREVIEW_CHARS = 90


class RiddleListModel(QAbstractListModel):
    page_loaded = Signal(int, bool)  # rows added, whether it was the first page of this load
    failed = Signal(str)  # a sentence

    def __init__(self, page_size: int = PAGE) -> None:
        super().__init__()
        self.page_size = page_size
        self._lines: list[RiddleLine] = []
        self._fetch: Fetch | None = None
        self._loading = False
        self._exhausted = True
        self._generation = 0  # a new load() makes pages still in flight from the old one stale

    # -- Qt model ------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._lines)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._lines):
            return no_data()
        line = self._lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            text = line.text if len(line.text) <= _PREVIEW_CHARS else line.text[: _PREVIEW_CHARS - 2] + "…"
            return f"{text}\n{line.source}"
        if role == Qt.ItemDataRole.DecorationRole:
            # An icon, not a glyph: symbol and emoji glyphs may be missing from the system's fonts.
            return status_icon(line.status, line.favourite)
        if role == Qt.ItemDataRole.ToolTipRole:
            return line.text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            favourite = ", favourite" if line.favourite else ""
            return f"Riddle, {_STATUS_WORD.get(line.status, line.status)}{favourite}: {line.text}"
        if role == RiddleRole:
            return line
        return no_data()  # never a bare None: see desktop/pyside_none.py

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._fetch is not None and not self._exhausted and not self._loading

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008, N802
        if not self.canFetchMore(parent):
            return
        fetch, limit, generation = self._fetch, self.page_size, self._generation
        before = self._lines[-1].id if self._lines else None
        first = not self._lines
        self._loading = True
        BackgroundOp(
            lambda _cancel, _report: fetch(before, limit),
            on_success=lambda lines: self._append(generation, lines, first),
            on_failure=lambda error: self._stopped(generation, error),
            pool=history_pool(),
        ).start()

    # -- loading -------------------------------------------------------------------------------
    def load(self, fetch: Fetch) -> None:
        """Forget the rows and load the first page from fetch; later pages come as the view scrolls."""
        self.beginResetModel()
        self._lines = []
        self._fetch = fetch
        self._generation += 1
        self._loading = False
        self._exhausted = False
        self.endResetModel()
        self.fetchMore()

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    def _append(self, generation: int, lines: list[RiddleLine], first: bool) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._exhausted = len(lines) < self.page_size
        fresh = [line for line in lines if self.row_of(line.id) is None]
        if fresh:
            start = len(self._lines)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            self._lines.extend(fresh)
            self.endInsertRows()
        self.page_loaded.emit(len(fresh), first)

    def _stopped(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self._loading = False
            self._exhausted = True
            self.failed.emit(failure_sentence(error))

    # -- changes -------------------------------------------------------------------------------
    def add_line(self, line: RiddleLine) -> None:
        """A freshly made riddle goes on top, like the newest item of a feed."""
        if self.row_of(line.id) is not None:
            self.replace(line)
            return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._lines.insert(0, line)
        self.endInsertRows()

    def replace(self, line: RiddleLine) -> None:
        row = self.row_of(line.id)
        if row is not None:
            self._lines[row] = line
            self.dataChanged.emit(self.index(row), self.index(row))

    def row_of(self, riddle_id: int) -> int | None:
        """Rows are newest first, that is by falling id (pages come by id, new riddles go on top), so
        a binary search finds a row among 100,000 at once."""
        row = bisect_left(self._lines, -riddle_id, key=lambda line: -line.id)
        if row < len(self._lines) and self._lines[row].id == riddle_id:
            return row
        return None

    def line_at(self, row: int) -> RiddleLine:
        return self._lines[row]


class HistoryEvents(QObject):
    """News about the history that more than one page cares about."""

    added = Signal(int)  # riddles made
    changed = Signal(object)  # a RiddleLine whose play state changed
    replaced = Signal()  # the whole history was restored from a backup


_events: HistoryEvents | None = None
_pool: QThreadPool | None = None


def history_events() -> HistoryEvents:
    global _events
    if _events is None:
        _events = HistoryEvents()
    return _events


def history_pool() -> QThreadPool:
    """Threads for quick history work (pages, plays, details), so it never queues behind long jobs
    on the global pool: a generation holds one of its threads for minutes, and at start other pages'
    loads can hold both (measured: the first page waited 200 ms behind them with 100,000 riddles)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(2)
    return _pool

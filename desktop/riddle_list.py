"""The list of riddles the reader shows: a Qt model over StoredRiddle values, newest first."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from engine.riddles import StoredRiddle

RiddleRole = Qt.ItemDataRole.UserRole + 1

_STATUS_MARK = {"new": "●", "solved": "✓", "revealed": "◌", "skipped": "–"}


class RiddleListModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._riddles: list[StoredRiddle] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._riddles)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._riddles):
            return None
        stored = self._riddles[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            first_line = stored.riddle.text if len(stored.riddle.text) < 90 else stored.riddle.text[:88] + "…"
            return f"{_STATUS_MARK.get(stored.status, '●')}  {first_line}\n      {stored.article.source}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return stored.riddle.text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Riddle: {stored.riddle.text}"
        if role == RiddleRole:
            return stored
        return None

    def set_riddles(self, riddles: list[StoredRiddle]) -> None:
        self.beginResetModel()
        self._riddles = list(riddles)
        self.endResetModel()

    def add_riddle(self, stored: StoredRiddle) -> None:
        """A freshly made riddle goes on top, like the newest item of a feed."""
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._riddles.insert(0, stored)
        self.endInsertRows()

    def replace(self, stored: StoredRiddle) -> None:
        for row, existing in enumerate(self._riddles):
            if existing.id == stored.id:
                self._riddles[row] = stored
                self.dataChanged.emit(self.index(row), self.index(row))
                return

    def riddle_at(self, row: int) -> StoredRiddle:
        return self._riddles[row]

"""The one list of models every view shows (as in GPT4All's ModelList): the engine's rows
(engine/model_rows.py: catalog files and imported GGUFs) with roles for state, progress, error and the
fit verdict. desktop/downloads.py owns the one instance and keeps it current; views filter it through
ModelFilter proxies (Installed / Available); nothing else keeps model state."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from desktop.pyside_none import no_data
from engine.model_registry import InstalledModel
from engine.model_rows import INSTALLED_STATES, ModelRow
from engine.progress import Progress

_USER = Qt.ItemDataRole.UserRole
(
    KeyRole,
    StateRole,
    ProgressRole,
    ErrorRole,
    FitRole,
    FitDetailsRole,
    RowRole,
    TierRole,
    QuantRole,
    MessageRole,
) = (_USER + n for n in range(1, 11))
_STATE_WORDS = {
    "available": "",
    "downloading": "downloading",
    "paused": "paused",
    "installed": "installed",
    "active": "active",
    "failed": "failed",
}


class ModelListModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[ModelRow] = []

    # -- Qt model ------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        # Never a bare None back to Qt: PySide6 6.12 leaks a reference to it (desktop/pyside_none.py).
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return no_data()
        value = _ROLES.get(role, lambda _r: None)(self._rows[index.row()])
        return no_data() if value is None else value

    def roleNames(self) -> dict[int, bytes]:  # noqa: N802 - for QML and tests that look roles up by name
        return {
            KeyRole: b"key",
            StateRole: b"state",
            ProgressRole: b"progress",
            ErrorRole: b"error",
            FitRole: b"fit",
            FitDetailsRole: b"fitDetails",
            TierRole: b"tier",
            QuantRole: b"quant",
            MessageRole: b"message",
            Qt.ItemDataRole.DisplayRole: b"display",
        }

    # -- changes (UI thread) ---------------------------------------------------------------------
    def reset(self, rows: list[ModelRow]) -> None:
        """New rows from disk; rows mid-download keep their live state."""
        live = {r.key: r for r in self._rows if r.state == "downloading"}
        self.beginResetModel()
        self._rows = [live.get(r.key, r) if r.state not in INSTALLED_STATES else r for r in rows]
        self.endResetModel()

    def row(self, key: str) -> ModelRow | None:
        found = self._find(key)
        return self._rows[found] if found is not None else None

    def rows(self) -> tuple[ModelRow, ...]:
        return tuple(self._rows)

    def set_progress(self, key: str, progress: Progress) -> None:
        self._change(
            key,
            state="downloading",
            done=progress.done,
            total=progress.total or 0,
            message=progress.message,
            error="",
        )

    def set_state(
        self, key: str, state: str, error: str = "", message: str = "", done: int | None = None
    ) -> None:
        extra = {} if done is None else {"done": done}
        self._change(key, state=state, error=error, message=message, **extra)

    def set_installed(self, key: str, model: InstalledModel) -> None:
        """A finished download: the row is installed at once (the next reset re-reads it from disk)."""
        self._change(
            key,
            state="installed",
            installed=model,
            error="",
            message="",
            done=model.size_bytes,
            total=model.size_bytes,
        )

    def _change(self, key: str, **fields: Any) -> None:
        found = self._find(key)
        if found is None:
            return
        current = self._rows[found]
        if fields.get("total") == 0:
            fields.pop("total")  # a "waiting" report carries no size; keep the known one
        self._rows[found] = replace(current, **fields)
        index = self.index(found)
        self.dataChanged.emit(index, index)

    def _find(self, key: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.key == key), None)


def _display(row: ModelRow) -> str:
    size = f"{row.file.size_bytes / 1e9:.2f} GB" if row.file else f"{row.installed.size_bytes / 1e9:.2f} GB"
    variant = row.spec.variant if row.spec else (row.installed.variant if row.installed else "")
    state = _STATE_WORDS.get(row.state, row.state)
    if row.state == "downloading" and row.total:
        state = f"{row.fraction:.0%}"
    badge = row.fit.badge if row.fit else ""
    parts = [f"{row.quant} · {variant} · {size}", badge, state]
    return f"{row.name}\n    " + "  ·  ".join(p for p in parts if p)


_ROLES = {
    Qt.ItemDataRole.DisplayRole: _display,
    Qt.ItemDataRole.ToolTipRole: lambda r: r.error or (r.fit.arithmetic() if r.fit else r.name),
    Qt.ItemDataRole.AccessibleTextRole: lambda r: (
        f"{r.name}, {r.quant}, {r.state}" + (f", {r.fit.badge}" if r.fit else "")
    ),
    KeyRole: lambda r: r.key,
    StateRole: lambda r: r.state,
    ProgressRole: lambda r: r.fraction,
    ErrorRole: lambda r: r.error,
    FitRole: lambda r: r.fit.verdict if r.fit else "",
    FitDetailsRole: lambda r: r.fit.arithmetic() if r.fit else "",
    RowRole: lambda r: r,
    TierRole: lambda r: r.tier,
    QuantRole: lambda r: r.quant,
    MessageRole: lambda r: r.message,
}


class ModelFilter(QSortFilterProxyModel):
    """Installed (installed or active) or Available (everything else), optionally one size tier and one
    quantization: the user picks the size first, the quantization second."""

    def __init__(self, installed: bool) -> None:
        super().__init__()
        self.installed = installed
        self.tier = ""
        self.quant = ""
        self.setDynamicSortFilter(True)

    def set_tier(self, tier: str) -> None:
        self.beginFilterChange()
        self.tier = tier
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_quant(self, quant: str) -> None:
        self.beginFilterChange()
        self.quant = quant
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        index = self.sourceModel().index(source_row, 0, source_parent)
        if (index.data(StateRole) in INSTALLED_STATES) != self.installed:
            return False
        if self.tier and index.data(TierRole) != self.tier:
            return False
        return not self.quant or index.data(QuantRole) == self.quant

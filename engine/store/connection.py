"""The history's SQLite connection, which says "the disk is full" as a sentence.

Every write path (the Store and the query modules beside it) goes through this one connection, so a
full disk or a failing drive is translated here, once, instead of reaching the user as sqlite3's
raw "disk I/O error". SQLite rolls the failed transaction back itself: nothing committed is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from engine.errors import StoreError

_DISK_TROUBLE = ("disk i/o error", "database or disk is full", "disk full")


def _translated(error: sqlite3.OperationalError, path: str) -> Exception:
    if any(words in str(error).lower() for words in _DISK_TROUBLE):
        return StoreError(
            f"The history in {path} could not be saved: the disk is full or failing ({error}). "
            "Nothing saved before was lost; free some space and try again."
        )
    return error


class HistoryConnection(sqlite3.Connection):
    """sqlite3.Connection whose writes raise StoreError with a sentence when the disk fails them."""

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.OperationalError as error:
            raise _translated(error, self.history_path) from error

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.OperationalError as error:
            raise _translated(error, self.history_path) from error

    def executescript(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executescript(*args, **kwargs)
        except sqlite3.OperationalError as error:
            raise _translated(error, self.history_path) from error

    def commit(self) -> None:
        try:
            super().commit()
        except sqlite3.OperationalError as error:
            raise _translated(error, self.history_path) from error

    def __exit__(self, *exc_info: Any) -> bool:  # `with conn:` commits here, in C, past commit()
        try:
            return super().__exit__(*exc_info)
        except sqlite3.OperationalError as error:
            raise _translated(error, self.history_path) from error

    history_path: str = ""


def connect(path: Path) -> HistoryConnection:
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False, factory=HistoryConnection)
    conn.history_path = str(path)
    return conn

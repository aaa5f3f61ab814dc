"""Backup and restore of the history file with SQLite's online backup API: a consistent copy even
while the app writes, and a restore that never loses what it replaces.

A restore first checks the chosen file (a real, undamaged Riddlewire history from this version or an
older one), then keeps a safety copy of the current history in the backups folder, then copies the
file in and brings its schema up to date."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from engine.errors import StoreError
from engine.store import Store, newer_migrations
from engine.store.migrations import apply_all


@dataclass(frozen=True)
class RestoreReport:
    riddles: int  # riddles in the history after the restore
    safety_copy: Path  # the history as it was before, in case the restore was a mistake


def backups_folder(store: Store) -> Path:
    return store.path.parent / "backups"


def backup(store: Store, destination: Path | str) -> Path:
    """Copy the history to destination (a single self-contained file), atomically."""
    target = Path(destination)
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        copy = sqlite3.connect(partial)
        try:
            store.db.conn.backup(copy)
            # A backup is one file: no -wal beside it to forget when it is copied elsewhere.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(
            f"The history could not be backed up to {target} ({exc}). "
            "Choose a folder you can write to with free space."
        ) from exc
    return target


def restore(store: Store, source: Path | str) -> RestoreReport:
    source = Path(source)
    check_backup(source)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    safety = backup(store, backups_folder(store) / f"before-restore-{stamp}.sqlite3")
    original = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        original.backup(store.db.conn)
    except sqlite3.Error as exc:
        raise StoreError(
            f"The backup {source.name} could not be restored ({exc}). Your history is unchanged; "
            f"a copy of it is in {safety}."
        ) from exc
    finally:
        original.close()
    store.db.execute("PRAGMA journal_mode=WAL")
    apply_all(store.db)  # an older backup gets this version's schema
    return RestoreReport(riddles=store.count_riddles(), safety_copy=safety)


def check_backup(path: Path) -> int:
    """Raise StoreError with a sentence unless path is a sound Riddlewire history this version can
    open; returns the number of riddles in it. The file is opened read-only."""
    if not path.is_file():
        raise StoreError(f"{path} is not a file. Choose a Riddlewire backup (.sqlite3) to restore.")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(
            f"{path.name} cannot be opened ({exc}). Choose a Riddlewire backup to restore."
        ) from exc
    try:
        db = Database(conn)
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise StoreError(f"{path.name} is damaged, so it was not restored. Your history is unchanged.")
        if not {"riddles", "articles", "_sqlite_migrations"} <= set(db.table_names()):
            raise StoreError(f"{path.name} is not a Riddlewire history, so it was not restored.")
        unknown = newer_migrations(db)
        if unknown:
            raise StoreError(
                f"{path.name} was written by a newer version of Riddlewire ({', '.join(unknown)}). "
                "Update the app to restore it; your history is unchanged."
            )
        return db.execute("SELECT count(*) FROM riddles").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path.name} is not a Riddlewire history ({exc}), so it was not restored.") from exc
    finally:
        conn.close()

"""Numbered migrations. Each lives in its own module `mNNN_name.py` with a function `apply(db)`.
Once shipped, a migration never changes: a new change is a new module with the next number.
Modules are applied in number order and recorded by name in sqlite-utils' _sqlite_migrations."""

from __future__ import annotations

import importlib
import pkgutil
import re

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "riddlewire"
_NAME = re.compile(r"^m(\d{3})_\w+$")


def migration_names() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules(__path__) if _NAME.match(m.name)]
    return sorted(names, key=lambda n: int(_NAME.match(n).group(1)))


def migrations(up_to: str | None = None) -> Migrations:
    """The migration set, optionally only up to and including `up_to` (tests build old schemas)."""
    chain = Migrations(MIGRATION_SET)
    for name in migration_names():
        module = importlib.import_module(f"{__name__}.{name}")
        chain(name=name)(module.apply)
        if name == up_to:
            break
    return chain


def pending_migrations(db: Database) -> list[str]:
    return [m.name for m in migrations().pending(db)]


def apply_all(db: Database) -> list[str]:
    chain = migrations()
    pending = [m.name for m in chain.pending(db)]
    chain.apply(db)
    return pending

"""Pages of the main window. Each module here that defines `PAGE = PageSpec(...)` becomes an entry
in the sidebar, ordered by `order`; adding a page never means editing the window."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    order: int
    factory: Callable[..., QWidget]  # factory(context) -> QWidget


def discover() -> list[PageSpec]:
    specs = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "PAGE", None)
        if isinstance(spec, PageSpec):
            specs.append(spec)
    return sorted(specs, key=lambda s: s.order)

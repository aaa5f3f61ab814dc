"""The one writer: every Store call from the app runs on a single database thread.

`StoreProxy` looks like an engine Store, but each method call is handed to that thread and waited
for. Call it from background ops only, never from the UI thread (a test guards the reader)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from engine.store import Store


class StoreProxy:
    def __init__(self, path: Path):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="riddlewire-db")
        self._store: Store | None = None
        self._path = path
        self._ui_thread = threading.main_thread()
        # Open on the database thread; an error surfaces on the first call that needs the store.
        self._opened = self._executor.submit(self._open)

    def _open(self) -> Store:
        self._store = Store(self._path)
        return self._store

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        store = self._opened.result()
        return self._executor.submit(lambda: getattr(store, method)(*args, **kwargs)).result()

    def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run function(store, *args) on the database thread: how engine query modules that take a
        Store (engine/store/*.py functions) are called from the app."""
        store = self._opened.result()
        return self._executor.submit(lambda: function(store, *args, **kwargs)).result()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def close(self) -> None:
        def shut() -> None:
            if self._store is not None:
                self._store.close()

        self._executor.submit(shut)
        self._executor.shutdown(wait=True)

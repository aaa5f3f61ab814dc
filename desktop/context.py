"""What every page gets: the folders, the history database (one writer), and the riddle engine."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from desktop.database import StoreProxy
from engine.active_model import ModelChoice, open_riddler, starter_choice
from engine.inference.local import LocalModel, LocalSettings
from engine.paths import AppPaths
from engine.riddling import Riddler


@dataclass
class AppContext:
    paths: AppPaths
    store: StoreProxy
    local_settings: LocalSettings = field(default_factory=LocalSettings)
    model_override: ModelChoice | None = None  # a model chosen for this session (tests, --model)
    _riddler: Riddler | None = None
    _model: LocalModel | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def riddler(self) -> Riddler:
        """The riddler for the active model, created on first use (blocking: call from a background op)."""
        with self._lock:
            if self._riddler is None:
                self._riddler, self._model = open_riddler(self.active_model(), self.local_settings)
            return self._riddler

    def active_model(self) -> ModelChoice:
        return self.model_override or starter_choice(self.paths)

    def close(self) -> None:
        with self._lock:
            if self._model is not None:
                self._model.close()
            self._riddler = self._model = None
        self.store.close()

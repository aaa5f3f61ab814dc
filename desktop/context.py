"""What every page gets: the folders, the settings, the history database (one writer), and the
riddle engine for the active model."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from desktop.database import StoreProxy
from engine.active_model import ModelChoice, active_choice, open_riddler, worker_settings
from engine.inference import ModelInfo
from engine.inference.local import LocalModel, LocalSettings
from engine.model_registry import load as load_registry
from engine.paths import AppPaths
from engine.riddling import DEFAULT_SAMPLING, Riddler
from engine.settings import Settings, best_of, sampling, save_settings

log = logging.getLogger(__name__)

# A change to any of these means the next riddle needs a freshly opened model.
_ENGINE_SECTIONS = ("model", "inference", "sampling")


@dataclass
class AppContext:
    paths: AppPaths
    store: StoreProxy
    settings: Settings = field(default_factory=Settings)
    local_settings: LocalSettings | None = None  # fixed engine settings (tests); None: from `settings`
    model_override: ModelChoice | None = None  # the model in use when it is not the starter
    settings_listeners: list[Callable[[Settings], None]] = field(default_factory=list)
    feed_refresher: Any = None  # desktop.feed_refresher.FeedRefresher, made by desktop.app before the pages
    downloads: Any = None  # desktop.downloads.Downloads, the one owner of model downloads (downloads_of)
    _riddler: Riddler | None = None
    _model: LocalModel | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def riddler(self) -> Riddler:
        """The riddler for the active model, created on first use (blocking: call from a background op)."""
        with self._lock:
            if self._riddler is None:
                choice = self.active_model()
                self._riddler, self._model = open_riddler(
                    choice, self.engine_settings(choice), sampling=sampling(self.settings, DEFAULT_SAMPLING)
                )
                self._riddler.best_of = best_of(self.settings)
            return self._riddler

    def engine_settings(self, choice: ModelChoice) -> LocalSettings:
        """What the worker is started with (blocking: the fit check looks at the machine)."""
        if self.local_settings is not None:
            return self.local_settings
        return worker_settings(choice, self.settings, self.paths)

    def active_model(self) -> ModelChoice:
        """The model to riddle with: one set for this session, else the registry's active model
        (blocking: it may read the registry and assemble the bundled model)."""
        return self.model_override or active_choice(self.paths)

    def active_model_name(self) -> str:
        """The active model's name (reads the small registry file; no model is opened)."""
        if self.model_override is not None:
            return self.model_override.name
        return load_registry(self.paths).active.name

    def loaded_model(self) -> ModelInfo | None:
        """What the worker actually loaded (device, layers, load time), if a model is loaded now."""
        model = self._model
        return model.info if model is not None else None

    # -- changes ------------------------------------------------------------------------------------
    def apply_settings(self, settings: Settings) -> None:
        """Keep new settings: save them, tell the listeners (theme, log level...), and reopen the
        model on the next riddle if anything the engine uses changed."""
        old, self.settings = self.settings, settings
        save_settings(settings, self.paths.settings_file)
        changed = {k for k in settings.values if settings[k] != old[k]}
        if any(key.split(".", 1)[0] in _ENGINE_SECTIONS for key in changed):
            self._forget_model()
        for listener in list(self.settings_listeners):
            listener(settings)

    def remember(self, key: str, value: object) -> None:
        """Keep a piece of app state (first run done, window geometry) without telling listeners."""
        self.settings = self.settings.with_value(key, value)
        save_settings(self.settings, self.paths.settings_file)

    def use_model(self, choice: ModelChoice | None) -> None:
        """Riddle with another model (None: the registry's active one) from the next riddle on;
        riddles in progress finish first."""
        self.model_override = choice
        self._forget_model()

    def _forget_model(self) -> None:
        """Drop the open model without waiting: a riddle in progress holds the model's own lock, so it
        is closed on a helper thread once that riddle is done, never on the UI thread."""
        with self._lock:
            model, self._riddler, self._model = self._model, None, None
        if model is not None:
            threading.Thread(target=model.close, name="riddlewire-close-model", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            if self._model is not None:
                self._model.close()
            self._riddler = self._model = None
        self.store.close()

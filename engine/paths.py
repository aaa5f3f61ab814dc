"""Where things live. One environment variable, RIDDLEWIRE_HOME, moves everything (tests use it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "riddlewire"
HOME_ENV = "RIDDLEWIRE_HOME"

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


@dataclass(frozen=True)
class AppPaths:
    data: Path
    config: Path
    cache: Path
    logs: Path

    @property
    def database(self) -> Path:
        return self.data / "history.sqlite3"

    @property
    def models(self) -> Path:
        return self.data / "models"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.toml"

    def ensure(self) -> AppPaths:
        for folder in (self.data, self.config, self.cache, self.logs, self.models):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def app_paths() -> AppPaths:
    """The folders for this user, created on demand by ensure()."""
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home)
        return AppPaths(root / "data", root / "config", root / "cache", root / "logs")
    return AppPaths(
        Path(platformdirs.user_data_dir(APP_NAME)),
        Path(platformdirs.user_config_dir(APP_NAME)),
        Path(platformdirs.user_cache_dir(APP_NAME)),
        Path(platformdirs.user_log_dir(APP_NAME)),
    )


def resource(*parts: str) -> Path:
    """A file shipped in resources/ (inside a PyInstaller bundle too, see installers/)."""
    return RESOURCES.joinpath(*parts)

"""The user's settings: a small TOML file in the config folder.

Every setting is declared once in SETTINGS with its default and a one-line explanation, so the
settings window, the reset buttons and the file reader all agree. Reading never fails: a file that
is not TOML is moved aside (nothing is lost) and the defaults are used, with a notice to show; a
single bad value falls back to its default, also with a notice. Keys this version does not know
are kept and written back, so an older app does not erase a newer app's settings."""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomli_w

from engine.inference import Sampling
from engine.inference.local import LocalSettings
from engine.paths import AppPaths

log = logging.getLogger(__name__)

Value = bool | int | float | str
_SAMPLING = Sampling()  # the sampling defaults have one home, engine.inference.Sampling


@dataclass(frozen=True)
class Setting:
    key: str  # "section.name", also the place in the TOML file
    title: str
    explanation: str
    default: Value
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    visible: bool = True  # False: app state kept in the same file (first run done, window geometry)
    restart: bool = False  # takes effect at the next start

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    def check(self, value: Any) -> Value:
        """The value in this setting's type, or ValueError with a sentence saying what is allowed."""
        kind = type(self.default)
        if kind is bool:
            ok = isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            value = float(value) if ok else value
        else:
            ok = isinstance(value, str)
        if not ok:
            raise ValueError(f"{self.title} must be {_type_words(kind)}, not {value!r}.")
        if self.choices and value not in self.choices:
            raise ValueError(f"{self.title} must be one of {', '.join(self.choices)}, not {value!r}.")
        if (
            self.minimum is not None
            and value < self.minimum
            or self.maximum is not None
            and value > self.maximum
        ):
            raise ValueError(
                f"{self.title} must be between {self.minimum:g} and {self.maximum:g}, not {value!r}."
            )
        return value


def _type_words(kind: type) -> str:
    return {bool: "on or off", int: "a whole number", float: "a number"}.get(kind, "text")


SECTIONS: dict[str, str] = {
    "model": "Model",
    "inference": "Speed and device",
    "sampling": "Riddle style",
    "news": "News",
    "privacy": "Privacy and network",
    "storage": "Storage",
    "appearance": "Appearance",
    "game": "Game",
    "diagnostics": "Diagnostics",
}

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "model.pipeline",
        "How riddles are asked for",
        "Auto uses examples for base models and the model's own chat format for instruct models.",
        "auto",
        choices=("auto", "few-shot", "zero-shot", "service"),
    ),
    Setting(
        "model.shots",
        "Examples shown to base models",
        "More examples give steadier riddles from base models but make each one slower to start.",
        6,
        minimum=1,
        maximum=12,
    ),
    Setting(
        "inference.device",
        "Device",
        "Auto uses a graphics card when this build and your card can, and the processor otherwise.",
        "auto",
        choices=("auto", "gpu", "cpu"),
    ),
    Setting(
        "inference.threads",
        "Processor threads",
        "How many processor threads the model may use; 0 lets Riddlewire choose.",
        0,
        minimum=0,
        maximum=256,
    ),
    Setting(
        "inference.context_length",
        "Context length (tokens)",
        "How much text the model reads at once; longer fits longer articles but needs more memory.",
        2048,
        minimum=512,
        maximum=131072,
    ),
    Setting(
        "inference.idle_unload_minutes",
        "Free memory after idle (minutes)",
        "The model is unloaded after this many idle minutes to give memory back; 0 keeps it loaded.",
        10,
        minimum=0,
        maximum=1440,
    ),
    Setting(
        "sampling.temperature",
        "Creativity (temperature)",
        "Higher values give more surprising riddles, lower values more predictable ones.",
        _SAMPLING.temperature,
        minimum=0.0,
        maximum=2.0,
    ),
    Setting(
        "sampling.top_p",
        "Word choice breadth (top-p)",
        "Only the most likely words that add up to this share are considered; 1 considers all.",
        _SAMPLING.top_p,
        minimum=0.05,
        maximum=1.0,
    ),
    Setting(
        "sampling.max_tokens",
        "Longest riddle (tokens)",
        "Stops a riddle that runs on; about four characters per token.",
        _SAMPLING.max_tokens,
        minimum=16,
        maximum=1024,
    ),
    Setting(
        "sampling.seed",
        "Random seed",
        "The same seed makes the same riddle for the same article; -1 picks a new one each time.",
        -1,
        minimum=-1,
        maximum=2**31 - 1,
    ),
    Setting(
        "sampling.best_of",
        "Riddles written per story",
        "Writes this many per story and keeps the one that points to it best; 2 takes about 3x as long.",
        1,
        minimum=1,
        maximum=4,
    ),
    Setting(
        "news.refresh_on_start", "Refresh news on start", "Fetch your feeds each time Riddlewire opens.", True
    ),
    Setting(
        "news.refresh_every_minutes",
        "Refresh every (minutes)",
        "Fetch your feeds on a schedule while Riddlewire runs; 0 refreshes only when you ask.",
        60,
        minimum=0,
        maximum=1440,
    ),
    Setting(
        "news.full_text",
        "Read whole articles when a feed is brief",
        "Fetch the page of each new article whose feed gave only a line or two (one request to its site).",
        False,
    ),
    Setting(
        "news.riddles_per_refresh",
        "Riddles per refresh",
        "How many new articles are turned into riddles after each refresh.",
        20,
        minimum=1,
        maximum=200,
    ),
    Setting(
        "privacy.network",
        "What may use the network",
        "News and models: feeds and model downloads. News only: no model downloads. "
        "Offline: nothing leaves this computer.",
        "news-and-models",
        choices=("news-and-models", "news-only", "offline"),
    ),
    Setting(
        "privacy.hub_endpoint",
        "Model download server",
        "Where models are downloaded from; leave empty for huggingface.co, or name a mirror.",
        "",
    ),
    Setting(
        "storage.data_folder",
        "Data folder",
        "Where your history and models are kept; empty uses the usual folder for your system.",
        "",
        restart=True,
    ),
    Setting(
        "appearance.theme",
        "Theme",
        "System follows your desktop's light or dark mode.",
        "system",
        choices=("system", "light", "dark"),
    ),
    Setting(
        "appearance.text_size",
        "Text size (%)",
        "Makes all text in Riddlewire larger or smaller.",
        100,
        minimum=70,
        maximum=200,
    ),
    Setting(
        "appearance.language",
        "Language",
        "The language of Riddlewire's own words; System follows your desktop.",
        "system",
        choices=("system", "en"),
        restart=True,
    ),
    Setting(
        "game.arena",
        "Arena",
        "Mix the day's riddles of two or more models, unlabelled, and let your plays rank the models.",
        False,
    ),
    Setting(
        "diagnostics.log_level",
        "Log detail",
        "How much Riddlewire writes to its log file; Debug helps when reporting a problem.",
        "info",
        choices=("debug", "info", "warning", "error"),
    ),
    Setting(
        "state.welcome_done",
        "Welcome finished",
        "The first-run welcome was finished or skipped.",
        False,
        visible=False,
    ),
    Setting("state.window_geometry", "Window geometry", "Where the main window was last.", "", visible=False),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
DEFAULTS: dict[str, Value] = {s.key: s.default for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Every setting's current value. `notice` is a sentence when the file could not be used as-is."""

    values: Mapping[str, Value] = field(default_factory=lambda: MappingProxyType(dict(DEFAULTS)))
    unknown: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    notice: str = ""

    def __getitem__(self, key: str) -> Value:
        return self.values[key]

    def with_value(self, key: str, value: Any) -> Settings:
        """A copy with one value changed; ValueError (a sentence) when the value is not allowed."""
        checked = BY_KEY[key].check(value)
        return replace(self, values=MappingProxyType({**self.values, key: checked}))

    def reset(self, key: str) -> Settings:
        return self.with_value(key, BY_KEY[key].default)

    def is_default(self, key: str) -> bool:
        return self.values[key] == BY_KEY[key].default


def load_settings(path: Path) -> Settings:
    """The settings in `path`, or the defaults; never raises for a missing, unreadable or broken file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as error:
        return Settings(
            notice=f"Your settings file {path} could not be read ({error.strerror}); "
            "Riddlewire is using its default settings."
        )
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        kept = _move_aside(path)
        return Settings(
            notice=f"Your settings file was damaged, so Riddlewire is using its default settings. "
            f"The damaged file was kept as {kept}."
        )
    return _from_document(document)


def _from_document(document: Mapping[str, Any]) -> Settings:
    values, unknown, rejected = dict(DEFAULTS), {}, []
    for key, value in _flatten(document):
        setting = BY_KEY.get(key)
        if setting is None:
            unknown[key] = value
            continue
        try:
            values[key] = setting.check(value)
        except ValueError as error:
            rejected.append(str(error))
    notice = ""
    if rejected:
        notice = "Some settings were not valid and were set back to their defaults: " + " ".join(rejected)
    return Settings(MappingProxyType(values), MappingProxyType(unknown), notice)


def _flatten(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in document.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            yield from _flatten(value, key + ".")
        else:
            yield key, value


def _move_aside(path: Path) -> Path:
    kept = path.with_name(path.name + ".damaged")
    try:
        os.replace(path, kept)
    except OSError:
        log.warning("could not move the damaged settings file %s aside", path)
        return path
    log.warning("settings file %s was not valid TOML; kept as %s", path, kept)
    return kept


def save_settings(settings: Settings, path: Path) -> None:
    """Write only what differs from the defaults (plus unknown keys), atomically: a crash mid-write
    leaves the old file, never half a file."""
    document: dict[str, Any] = {}
    changed = {k: v for k, v in settings.values.items() if v != BY_KEY[k].default}
    for key, value in sorted({**settings.unknown, **changed}.items()):
        *sections, name = key.split(".")
        table = document
        for section in sections:
            table = table.setdefault(section, {})
        table[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(
        "# Riddlewire settings. Only values that differ from the defaults are kept here.\n"
        + tomli_w.dumps(document),
        encoding="utf-8",
    )
    os.replace(partial, path)


# -- what the engine takes from the settings ---------------------------------------------------
def local_settings(settings: Settings, gpu_offload: bool) -> LocalSettings:
    """LocalSettings for the worker. `gpu_offload` says whether this llama.cpp build can offload
    (engine.diagnostics): Auto then offloads every layer. Offloading only as many layers as free
    video memory allows is the model manager's fit check (engine/hardware.py) to refine."""
    device = settings["inference.device"]
    layers = -1 if device == "gpu" or (device == "auto" and gpu_offload) else 0
    idle = settings["inference.idle_unload_minutes"]
    return LocalSettings(
        n_ctx=int(settings["inference.context_length"]),
        n_threads=int(settings["inference.threads"]) or None,
        n_gpu_layers=layers,
        idle_unload_s=float(idle) * 60 if idle else None,
    )


def sampling(settings: Settings, base: Sampling | None = None) -> Sampling:
    """`base` (the pipeline's defaults: stop words, grammar...) with the user's four knobs applied."""
    seed = int(settings["sampling.seed"])
    return replace(
        base or Sampling(),
        temperature=float(settings["sampling.temperature"]),
        top_p=float(settings["sampling.top_p"]),
        max_tokens=int(settings["sampling.max_tokens"]),
        seed=None if seed < 0 else seed,
    )


def best_of(settings: Settings) -> int:
    """Riddles written per story, of which the judge keeps one (engine.best_of)."""
    return int(settings["sampling.best_of"])


def downloads_allowed(settings: Settings) -> bool:
    return settings["privacy.network"] == "news-and-models"


def news_allowed(settings: Settings) -> bool:
    return settings["privacy.network"] != "offline"


def with_data_folder(paths: AppPaths, settings: Settings) -> AppPaths:
    """The folders with the user's chosen data folder (history and models) in place of the usual one."""
    folder = str(settings["storage.data_folder"]).strip()
    return replace(paths, data=Path(folder).expanduser()) if folder else paths

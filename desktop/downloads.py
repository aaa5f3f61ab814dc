"""The one owner of model downloads in the app. The welcome tour and the Models page both ask it to
download, pause or discard; it runs each download as a BackgroundOp (never on the UI thread), keeps the
one ModelListModel current, and says what happened through signals keyed by the model's key. So a
download started in the tour shows on the Models page, and closing the window pauses them all.

    downloads = downloads_of(context)        # made on first use, kept on the AppContext
    downloads.start(spec, file)
    downloads.installed.connect(...)         # (key, InstalledModel), on the UI thread"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.model_list import ModelListModel
from desktop.ops import BackgroundOp, failure_sentence
from engine import model_registry as registry
from engine.catalog import ModelFile, ModelSpec
from engine.downloads import HubFile, discard_partial, download
from engine.model_rows import ModelRow
from engine.progress import Progress


class Downloads(QObject):
    progressed = Signal(str, object)  # key, Progress
    installed = Signal(str, object)  # key, InstalledModel: on disk, verified and registered
    failed = Signal(str, str)  # key, a sentence
    paused = Signal(str)  # key: stopped, the bytes so far kept
    discarded = Signal(str, int)  # key, bytes freed
    discard_failed = Signal(str, str)  # key, a sentence

    def __init__(self, context: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.model = ModelListModel()
        self.running: dict[str, BackgroundOp] = {}

    # -- what is going on ----------------------------------------------------------------------
    def busy(self, key: str) -> bool:
        op = self.running.get(key)
        return op is not None and not op.done

    @property
    def done(self) -> bool:
        """True when no download runs (the main window asks before it closes)."""
        return not any(self.busy(key) for key in self.running)

    def cancel(self) -> None:
        """Pause every download (the window is closing): each keeps its bytes for a resume."""
        for op in self.running.values():
            op.cancel()

    # -- actions (UI thread) -------------------------------------------------------------------
    def start(self, spec: ModelSpec, file: ModelFile, *, endpoint: str | None = None) -> BackgroundOp:
        """Download (resuming what an earlier attempt left) and register one catalog file. A file
        already downloading is not started twice: its running op is returned."""
        key = registry.catalog_key(spec, file)
        if self.busy(key):
            return self.running[key]
        paths = self.context.paths
        if endpoint is None:
            endpoint = str(_setting(self.context, "privacy.hub_endpoint", "")) or None

        def fetch(cancel, report):  # noqa: ANN001, ANN202 - runs off the UI thread
            done = download(
                HubFile.from_catalog(spec, file),
                paths.models,
                endpoint=endpoint,
                progress=report,
                cancel=cancel,
            )
            return registry.register_download(paths, spec, file, done)

        op = BackgroundOp(
            fetch,
            on_success=lambda model: self._finished(key, model),
            on_progress=lambda progress: self._progressed(key, progress),
            on_failure=lambda error: self._failed(key, error),
            on_cancelled=lambda: self._paused(key),
        )
        self.running[key] = op
        self.model.set_state(key, "downloading", message=self.tr("Starting…"))
        return op.start()

    def pause(self, key: str) -> None:
        if self.busy(key):
            self.running[key].cancel()

    def discard(self, row: ModelRow) -> None:
        """Stop a download and delete what it fetched (a pause keeps it)."""
        source, folder, key = row.source, self.context.paths.models, row.key
        if source is None:
            return
        self.pause(key)
        BackgroundOp(
            lambda _c, _r: discard_partial(source, folder),  # waits for the download to let go
            on_success=lambda freed: self._discarded(key, freed),
            on_failure=lambda error: self.discard_failed.emit(key, failure_sentence(error)),
        ).start()

    # -- results (UI thread) -------------------------------------------------------------------
    def _progressed(self, key: str, progress: Progress) -> None:
        self.model.set_progress(key, progress)
        self.progressed.emit(key, progress)

    def _finished(self, key: str, model: registry.InstalledModel) -> None:
        self.model.set_installed(key, model)
        self.installed.emit(key, model)

    def _failed(self, key: str, error: BaseException) -> None:
        sentence = failure_sentence(error)
        self.model.set_state(key, "failed", error=sentence)
        self.failed.emit(key, sentence)

    def _paused(self, key: str) -> None:
        self.model.set_state(key, "paused", message=self.tr("Paused; the bytes so far are kept."))
        self.paused.emit(key)

    def _discarded(self, key: str, freed: int) -> None:
        self.model.set_state(key, "available", done=0)
        self.discarded.emit(key, freed)


def downloads_of(context: Any) -> Downloads:
    """The app's one Downloads, kept on the context (made here on first use, on the UI thread)."""
    if getattr(context, "downloads", None) is None:
        context.downloads = Downloads(context)
    return context.downloads


def _setting(context: Any, key: str, default: Any) -> Any:
    settings = getattr(context, "settings", None)
    try:
        return settings[key] if settings is not None else default
    except (KeyError, TypeError):
        return default

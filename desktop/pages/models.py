"""The Models page: what is installed, what can be downloaded and whether it fits this machine, with
download / pause / cancel / delete, "use this model", LoRA adapters, and import of your own GGUF
(button or drag and drop). All state lives in one ModelListModel; the two lists are filtered views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.downloads import downloads_of
from desktop.model_list import ModelFilter, RowRole
from desktop.ops import BackgroundOp, failure_sentence
from desktop.pages import PageSpec
from engine import model_registry as registry
from engine.active_model import choice_for, import_checked, ran_on, settings_for
from engine.catalog import TIERS, load_catalog
from engine.errors import EngineError
from engine.hardware import GpuPlan, detect
from engine.inference.local import LocalSettings
from engine.model_rows import INSTALLED_STATES, ModelRow, rows_on_disk
from engine.settings import BY_KEY


def _setting(context: Any, key: str, default: Any) -> Any:
    settings = getattr(context, "settings", None)
    try:
        return settings[key] if settings is not None else default
    except (KeyError, TypeError):
        return default


def load_snapshot(paths, n_ctx: int, device: str):  # noqa: ANN001, ANN201 - runs off the UI thread
    machine = detect(paths.models)
    return (
        machine,
        rows_on_disk(load_catalog(), paths, machine, n_ctx, device),
        _active_plan(registry.load(paths).active, paths, n_ctx, device, machine),
    )


def _active_plan(model, paths, n_ctx: int, device: str, machine) -> GpuPlan | None:  # noqa: ANN001
    """Where the active model is meant to run, until it has loaded and llama.cpp says where it did."""
    try:
        return settings_for(choice_for(model, paths), LocalSettings(n_ctx=n_ctx), device, machine)[1]
    except (OSError, EngineError, ValueError):
        return None  # a missing or unreadable file: the riddle itself will say why


class ModelsPage(QWidget):
    def __init__(self, context: Any):
        super().__init__()
        self.context = context
        # The app's one owner of downloads and of the model list (the welcome tour shares it); the
        # main window pauses its downloads on close through `op`.
        self.downloads = downloads_of(context)
        self.model = self.downloads.model
        self.op = self.downloads
        self._listen(self.downloads)
        self.endpoint: str | None = _setting(context, "privacy.hub_endpoint", "") or None
        self.machine = None
        self.active_plan: GpuPlan | None = None
        self.loaded = False
        self._refreshes = 0  # which refresh may fill the page (refresh)
        # The active model loads in a background op elsewhere (the first riddle), and nothing announces
        # it; while this page is visible it looks once a second. Reading what loaded is an attribute
        # read (AppContext.loaded_model), no I/O, so the UI thread does no work for it.
        self.running_timer = QTimer(self)
        self.running_timer.setInterval(1000)
        self.running_timer.timeout.connect(self._show_running)
        self._build()
        self.setAcceptDrops(True)
        self.refresh()

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.summary = QLabel(self.tr("Looking at this computer…"))
        self.summary.setWordWrap(True)
        self.running = QLabel()
        self.running.setObjectName("modelRunning")
        self.running.setWordWrap(True)
        self.running.setAccessibleName(self.tr("Where the active model runs"))
        self.installed = ModelFilter(installed=True)
        self.available = ModelFilter(installed=False)
        self.installed_view = self._list(self.installed, "installedModels")
        self.available_view = self._list(self.available, "availableModels")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.installed_view, self.tr("Installed"))
        self.tabs.addTab(self._available_tab(), self.tr("Available"))
        self.tabs.currentChanged.connect(lambda _i: self._show_current_tab())
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.running)
        body = QHBoxLayout()
        body.addWidget(self.tabs, 3)
        body.addWidget(self._details(), 2)
        layout.addLayout(body, 1)
        self.status = QLabel(self.tr("Drop a .gguf file here to import your own model."))
        self.status.setObjectName("modelsStatus")
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Status"))
        layout.addWidget(self.status)

    def _list(self, proxy: ModelFilter, name: str) -> QListView:
        proxy.setSourceModel(self.model)
        view = QListView()
        view.setObjectName(name)
        view.setModel(proxy)
        view.setAlternatingRowColors(True)
        view.selectionModel().currentChanged.connect(lambda *_: self._show_selected())
        return view

    def _available_tab(self) -> QWidget:
        self.tier_box = QComboBox()
        self.tier_box.addItem(self.tr("All sizes"), "")
        for tier in TIERS:
            self.tier_box.addItem(self.tr(tier.capitalize()), tier)
        self.tier_box.currentIndexChanged.connect(
            lambda _i: self.available.set_tier(self.tier_box.currentData())
        )
        self.quant_box = QComboBox()
        self.quant_box.addItem(self.tr("Every quantization"), "")
        self.quant_box.addItem(self.tr("Q4_K_M (smaller, the default)"), "Q4_K_M")
        self.quant_box.addItem(self.tr("Q8_0 (larger, closer to the original)"), "Q8_0")
        self.quant_box.currentIndexChanged.connect(
            lambda _i: self.available.set_quant(self.quant_box.currentData())
        )
        choose = QHBoxLayout()
        choose.addWidget(QLabel(self.tr("Size:")))
        choose.addWidget(self.tier_box)
        choose.addWidget(QLabel(self.tr("then quantization:")))
        choose.addWidget(self.quant_box, 1)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(choose)
        layout.addWidget(self.available_view, 1)
        return tab

    def _details(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.title = QLabel()
        self.title.setObjectName("modelTitle")
        self.title.setProperty("role", "heading")  # the theme's heading size, which follows Text size
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.fit_label = QLabel()
        self.fit_label.setWordWrap(True)
        self.arithmetic = QLabel()
        self.arithmetic.setWordWrap(True)
        self.arithmetic.setVisible(False)
        self.why = QPushButton(self.tr("Why? Show the arithmetic"))
        self.why.setCheckable(True)
        self.why.toggled.connect(self.arithmetic.setVisible)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.buttons = {
            name: QPushButton(self.tr(text))
            for name, text in (
                ("download", "Download"),
                ("pause", "Pause"),
                ("cancel", "Cancel download"),
                ("use", "Use this model"),
                ("delete", "Delete"),
                ("lora", "Attach LoRA…"),
                ("import", "Import GGUF…"),
            )
        }
        actions = {
            "download": self.download_selected,
            "pause": self.pause_selected,
            "cancel": self.cancel_selected,
            "use": self.use_selected,
            "delete": self.delete_selected,
            "lora": self.choose_adapter,
            "import": self.choose_import,
        }
        for name, button in self.buttons.items():
            button.setObjectName(f"model_{name}")
            button.clicked.connect(actions[name])
        for widget in (self.title, self.about, self.fit_label, self.why, self.arithmetic, self.progress):
            layout.addWidget(widget)
        for name in ("download", "pause", "cancel", "use", "delete", "lora"):
            layout.addWidget(self.buttons[name])
        layout.addStretch(1)
        layout.addWidget(self.buttons["import"])
        return panel

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        # The fit is computed for the context the model will really get (the key was misspelt once,
        # which always gave 2048); the fallback is the setting's own default.
        n_ctx = int(
            _setting(self.context, "inference.context_length", BY_KEY["inference.context_length"].default)
        )
        device = _setting(self.context, "inference.device", "auto")
        paths = self.context.paths
        # Only the latest refresh may fill the page: an earlier one (read with the old settings) that
        # finished last put the old context length's fits back, and nothing refreshed them again.
        self._refreshes += 1
        mine = self._refreshes
        BackgroundOp(
            lambda _c, _r: load_snapshot(paths, n_ctx, device),
            on_success=lambda snapshot: self._loaded(snapshot) if mine == self._refreshes else None,
            on_failure=self._say,
        ).start()

    def _loaded(self, snapshot) -> None:  # noqa: ANN001
        self.machine, rows, self.active_plan = snapshot
        chosen = self.selected()
        self.model.reset(rows)
        if chosen is not None:
            self._keep_selected(chosen.key)
        device = _setting(self.context, "inference.device", "auto")
        self.summary.setText(
            self.tr("{machine} · Device setting: {device}").format(
                machine=self.machine.summary(), device=self.tr(device.upper() if device != "auto" else "Auto")
            )
        )
        self.loaded = True
        self._show_selected()
        self._show_running()

    # -- what actually ran ---------------------------------------------------------------------
    def _show_running(self) -> None:
        """llama.cpp's own account once the active model has loaded (layers offloaded, device, and the
        reason when the GPU could not take it); until then, the plan for the Device setting."""
        loaded = getattr(self.context, "loaded_model", None)
        info = loaded() if loaded is not None else None
        if info is not None:
            text = self.tr("Active model runs on: {what}").format(what=ran_on(info))
        elif self.active_plan is not None:
            text = self.tr(
                "The active model loads with the first riddle. Planned: {backend} ({reason})."
            ).format(backend=self.active_plan.backend, reason=self.active_plan.reason)
        else:
            text = ""
        if text != self.running.text():
            self.running.setText(text)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Shown again after another page or the welcome tour changed the models: the side panel
        shows the current row at once, and the list is read again from disk in the background."""
        super().showEvent(event)
        self._show_running()
        self.running_timer.start()
        if self.loaded and not event.spontaneous():
            self._show_current_tab()
            self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        self.running_timer.stop()
        super().hideEvent(event)

    # -- the selected row ----------------------------------------------------------------------
    def selected(self) -> ModelRow | None:
        view = self.installed_view if self.tabs.currentIndex() == 0 else self.available_view
        index = view.currentIndex()
        key = index.data(RowRole).key if index.isValid() else None
        return self.model.row(key) if key else None

    def select(self, key: str) -> bool:
        """Select a row by key in whichever list shows it (tests and the first-run flow use this)."""
        for tab, (view, proxy) in enumerate(
            ((self.installed_view, self.installed), (self.available_view, self.available))
        ):
            for r in range(proxy.rowCount()):
                if proxy.index(r, 0).data(RowRole).key == key:
                    self.tabs.setCurrentIndex(tab)
                    view.setCurrentIndex(proxy.index(r, 0))
                    return True
        return False

    def _keep_selected(self, key: str) -> None:
        """After the list is read again, the row chosen before stays chosen (in the tab shown)."""
        view, proxy = (
            (self.installed_view, self.installed)
            if self.tabs.currentIndex() == 0
            else (self.available_view, self.available)
        )
        for r in range(proxy.rowCount()):
            if proxy.index(r, 0).data(RowRole).key == key:
                view.setCurrentIndex(proxy.index(r, 0))
                return

    def _show_current_tab(self) -> None:
        """A tab switch shows the tab's own current row (the first one when none is chosen yet), never
        what the other tab showed."""
        view = self.installed_view if self.tabs.currentIndex() == 0 else self.available_view
        if not view.currentIndex().isValid() and view.model().rowCount() > 0:
            view.setCurrentIndex(view.model().index(0, 0))  # shows it through currentChanged
        self._show_selected()

    def _show_selected(self) -> None:
        row = self.selected()
        for button in self.buttons.values():
            button.setEnabled(False)
        self.buttons["import"].setEnabled(True)
        if row is None:
            self.title.setText(self.tr("Choose a model"))
            self.about.setText(
                self.tr("Bigger models write better riddles but need more memory and run slower.")
            )
            self.fit_label.clear()
            self.arithmetic.clear()
            self.why.setEnabled(False)
            self.progress.setVisible(False)
            return
        self.title.setText(row.name)
        self.about.setText(self._about(row))
        self.fit_label.setText(self._fit_text(row))
        self.arithmetic.setText(row.fit.arithmetic() if row.fit else "")
        self.why.setEnabled(row.fit is not None)
        self.progress.setVisible(row.state in ("downloading", "paused"))
        self.progress.setValue(int(row.fraction * 1000))
        self._enable_for(row)

    def _enable_for(self, row: ModelRow) -> None:
        installed = row.state in INSTALLED_STATES
        bundled = row.installed is not None and row.installed.source == "bundled"
        downloading = self.downloads.busy(row.key)
        self.buttons["download"].setEnabled(not installed and not downloading and row.spec is not None)
        self.buttons["pause"].setEnabled(downloading)
        self.buttons["cancel"].setEnabled(downloading or row.state == "paused")
        self.buttons["use"].setEnabled(row.state == "installed")
        self.buttons["delete"].setEnabled(installed and not bundled)
        self.buttons["lora"].setEnabled(installed)
        self.buttons["download"].setText(
            self.tr("Resume download") if row.state == "paused" else self.tr("Download")
        )

    def _about(self, row: ModelRow) -> str:
        if row.spec is None:
            m = row.installed
            return self.tr(
                "Your own model: {arch}, {params:.2f}B parameters, {quant}, {variant}.\n{path}"
            ).format(
                arch=m.architecture,
                params=m.parameter_count / 1e9,
                quant=m.quant,
                variant=m.variant,
                path=m.path,
            )
        spec = row.spec
        gated = (
            self.tr(" (gated: accept the licence on huggingface.co and set a token)") if spec.gated else ""
        )
        lora = ""
        if row.installed is not None and row.installed.adapter is not None:
            lora = self.tr("\nLoRA adapter: {name}").format(name=row.installed.adapter.name)
        return self.tr(
            "{family}, {params}B parameters, {variant}, {tier}. {notes}\nLicence: {licence}{gated}{lora}"
        ).format(
            family=spec.family,
            params=spec.params_b,
            variant=spec.variant,
            tier=spec.tier,
            notes=spec.notes,
            licence=spec.license,
            gated=gated,
            lora=lora,
        )

    def _fit_text(self, row: ModelRow) -> str:
        text = row.error or row.message
        if row.fit is None:
            return text
        verdict = self.tr("{badge} · about {speed:.0f} tokens/s ({cls})").format(
            badge=row.fit.badge, speed=row.fit.tokens_per_s, cls=row.fit.speed_class
        )
        return f"{verdict}\n{text}" if text else verdict

    def _row_changed(self, key: str) -> None:
        current = self.selected()
        if current is not None and current.key == key:
            self._show_selected()

    # -- actions -------------------------------------------------------------------------------
    def download_selected(self) -> None:
        row = self.selected()
        if row is None or row.spec is None or row.file is None:
            return
        if _setting(self.context, "privacy.network", "news-and-models") != "news-and-models":
            self.status.setText(
                self.tr(
                    "Model downloads are switched off in Settings (What may use the network). "
                    "Allow news and models there to download this one."
                )
            )
            return
        self.downloads.start(row.spec, row.file, endpoint=self.endpoint)
        self._row_changed(row.key)

    def _listen(self, downloads) -> None:  # noqa: ANN001 - desktop.downloads.Downloads
        # Bound methods, not lambdas: Qt drops them when this page goes, while the Downloads stays.
        downloads.progressed.connect(self._progressed)
        downloads.installed.connect(self._downloaded)
        downloads.failed.connect(self._download_failed)
        downloads.paused.connect(self._paused)
        downloads.discarded.connect(self._cancelled)
        downloads.discard_failed.connect(self._download_failed)

    def _progressed(self, key: str, _progress: object) -> None:
        self._row_changed(key)

    def _downloaded(self, _key: str, model: registry.InstalledModel) -> None:
        self.status.setText(self.tr("{name} is installed (sha256 verified).").format(name=model.name))
        self.refresh()

    def _download_failed(self, key: str, sentence: str) -> None:
        self.status.setText(sentence)
        self._row_changed(key)

    def _paused(self, key: str) -> None:
        self.status.setText(self.tr("Download paused; start it again to resume."))
        self._row_changed(key)

    def pause_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self.downloads.pause(row.key)

    def cancel_selected(self) -> None:
        """Stop a download and delete what it fetched (a pause keeps it)."""
        row = self.selected()
        if row is not None:
            self.downloads.discard(row)

    def _cancelled(self, key: str, freed: int) -> None:
        self.status.setText(self.tr("Download cancelled; {mb:.0f} MB freed.").format(mb=freed / 1e6))
        self._row_changed(key)

    def delete_selected(self) -> None:
        row = self.selected()
        if row is None or row.installed is None:
            return
        paths, key, name = self.context.paths, row.key, row.name
        BackgroundOp(
            lambda _c, _r: registry.remove(paths, key),
            on_failure=self._say,
            on_success=lambda freed: self._deleted(name, freed),
        ).start()

    def _deleted(self, name: str, freed: int) -> None:
        if freed:
            self.status.setText(
                self.tr("{name} deleted; {mb:.0f} MB of disk reclaimed.").format(name=name, mb=freed / 1e6)
            )
        else:
            self.status.setText(
                self.tr("{name} removed from the list; your file was kept.").format(name=name)
            )
        self.refresh()

    def use_selected(self) -> None:
        row = self.selected()
        if row is None or row.installed is None:
            return
        paths, key, machine = self.context.paths, row.key, self.machine
        device = _setting(self.context, "inference.device", "auto")

        def activate(_c, _r):  # noqa: ANN001, ANN202
            model = registry.set_active(paths, key)
            choice = choice_for(model, paths)
            plan = settings_for(choice, LocalSettings(), device, machine)[1] if machine else None
            return model, choice, plan

        BackgroundOp(activate, on_success=self._activated, on_failure=self._say).start()

    def _activated(self, result) -> None:  # noqa: ANN001
        model, choice, plan = result
        use_model = getattr(self.context, "use_model", None)
        if use_model is not None:
            use_model(choice)
        else:
            self.context.model_override = choice
        where = (
            self.tr(" It will run on: {backend} ({reason}).").format(backend=plan.backend, reason=plan.reason)
            if plan
            else ""
        )
        self.status.setText(self.tr("Riddles now come from {name}.").format(name=model.name) + where)
        self.refresh()

    # -- your own GGUF -------------------------------------------------------------------------
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import a GGUF model"), str(Path.home()), self.tr("GGUF models (*.gguf)")
        )
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        paths = self.context.paths
        settings = getattr(self.context, "local_settings", None) or LocalSettings(idle_unload_s=None)
        self.status.setText(
            self.tr("Checking {name} and asking it for one test riddle…").format(name=path.name)
        )
        BackgroundOp(
            lambda cancel, report: import_checked(paths, path, settings, report, cancel),
            on_success=self._imported,
            on_failure=self._say,
        ).start()

    def _imported(self, result) -> None:  # noqa: ANN001
        model, smoke = result
        if smoke.problem:
            said = self.tr("It loads, but its test riddle failed: {problem}").format(problem=smoke.problem)
        else:
            said = self.tr("Test riddle: {riddle} (answer: {answer})").format(
                riddle=smoke.riddle, answer=smoke.answer
            )
        self.status.setText(
            self.tr("Imported {name} ({arch}, {quant}, {variant}). ").format(
                name=model.name, arch=model.architecture, quant=model.quant, variant=model.variant
            )
            + said
        )
        self.refresh()

    def choose_adapter(self) -> None:
        row = self.selected()
        if row is None or row.installed is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Attach a LoRA adapter"), str(Path.home()), self.tr("LoRA adapters (*.gguf)")
        )
        if path:
            self.attach_adapter(row.key, Path(path))

    def attach_adapter(self, key: str, path: Path) -> None:
        paths = self.context.paths
        BackgroundOp(
            lambda _c, _r: registry.attach_adapter(paths, key, path),
            on_failure=self._say,
            on_success=lambda m: (
                self.status.setText(
                    self.tr("{name} now loads with the adapter {a}.").format(name=m.name, a=m.adapter.name)
                ),
                self.refresh(),
            ),
        ).start()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if any(url.toLocalFile().lower().endswith(".gguf") for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.toLocalFile().lower().endswith(".gguf"):
                self.import_file(Path(url.toLocalFile()))
        event.acceptProposedAction()

    def _say(self, error: BaseException) -> None:
        self.status.setText(failure_sentence(error))


PAGE = PageSpec("models", "Models", 40, ModelsPage)

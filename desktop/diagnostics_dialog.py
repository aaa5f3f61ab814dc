"""Help → Diagnostics: the facts that answer "why is it slow, which device ran, why did it fail",
gathered in the background, with a Copy report button for bug reports."""

from __future__ import annotations

from PySide6.QtCore import QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.ops import BackgroundOp, failure_sentence
from desktop.theme import mark
from engine.diagnostics import Diagnostics, collect
from engine.inference.placement import where_words


class DiagnosticsDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.diagnostics: Diagnostics | None = None
        self.op: BackgroundOp | None = None
        self.setWindowTitle(self.tr("Riddlewire diagnostics"))
        self.resize(820, 640)

        self.summary = QFormLayout()
        self.facts: dict[str, QLabel] = {}
        for key, label in (
            ("device", self.tr("Runs on")),
            ("model", self.tr("Model")),
            ("database", self.tr("History")),
            ("errors", self.tr("Recent errors")),
        ):
            value = QLabel(self.tr("Looking…"))
            value.setWordWrap(True)
            self.facts[key] = value
            self.summary.addRow(mark(QLabel(label), "explanation"), value)

        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setPointSizeF(QGuiApplication.font().pointSizeF())  # follows the text size setting
        self.report.setFont(fixed)
        self.report.setAccessibleName(self.tr("Diagnostics report"))
        self.report.setPlaceholderText(
            self.tr("Gathering versions, the llama.cpp build and the last errors…")
        )

        self.copy_button = mark(QPushButton(self.tr("Copy report")), "primary")
        self.copy_button.setToolTip(
            self.tr("Copies the report for a bug report. It holds no feed contents and no personal folders.")
        )
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_report)
        self.copied = mark(QLabel(), "explanation")
        logs = QPushButton(self.tr("Open log folder"))
        logs.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(context.paths.logs))))
        self.refresh_button = QPushButton(self.tr("Check again"))
        self.refresh_button.clicked.connect(self.refresh)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for widget in (self.copy_button, self.copied):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        for widget in (logs, self.refresh_button, close):
            buttons.addWidget(widget)

        layout = QVBoxLayout(self)
        layout.addWidget(mark(QLabel(self.tr("What Riddlewire knows about this computer")), "heading"))
        layout.addLayout(self.summary)
        layout.addWidget(self.report, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        if self.op is not None and not self.op.done:
            return
        context = self.context
        settings, active, loaded = context.settings, context.active_model_name(), context.loaded_model()

        def op(_cancel, _report) -> Diagnostics:  # noqa: ANN001
            return collect(
                context.paths,
                settings,
                qt_version=qVersion(),
                on_store=context.store.run,
                active_model=active,
                loaded=loaded,
            )

        self.refresh_button.setEnabled(False)
        self.op = BackgroundOp(op, on_success=self._show, on_failure=self._failed).start()

    def _show(self, diagnostics: Diagnostics) -> None:
        self.diagnostics = diagnostics
        self.report.setPlainText(diagnostics.report())
        self.copy_button.setEnabled(True)
        self.refresh_button.setEnabled(True)
        self.facts["device"].setText(self._device_words(diagnostics))
        loaded = diagnostics.loaded
        self.facts["model"].setText(
            diagnostics.active_model
            + (
                self.tr(" (loaded in {s:.1f} s)").format(s=loaded.load_s)
                if loaded
                else self.tr(" (not loaded yet)")
            )
        )
        db = diagnostics.database
        self.facts["database"].setText(
            db.problem
            or (
                self.tr("%n riddle(s), healthy", "", db.riddles)
                if db.integrity == "ok"
                else self.tr("Damaged: {what}").format(what=db.integrity)
            )
        )
        errors = diagnostics.errors
        self.facts["errors"].setText(
            self.tr("{n} in the log, the last at {when} (in the report below)").format(
                n=len(errors), when=errors[-1].when[:19]
            )
            if errors
            else self.tr("None")
        )

    def _device_words(self, d: Diagnostics) -> str:
        if d.llama.problem:
            return d.llama.problem
        gpus = ", ".join(dev.description for dev in d.llama.gpu_devices)
        loaded = d.loaded
        if loaded is not None and loaded.fallback:
            return self.tr("Processor. {why}").format(why=loaded.fallback)
        if loaded is not None and loaded.gpu_layers:
            # what llama.cpp reported at load time: how many layers went to which device
            return self.tr("Graphics card: {where}").format(
                where=where_words(loaded.gpu_layers, loaded.layers_total, loaded.backend)
                if loaded.gpu_layers > 0
                else (gpus or self.tr("GPU"))
            )
        if d.llama.gpu_offload and gpus:
            return self.tr("Processor; this build can use {gpus} (see Settings → Device)").format(gpus=gpus)
        return self.tr(
            "Processor (%n thread(s)); this llama.cpp build has no graphics card support", "", d.cpu_count
        )

    def _failed(self, error: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.report.setPlainText(failure_sentence(error))

    def copy_report(self) -> None:
        if self.diagnostics is not None:
            QGuiApplication.clipboard().setText(self.report.toPlainText())
            self.copied.setText(self.tr("Copied. Paste it into your bug report."))

    def done(self, result: int) -> None:
        if self.op is not None and not self.op.done:
            self.op.cancel()
        super().done(result)

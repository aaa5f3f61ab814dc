"""The main window: a sidebar of pages (found in desktop/pages) and a status bar for failures."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QMainWindow, QStackedWidget, QWidget

from desktop.context import AppContext
from desktop.ops import set_default_failure
from desktop.pages import discover


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self.setWindowTitle(self.tr("Riddlewire — today's news as riddles"))
        self.resize(QSize(1100, 720))

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(170)
        self.nav.setAccessibleName(self.tr("Pages"))
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        for spec in discover():
            page = spec.factory(context)
            self.pages[spec.key] = page
            self.nav.addItem(self.tr(spec.title))
            self.stack.addWidget(page)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        set_default_failure(self.show_failure)

    def show_failure(self, sentence: str) -> None:
        self.statusBar().showMessage(sentence, 15_000)

    def page(self, key: str) -> QWidget:
        return self.pages[key]

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        for page in self.pages.values():
            op = getattr(page, "op", None)
            if op is not None and not op.done:
                op.cancel()
        super().closeEvent(event)

"""The main window: a sidebar of pages (found in desktop/pages), a notice banner, the menus that lead
to Settings, Diagnostics, the welcome tour and About, and a status bar for failures."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSize, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.heap import settle_start_up_heap
from desktop.ops import set_default_failure
from desktop.pages import discover
from desktop.theme import app_icon, mark


class NoticeBanner(QWidget):
    """One sentence across the top of the window (a damaged settings file, a model switched), with
    a Dismiss button; it stays until read, unlike the status bar."""

    def __init__(self) -> None:
        super().__init__()
        self.text = mark(QLabel(), "notice")
        self.text.setWordWrap(True)
        self.text.setAccessibleName(self.tr("Notice"))
        dismiss = mark(QPushButton(self.tr("Dismiss")), "flat")
        dismiss.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(dismiss)
        self.hide()

    def show_sentence(self, sentence: str) -> None:
        self.text.setText(sentence)
        self.show()


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self.setWindowTitle(self.tr("Riddlewire — today's news as riddles"))
        self.setWindowIcon(app_icon())
        # Never larger than the screen's free space, less room for a title bar (unknown until shown).
        self.resize(QSize(1100, 720).boundedTo(self.screen().availableSize() - QSize(16, 40)))
        self.welcome = None  # the first-run flow, while it is open

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(180)
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

        self.banner = NoticeBanner()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(self.stack, 1)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(right, 1)
        self.setCentralWidget(central)
        self._build_menus()
        self._restore_geometry()
        set_default_failure(self.show_failure)
        settle_start_up_heap()  # the window's freezes under load were full garbage collections: see heap.py

    # -- menus ----------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.settings_action = self._action(
            file_menu,
            self.tr("&Settings…"),
            self.open_settings,
            QKeySequence.StandardKey.Preferences,
            "Ctrl+,",
        )
        file_menu.addSeparator()
        self._action(file_menu, self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit, "Ctrl+Q")
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.welcome_action = self._action(help_menu, self.tr("&Welcome tour…"), lambda: self.open_welcome())
        self.diagnostics_action = self._action(help_menu, self.tr("&Diagnostics…"), self.open_diagnostics)
        self._action(help_menu, self.tr("Open the &log folder"), self.open_log_folder)
        help_menu.addSeparator()
        self._action(help_menu, self.tr("&About Riddlewire"), self.open_about)

    def _action(self, menu, text: str, slot, standard=None, fallback: str = "") -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if standard is not None:
            keys = QKeySequence.keyBindings(standard) or [QKeySequence(fallback)]
            action.setShortcuts(keys)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def open_settings(self) -> None:
        from desktop.settings_dialog import SettingsDialog

        SettingsDialog(self.context, self).exec()

    def open_diagnostics(self) -> None:
        from desktop.diagnostics_dialog import DiagnosticsDialog

        DiagnosticsDialog(self.context, self).exec()

    def open_about(self) -> None:
        from desktop.about import AboutDialog

        AboutDialog(self).exec()

    def open_welcome(self, **choices) -> None:  # noqa: ANN003 - catalog=, machine= (tests)
        from desktop.welcome import WelcomeDialog

        if self.welcome is None:
            self.welcome = WelcomeDialog(self.context, self, **choices)
            self.welcome.finished.connect(self._welcome_closed)
            self.welcome.switched.connect(self.show_notice)
            self.welcome.said.connect(self._welcome_said)
        self.welcome.show()
        self.welcome.raise_()

    def _welcome_closed(self, _result: int) -> None:
        self.context.remember("state.welcome_done", True)

    def _welcome_said(self, sentence: str) -> None:
        """The download goes on after the tour closes: its progress moves to the status bar."""
        if self.welcome is not None and not self.welcome.isVisible():
            self.statusBar().showMessage(sentence, 10_000)

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.paths.logs)))

    # -- messages -------------------------------------------------------------------------------
    def show_failure(self, sentence: str) -> None:
        self.statusBar().showMessage(sentence, 15_000)

    def show_notice(self, sentence: str) -> None:
        self.banner.show_sentence(sentence)

    def page(self, key: str) -> QWidget:
        return self.pages[key]

    def show_page(self, key: str) -> None:
        if key in self.pages:
            self.nav.setCurrentRow(list(self.pages).index(key))

    # -- geometry -------------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        saved = str(self.context.settings["state.window_geometry"])
        if saved:
            self.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii")))

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        self.context.remember("state.window_geometry", bytes(self.saveGeometry().toBase64()).decode("ascii"))
        if self.welcome is not None:
            self.welcome.stop_download()  # paused: the bytes so far are kept for a resume
        for page in self.pages.values():
            op = getattr(page, "op", None)
            if op is not None and not op.done:
                op.cancel()
        super().closeEvent(event)

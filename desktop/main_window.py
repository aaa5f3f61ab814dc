"""The main window: a sidebar of pages (found in desktop/pages), a notice banner, the menus that lead
to Settings, Diagnostics, the welcome tour and About, and a status bar for failures."""

from __future__ import annotations

import time

from PySide6.QtCore import QByteArray, QCoreApplication, QSize, QTimer, QUrl
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
from desktop.plurals import install_english_plurals
from desktop.theme import app_icon, mark

STATUS_EXPIRY_S = 45.0  # a page's status line is cleared after standing this long unchanged


def page_busy(page: QWidget) -> bool:
    """Whether a page is still working: its own `busy()`, or its background op still running."""
    busy = getattr(page, "busy", None)
    if callable(busy):
        return bool(busy())
    op = getattr(page, "op", None)
    return op is not None and not getattr(op, "done", True)


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
        install_english_plurals(QCoreApplication.instance())  # "1 riddle", not "1 riddle(s)"
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
        self.nav.currentRowChanged.connect(self._switch_page)
        self.nav.setCurrentRow(0)
        self.error_hooks = None  # desktop.error_hook.ErrorHooks, installed by desktop.app
        self._status_seen: dict[int, tuple[str, float]] = {}  # page status label -> (text, since)
        self.status_expiry_s = STATUS_EXPIRY_S
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(2_000)
        self._status_timer.timeout.connect(self.expire_statuses)
        self._status_timer.start()

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

    # -- page status lines -----------------------------------------------------------------------
    # A page's status line ("Thanks: your rating is kept…", "Subscribed to NASA.") says what just
    # happened. Left on screen it turns into a claim about now, so it is cleared when the reader
    # leaves the page, and when it has stood unchanged for status_expiry_s; never while the page is
    # still working (its progress is in it). setText(""), not clear(): a label may keep its own copy of
    # the text (desktop/text_fit.py's WrappingLabel), which clear() would leave behind.
    def _switch_page(self, row: int) -> None:
        left = self.stack.currentWidget()
        self.stack.setCurrentIndex(row)
        if left is not None and left is not self.stack.currentWidget():
            self._clear_status(left)

    def _clear_status(self, page: QWidget) -> None:
        label = getattr(page, "status", None)
        if isinstance(label, QLabel) and label.text() and not page_busy(page):
            label.setText("")

    def expire_statuses(self) -> None:
        now = time.monotonic()
        for page in self.pages.values():
            label = getattr(page, "status", None)
            if not isinstance(label, QLabel):
                continue
            text, since = self._status_seen.get(id(label), ("", now))
            if label.text() != text:
                self._status_seen[id(label)] = (label.text(), now)
            elif text and now - since >= self.status_expiry_s and not page_busy(page):
                label.setText("")
                self._status_seen[id(label)] = ("", now)

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

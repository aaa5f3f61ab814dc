"""The tray icon: "N new riddles" when a background refresh and generation finishes, and a click that
brings the reader to the front. Where the desktop has no tray, the window's status bar says it.

Wire it once the window exists: `install_tray(window)`."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle, QSystemTrayIcon

MESSAGE_MS = 8000


class RiddleTray(QObject):
    def __init__(self, window: QMainWindow, icon: QIcon | None = None):
        super().__init__(window)
        self.window = window
        self.last_message = ""
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        chosen = icon if icon is not None and not icon.isNull() else window.windowIcon()
        if chosen.isNull():
            chosen = window.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxQuestion)
        self.icon = QSystemTrayIcon(chosen, self)
        self.icon.setToolTip(self.tr("Riddlewire"))
        menu = QMenu(window)
        menu.addAction(self.tr("Show the riddles"), self.show_reader)
        menu.addAction(self.tr("Quit"), window.close)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(lambda _reason: self.show_reader())
        self.icon.messageClicked.connect(self.show_reader)
        if self.available:
            self.icon.show()

    def announce(self, count: int) -> None:
        """Tell the person that riddles are waiting: a tray message, else the status bar."""
        if count <= 0:
            return
        self.last_message = self.tr("%n new riddle(s)", "", count)
        if self.available and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(self.tr("Riddlewire"), self.last_message, self.icon.icon(), MESSAGE_MS)
        else:
            self.window.statusBar().showMessage(self.last_message, MESSAGE_MS)

    def show_reader(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()
        nav, stack = getattr(self.window, "nav", None), getattr(self.window, "stack", None)
        if nav is not None and stack is not None:
            nav.setCurrentRow(stack.indexOf(self.window.page("reader")))  # sidebar rows follow the stack


def install_tray(window: QMainWindow) -> RiddleTray:
    """Show the tray icon and announce every finished generation of the reader page."""
    tray = RiddleTray(window)
    reader = window.page("reader")  # type: ignore[attr-defined]
    reader.riddles_made.connect(tray.announce)
    return tray

"""Start the window: folders, logging, the one database thread, the main window, the first riddles."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

from desktop.context import AppContext
from desktop.database import StoreProxy
from desktop.main_window import MainWindow
from engine.paths import app_paths


def build_window(app: QApplication) -> MainWindow:
    paths = app_paths().ensure()
    context = AppContext(paths=paths, store=StoreProxy(paths.database))
    window = MainWindow(context)
    app.aboutToQuit.connect(context.close)
    return window


def run_app(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("Riddlewire")
    app.setOrganizationName("Riddlewire")
    window = build_window(app)
    window.show()
    window.page("reader").load_history()
    code = app.exec()
    QThreadPool.globalInstance().waitForDone(5000)
    return code

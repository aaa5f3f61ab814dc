"""Start the window: folders, settings, the log file, the theme, the one database thread, the main
window, the first riddles, and the welcome tour on a first launch."""

from __future__ import annotations

import logging
import os
import sys
import time

from PySide6.QtCore import QLibraryInfo, QLocale, QThreadPool, QTimer, QTranslator
from PySide6.QtWidgets import QApplication

from desktop.context import AppContext
from desktop.database import StoreProxy
from desktop.error_hook import ErrorHooks
from desktop.feed_refresher import FeedRefresher
from desktop.main_window import MainWindow
from desktop.plurals import install_english_plurals
from desktop.pyside_none import keep_none_alive
from desktop.riddle_list import history_pool
from desktop.theme import app_icon, apply_theme
from desktop.tray import install_tray
from engine import __version__
from engine.logs import set_level, start_logging
from engine.paths import app_paths, resource
from engine.settings import load_settings, news_allowed, with_data_folder

log = logging.getLogger(__name__)


def build_window(app: QApplication) -> MainWindow:
    base = app_paths().ensure()
    settings = load_settings(base.settings_file)
    paths = with_data_folder(base, settings).ensure()
    start_logging(paths.logs, str(settings["diagnostics.log_level"]))
    log.info("Riddlewire %s starting; data in %s", __version__, paths.data)
    if settings.notice:
        log.warning("%s", settings.notice)
    apply_theme(app, str(settings["appearance.theme"]), int(settings["appearance.text_size"]))
    context = AppContext(paths=paths, store=StoreProxy(paths.database), settings=settings)
    context.feed_refresher = FeedRefresher(
        context,
        interval_s=int(settings["news.refresh_every_minutes"]) * 60,
        on_start=bool(settings["news.refresh_on_start"]),
        allowed=lambda: news_allowed(context.settings),
        parent=app,
    )
    window = MainWindow(context)
    context.feed_refresher.finished.connect(lambda report: _riddle_fresh_news(window, report))
    if settings.notice:
        window.show_notice(settings.notice)
    context.settings_listeners.append(lambda _new: _settings_changed(app, context))
    follow_system_theme(app, context)
    app.aboutToQuit.connect(context.close)
    return window


def _riddle_fresh_news(window: MainWindow, report) -> None:  # noqa: ANN001 - engine.ingest.RefreshReport
    """Fresh news becomes riddles straight away, in the background, like the first launch's sample news."""
    if report.new:
        window.page("reader").riddle_news()


def _settings_changed(app: QApplication, context: AppContext) -> None:
    settings = context.settings
    apply_theme(app, str(settings["appearance.theme"]), int(settings["appearance.text_size"]))
    set_level(str(settings["diagnostics.log_level"]))
    context.feed_refresher.set_interval(int(settings["news.refresh_every_minutes"]) * 60)


def follow_system_theme(app: QApplication, context: AppContext) -> None:
    """With the System theme, a desktop switching between light and dark restyles the app at once."""

    def scheme_changed(_scheme) -> None:  # noqa: ANN001
        if context.settings["appearance.theme"] == "system":
            apply_theme(app, "system", int(context.settings["appearance.text_size"]))

    app.styleHints().colorSchemeChanged.connect(scheme_changed)


def install_translations(app: QApplication, language: str) -> None:
    """Load Riddlewire's and Qt's own translations for the language (English ships built in):
    adding resources/i18n/riddlewire_<lang>.qm is all a translation needs."""
    install_english_plurals(app)  # first: a translation installed after it takes precedence
    locale = QLocale.system() if language == "system" else QLocale(language)
    for name, folder in (
        ("riddlewire", str(resource("i18n"))),
        ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
    ):
        translator = QTranslator(app)
        if translator.load(locale, name, "_", folder):
            app.installTranslator(translator)


# Set to measure a cold start (bench/startup.py, installers): print the time from process start to
# the window shown, and quit.
STARTUP_PROBE = "RIDDLEWIRE_STARTUP_PROBE"


def _report_shown(app: QApplication) -> None:
    import psutil

    started = psutil.Process().create_time()
    print(f"window shown {time.time() - started:.2f} s after the process started", flush=True)
    app.quit()


def start_app(argv: list[str]) -> MainWindow:
    """Everything `riddlewire` does before Qt's event loop: the application, its translations, the
    window over the user's data folder, the first riddles, the feed refresher, the tray, the welcome
    tour on a first launch, and the error hooks. The end-to-end test starts the app through here."""
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    keep_none_alive()  # before any view calls a Python data(): see desktop/pyside_none.py
    app.setApplicationName("Riddlewire")
    app.setOrganizationName("Riddlewire")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("riddlewire")  # matches resources/riddlewire.desktop (Wayland icon, taskbar)
    app.setWindowIcon(app_icon())
    install_translations(app, str(load_settings(app_paths().settings_file)["appearance.language"]))
    window = build_window(app)
    window.error_hooks = ErrorHooks(window.show_notice)
    window.show()
    window.page("reader").load_history()
    window.context.feed_refresher.start()
    app.aboutToQuit.connect(window.context.feed_refresher.stop)
    window.tray = install_tray(window)  # kept on the window: the icon lives as long as it does
    if not window.context.settings["state.welcome_done"]:
        window.open_welcome()
    if os.environ.get(STARTUP_PROBE):
        QTimer.singleShot(0, lambda: _report_shown(app))
    return window


def run_app(argv: list[str]) -> int:
    window = start_app(argv)
    code = QApplication.instance().exec()
    QThreadPool.globalInstance().waitForDone(5000)
    history_pool().waitForDone(5000)
    window.error_hooks.uninstall()
    return code


def stop_app(window: MainWindow) -> None:
    """What quitting does, for a window started with start_app without Qt's event loop of its own
    (the end-to-end test): stop the refresher, close the window, let running work finish, close the
    database and the model, and put the error hooks back."""
    window.context.feed_refresher.stop()
    window.close()
    QThreadPool.globalInstance().waitForDone(10_000)
    history_pool().waitForDone(10_000)
    window.context.close()
    window.error_hooks.uninstall()

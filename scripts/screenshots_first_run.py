"""Screenshots of the welcome tour, the settings window, diagnostics and About, in light and dark,
and of the History page, for the README (docs/screenshots/). Real widgets rendered offscreen with
widget.grab(); a throwaway RIDDLEWIRE_HOME with a few stored riddles; the real catalog and this
machine's real hardware check.
No network: the download step is shown at a set progress value.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_first_run.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"


def settle(app, seconds: float = 0.3, until=None) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 30
    end = time.monotonic() + seconds
    while time.monotonic() < end or (until is not None and not until() and time.monotonic() < deadline):
        app.processEvents()
        time.sleep(0.02)


def shoot_history(app, window) -> None:  # noqa: ANN001
    """History with a solved riddle open: its answer, headline and provenance show
    (an unplayed riddle keeps them hidden)."""
    from engine.store import Store
    from engine.store import play as plays
    from engine.store.history import entry
    from tests.desktop.test_reader_game import seed_game

    store = Store(window.context.paths.database)
    ids = seed_game()
    plays.guess(store, ids[1], "the moon")
    plays.rate(store, ids[1], 1, "lovely")
    solved_text = entry(store, ids[1]).stored.riddle.text
    store.close()
    window.banner.hide()  # the notice shown for switched-*.png
    window.show_page("history")
    page = window.page("history")
    page.refresh()
    settle(app, 1.0, until=lambda: page.model.rowCount() > 6 and not page.model.loading)
    row = next(r for r in range(page.model.rowCount()) if page.model.line_at(r).text == solved_text)
    page.list.setCurrentIndex(page.model.index(row))
    settle(app, 1.0, until=lambda: "Headline 1" in page.details.toPlainText())
    window.grab().save(str(OUT / "history.png"))


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["RIDDLEWIRE_HOME"] = tempfile.mkdtemp(prefix="riddlewire-shots-")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    from desktop.about import AboutDialog
    from desktop.app import build_window
    from desktop.diagnostics_dialog import DiagnosticsDialog
    from desktop.settings_dialog import SettingsDialog
    from desktop.theme import apply_theme
    from tests.desktop.conftest import seed_history

    app = QApplication([])
    app.setApplicationName("Riddlewire")
    seed_history(6)
    window = build_window(app)
    window.context.feed_refresher.stop()
    window.resize(1100, 700)
    window.show()
    window.page("reader").load_history(then_riddle_if_empty=False)
    OUT.mkdir(parents=True, exist_ok=True)
    for theme in ("light", "dark"):
        apply_theme(app, theme)
        window.open_welcome()
        welcome = window.welcome
        welcome.progress.hide()
        welcome.progress_text.hide()
        welcome.go(0)
        settle(app)
        welcome.grab().save(str(OUT / f"welcome-1-play-{theme}.png"))
        welcome.go(1)
        settle(app, until=lambda w=welcome: len(w.cards) == 4)
        settle(app)  # the cards are shown by a queued event
        welcome.grab().save(str(OUT / f"welcome-2-size-{theme}.png"))
        welcome.go(2)
        welcome.progress.show()
        welcome.progress.setValue(387)  # as a download's progress sets it (312 of 806 MB)
        welcome._say("312 MB of 806 MB · 9.8 MB/s · 50 s left")
        settle(app)
        welcome.grab().save(str(OUT / f"welcome-3-news-{theme}.png"))
        welcome.hide()
        window.show_notice("Riddlewire now uses Gemma 3 1B Instruct (small). New riddles come from it.")
        settle(app, 1.0)
        window.grab().save(str(OUT / f"switched-{theme}.png"))

        settings = SettingsDialog(window.context, window)
        settings.show()
        settings.sections.setCurrentRow(1)
        settle(app)
        settings.grab().save(str(OUT / f"settings-{theme}.png"))
        settings.sections.setCurrentRow(4)
        settle(app)
        settings.grab().save(str(OUT / f"settings-privacy-{theme}.png"))
        settings.reject()

        diagnostics = DiagnosticsDialog(window.context, window)
        diagnostics.show()
        settle(app, until=lambda d=diagnostics: d.diagnostics is not None)
        diagnostics.grab().save(str(OUT / f"diagnostics-{theme}.png"))
        diagnostics.accept()

        about = AboutDialog(window)
        about.show()
        settle(app, until=lambda a=about: a.list.count() > 10)
        about.list.setCurrentRow(1)
        settle(app)
        about.grab().save(str(OUT / f"about-{theme}.png"))
        about.accept()
    apply_theme(app, "light")
    shoot_history(app, window)
    window.close()
    window.context.close()
    print("\n".join(sorted(str(p.relative_to(ROOT)) for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()

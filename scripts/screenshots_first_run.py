"""Screenshots of the welcome tour, the settings window, diagnostics and About, in light and dark,
for the README (docs/screenshots/). Real widgets rendered offscreen with widget.grab(); a throwaway
RIDDLEWIRE_HOME with a few stored riddles; the real catalog and this machine's real hardware check.
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
    from engine.progress import Progress
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
        welcome._download_progress(
            Progress("download", 312_000_000, 806_000_000, "312 MB of 806 MB · 9.8 MB/s · 50 s left")
        )
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
    window.close()
    window.context.close()
    print("\n".join(sorted(str(p.relative_to(ROOT)) for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()

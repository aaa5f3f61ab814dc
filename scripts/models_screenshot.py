"""The Models page screenshot for the README (docs/screenshots/models.png): real widgets rendered
offscreen with widget.grab(), in a throwaway data folder, after the bundled model has loaded in its
worker, so the page shows what actually ran (llama.cpp's own account) under the catalog.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/models_screenshot.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"


def settle(app, until=lambda: True, seconds: float = 0.4, limit: float = 120) -> None:  # noqa: ANN001
    deadline, end = time.monotonic() + limit, time.monotonic() + seconds
    while time.monotonic() < end or (not until() and time.monotonic() < deadline):
        app.processEvents()
        time.sleep(0.02)


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = tempfile.mkdtemp(prefix="riddlewire-models-shot-")  # the bundled model is assembled here
    os.environ["RIDDLEWIRE_HOME"] = home
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_window
    from desktop.ops import BackgroundOp
    from desktop.theme import apply_theme

    app = QApplication([])
    app.setApplicationName("Riddlewire")
    window = build_window(app)
    if window.context.feed_refresher is not None:
        window.context.feed_refresher.stop()
    apply_theme(app, "light")
    window.resize(1280, 820)
    window.show()
    # Load the active model the way the first riddle does: in the background, through the context.
    loading = BackgroundOp(lambda _c, _r: window.context.riddler().backend.load(), on_failure=print)
    loading.start()
    models = window.page("models")
    window.nav.setCurrentRow(window.stack.indexOf(models))
    settle(app, lambda: models.loaded and window.context.loaded_model() is not None)
    settle(app, lambda: "runs on" in models.running.text(), seconds=1.5)
    models.tabs.setCurrentIndex(1)  # the catalog: a fit verdict per file, and the arithmetic of one
    settle(app, lambda: models.available.rowCount() > 2)
    models.available_view.setCurrentIndex(models.available.index(2, 0))
    models.why.setChecked(True)
    settle(app, seconds=0.5)
    if "runs on" not in models.running.text():
        raise SystemExit(f"the page never showed what ran ({models.running.text()!r}); no screenshot taken")
    OUT.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT / "models.png"))
    print(models.running.text())
    QThreadPool.globalInstance().waitForDone(5000)
    window.context.close()
    shutil.rmtree(home, ignore_errors=True)
    print(f"saved {OUT / 'models.png'}")


if __name__ == "__main__":
    main()

"""GUI fixtures: a real main window (offscreen) over a real history database in RIDDLEWIRE_HOME."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from desktop.context import AppContext
from desktop.database import StoreProxy
from desktop.main_window import MainWindow
from desktop.riddle_list import history_pool
from engine.active_model import ModelChoice
from engine.inference.local import LocalSettings
from engine.paths import app_paths
from engine.riddles import Provenance, Riddle
from engine.samples import sample_articles
from engine.store import Store


def seed_history(count: int) -> list[int]:
    """Store `count` riddles for sample articles, the way the engine would."""
    store = Store(app_paths().ensure().database)
    articles = store.save_articles(sample_articles()[:count])
    ids = []
    for i, article in enumerate(articles):
        riddle = Riddle(
            f"Riddle number {i}: I wait in the sample news.", f"answer{i}", ("first hint", "second hint")
        )
        provenance = Provenance(
            "m.gguf",
            "",
            "tiny",
            "few-shot",
            json.dumps({}),
            1,
            1,
            1.0,
            0.1,
            1.0,
            datetime.now(UTC).isoformat(),
        )
        ids.append(store.save_riddle(article, riddle, provenance).id)
    store.close()
    return ids


@pytest.fixture
def make_window(qtbot):
    contexts: list[AppContext] = []

    def make(model: Path | None = None, n_ctx: int = 8192) -> MainWindow:
        paths = app_paths().ensure()
        override = ModelChoice(model, "", model.name, "tiny", "base") if model else None
        context = AppContext(
            paths=paths,
            store=StoreProxy(paths.database),
            local_settings=LocalSettings(n_ctx=n_ctx, idle_unload_s=None),
            model_override=override,
        )
        contexts.append(context)
        window = MainWindow(context)
        qtbot.addWidget(window)
        window.show()
        return window

    yield make
    # The reader's and history's quick ops run on history_pool (desktop/riddle_list.py), the rest on
    # the global pool. Both pools outlive a test: an op still running here (a generation under load)
    # would hold a thread into the next test, whose own ops then queue behind it. So when a wait
    # runs out, the contexts are closed first (their worker stops, so a generation ends) and the
    # pools waited for again.
    pools = (QThreadPool.globalInstance(), history_pool())
    drained = all([pool.waitForDone(10_000) for pool in pools])
    for context in contexts:
        context.close()
    if not drained:
        for pool in pools:
            pool.waitForDone(60_000)

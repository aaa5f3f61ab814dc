"""`riddlewire arena`: how the models rank from the plays of the reader's Arena (engine/arena.py)."""

from __future__ import annotations

import argparse

from engine.arena import ratings
from engine.paths import app_paths
from engine.settings import load_settings, with_data_folder
from engine.store import Store


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("arena", help="rank the models from the Arena's plays, with 95%% intervals")
    p.set_defaults(run=run)


def run(_args: argparse.Namespace) -> int:
    base = app_paths().ensure()
    paths = with_data_folder(base, load_settings(base.settings_file)).ensure()
    store = Store(paths.database)
    try:
        ranked = ratings(store)
    finally:
        store.close()
    if not ranked.plays:
        print("No arena plays yet: turn on Settings → Game → Arena and play the day's riddles.")
        return 0
    print(ranked.line())
    for place, model in enumerate(ranked.models, start=1):
        span = f"{model.low:.0f}–{model.high:.0f}"
        print(f"{place}. {model.model}: {model.rating:.0f} ({span}), {model.plays} plays")
    return 0

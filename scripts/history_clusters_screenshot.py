"""The History page showing one story told by three outlets (issue 19), for the README
(docs/screenshots/history-clusters.png): real widgets rendered offscreen with widget.grab(), over a
throwaway history whose clusters the engine's own matcher made.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/history_clusters_screenshot.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from reader_screenshot import settle  # noqa: E402 - the sibling script (scripts/ is this script's path)

OUT = ROOT / "docs" / "screenshots" / "history-clusters.png"

# (outlet, headline, summary): the first three are one story in three outlets' words.
STORIES = [
    (
        "Coastal Herald",
        "Magnitude 6.8 earthquake strikes off the coast of northern Peru",
        "A strong earthquake of magnitude 6.8 hit the Pacific seabed west of Trujillo on Tuesday, "
        "shaking buildings across the region. Authorities reported two deaths and damaged homes.",
    ),
    (
        "Andes Wire",
        "Two dead as powerful quake rattles the Trujillo region",
        "Two people were killed when a 6.8-magnitude tremor centred offshore shook northern Peru on "
        "Tuesday. Officials in Trujillo said dozens of houses were cracked.",
    ),
    (
        "World Desk",
        "Peru earthquake: homes damaged in Trujillo, two killed",
        "The 6.8 quake off northern Peru damaged homes in Trujillo and killed two people, authorities "
        "said; no tsunami warning was issued for the Pacific coast.",
    ),
    (
        "Market Report",
        "Central bank of Norland holds its interest rate at 4.5 percent",
        "Norland's central bank kept its main rate at 4.5 percent on Thursday, saying inflation is slowing.",
    ),
    (
        "Science Today",
        "Rover finds layered rock in an ancient Martian lake bed",
        "The rover photographed finely layered rock that scientists say was laid down in still water.",
    ),
]
RIDDLES = {
    0: ("The ground shook by the Pacific and Trujillo's houses cracked: what am I?", "earthquake"),
    3: ("I stayed at four and a half while prices slowed: what am I?", "interest rate"),
    4: ("Still water once lay where the rover now reads my layers: what am I?", "lake bed"),
}


def seed() -> None:
    from engine.articles import Article
    from engine.paths import app_paths
    from engine.riddles import Provenance, Riddle
    from engine.store import Store
    from engine.store import play as plays
    from engine.store.clusters import assign_new_articles, clusters

    store = Store(app_paths().ensure().database)
    now = datetime.now(UTC)
    saved = store.save_articles(
        [
            Article(title, f"https://{outlet.lower().replace(' ', '')}.example.org/{i}", outlet, now, text)
            for i, (outlet, title, text) in enumerate(STORIES)
        ]
    )
    assign_new_articles(store)
    assert [c.size for c in clusters(store)] == [3], "the three tellings should be one story"
    ids = {}
    for i, (text, answer) in sorted(RIDDLES.items(), reverse=True):
        provenance = Provenance(
            "gemma-3-270m-q4_k_m.gguf",
            "a5fd3b62230aa5ec",
            "tiny",
            "few-shot",
            json.dumps({"temperature": 0.7}),
            412,
            58,
            1.3,
            0.2,
            44.6,
            (now + timedelta(seconds=len(ids))).isoformat(timespec="milliseconds"),
        )
        riddle = Riddle(text, answer, ("a first hint", "a second hint"))
        ids[i] = store.save_riddle(saved[i], riddle, provenance).id
    plays.reveal(store, ids[0])  # headlines give the answer away: they show once a riddle is played
    store.close()


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["RIDDLEWIRE_HOME"] = tempfile.mkdtemp(prefix="riddlewire-clusters-shot-")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_window
    from desktop.riddle_list import history_pool
    from desktop.theme import apply_theme

    app = QApplication([])
    app.setApplicationName("Riddlewire")
    seed()
    window = build_window(app)
    if window.context.feed_refresher is not None:
        window.context.feed_refresher.stop()
    apply_theme(app, "light")
    window.resize(1180, 760)
    window.show()
    history = window.page("history")
    window.nav.setCurrentRow(window.stack.indexOf(history))
    settle(app, lambda: history.model.rowCount() == len(RIDDLES) and not history.model.loading)
    row = next(r for r in range(history.model.rowCount()) if history.model.line_at(r).status == "revealed")
    history.list.setCurrentIndex(history.model.index(row))
    settle(app, lambda: len(history.story.split_buttons) == 3, seconds=0.8)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT))
    QThreadPool.globalInstance().waitForDone(5000)
    history_pool().waitForDone(5000)
    window.context.close()
    print(f"saved {OUT}")


if __name__ == "__main__":
    main()

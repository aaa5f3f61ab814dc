"""The reader, Today, arena, Evaluate-arena and history screenshots for the README
(docs/screenshots/reader.png, reader-solved.png, reader-solved-dark.png, today.png, arena.png,
evaluate-arena.png, history.png): real widgets rendered offscreen with widget.grab(), over a throwaway
history of the bundled example riddles, one of their stories also carried by two other outlets (one
cluster), with a little of the day's game already played.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/reader_screenshot.py [output folder]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
# Two more outlets' telling of the honeybee example (written for these screenshots), so Today shows a
# story carried by three feeds: (headline, link, outlet, hours before now, summary).
OTHER_OUTLETS = (
    (
        "Ardel Valley beekeepers say hives have recovered thanks to wildflower strips",
        "https://harbourgazette.example.com/bees",
        "Harbour Gazette",
        13,
        "Healthy honeybee colonies have risen sharply in the Ardel Valley, beekeepers say, two years after "
        "farmers sowed strips of wildflowers around their fields.",
    ),
    (
        "Wildflower scheme brings the bees back to Ardel Valley farms",
        "https://coastlinetimes.example.net/2026/ardel-bees",
        "Coastline Times",
        11,
        "Two years after farmers in the Ardel Valley planted wildflower strips along field edges, beekeepers "
        "are counting far more healthy honeybee colonies.",
    ),
)


def seed() -> None:
    from engine.articles import Article
    from engine.paths import app_paths, resource
    from engine.riddles import Provenance, Riddle
    from engine.store import Store
    from engine.store import play as plays
    from engine.store.clusters import assign_new_articles, clusters

    examples = [
        json.loads(line) for line in resource("riddles", "examples.jsonl").read_text().splitlines() if line
    ]
    store = Store(app_paths().ensure().database)
    now = datetime.now(UTC)
    ids = []
    for i, ex in enumerate(reversed(examples)):
        slug = "-".join(ex["title"].lower().split()[:5])
        article = store.save_articles(
            [
                Article(
                    ex["title"],
                    f"https://news.example.org/{slug}",
                    "Riddlewire Sample News",
                    now - timedelta(hours=i),
                    ex["summary"],
                )
            ]
        )[0]
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
            (now + timedelta(seconds=i)).isoformat(timespec="milliseconds"),
        )
        riddle = Riddle(ex["riddle"], ex["answer"], tuple(ex["hints"]), ex["difficulty"])
        ids.append(store.save_riddle(article, riddle, provenance).id)
    store.save_articles(
        [
            Article(title, link, outlet, now - timedelta(hours=hours), summary)
            for title, link, outlet, hours, summary in OTHER_OUTLETS
        ]
    )
    assign_new_articles(store)  # as a refresh does
    sizes = [story.size for story in clusters(store)]
    assert sizes == [3], f"expected one story of three outlets, got clusters of {sizes}"
    newest = ids[::-1]
    plays.reveal(store, newest[3])
    plays.guess(store, newest[2], store.riddle(newest[2]).riddle.answer)
    plays.take_hint(store, newest[1])
    plays.guess(store, newest[1], store.riddle(newest[1]).riddle.answer)
    plays.set_favourite(store, newest[2], True)
    plays.rate(store, newest[2], 1, "")
    plays.take_hint(store, newest[0])
    store.close()


def seed_rival(plays_each: int = 5) -> None:
    """The same stories riddled by a tuned adapter too (the example riddles again, as a stand-in for
    its own), and a few arena plays of each model, so the arena has something to rank."""
    from dataclasses import replace

    from engine import arena
    from engine.paths import app_paths
    from engine.store import Store
    from engine.store import play as plays

    store = Store(app_paths().database)
    tuned = []
    for stored in reversed(store.riddles(limit=100)):
        provenance = replace(stored.provenance, adapter="riddlewire-tuned-lora.gguf")
        tuned.append(store.save_riddle(stored.article, stored.riddle, provenance).id)
    for _ in range(plays_each * 2):
        riddle_id = arena.arena_queue(store)[-1]  # from the oldest stories: the newest stay to play
        if arena.model_of(store, riddle_id).endswith("lora.gguf"):
            plays.guess(store, riddle_id, store.riddle(riddle_id).riddle.answer)
        else:
            plays.reveal(store, riddle_id)
        arena.record_play(store, riddle_id)
    store.close()


def settle(app, until=lambda: True, seconds: float = 0.4) -> None:  # noqa: ANN001
    deadline, end = time.monotonic() + 20, time.monotonic() + seconds
    while time.monotonic() < end or (not until() and time.monotonic() < deadline):
        app.processEvents()
        time.sleep(0.02)


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["RIDDLEWIRE_HOME"] = tempfile.mkdtemp(prefix="riddlewire-reader-shot-")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_window
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
    reader = window.page("reader")
    reader.load_history(then_riddle_if_empty=False)
    settle(app, lambda: reader.card.entry is not None and len(reader.card.choices) == 4)
    reader.card.guess_edit.setText("a ship")
    reader.card._guess_text()  # noqa: SLF001 - the same path as pressing Enter
    settle(app, lambda: bool(reader.card.verdict.text()))
    OUT.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT / "reader.png"))
    # The same riddle solved: the answer, thumbs, Next riddle and the streak's moment (its third solve).
    card = reader.card
    card.guess_edit.setText(card.entry.stored.riddle.answer)
    card._guess_text()  # noqa: SLF001 - the same path as pressing Enter
    settle(app, lambda: card.next_button.isVisible() and card.moment.isVisible())
    window.grab().save(str(OUT / "reader-solved.png"))
    apply_theme(app, "dark")
    settle(app)
    window.grab().save(str(OUT / "reader-solved-dark.png"))
    apply_theme(app, "light")
    today = window.page("today")
    window.show_page("today")
    settle(app, lambda: today.digest is not None and len(today.digest.stories) >= 3)
    window.grab().save(str(OUT / "today.png"))
    # The arena: a second model's riddles of the same stories, dealt unlabelled; named once played.
    seed_rival()
    window.show_page("reader")
    window.context.apply_settings(window.context.settings.with_value("game.arena", True))
    card = reader.card

    settle(app, lambda: reader.arena and reader.model.rowCount() > 0, seconds=1.0)
    row = next(r for r in range(reader.model.rowCount()) if reader.model.line_at(r).status == "new")
    reader.list.setCurrentIndex(reader.model.index(row))
    wanted = reader.model.line_at(row).id
    settle(app, lambda: card.entry is not None and card.entry.id == wanted and len(card.choices) == 4)
    card.guess_edit.setText(card.entry.stored.riddle.answer)
    card._guess_text()  # noqa: SLF001 - the same path as pressing Enter
    settle(app, lambda: card.maker.isVisible() and reader.status.text().startswith("Arena"))
    window.grab().save(str(OUT / "arena.png"))
    # The Evaluate page: the arena's ranking after these plays.
    evaluate = window.page("evaluate")
    window.show_page("evaluate")
    settle(app, lambda: "after" in evaluate.arena_ratings.text())
    window.grab().save(str(OUT / "evaluate-arena.png"))
    window.context.apply_settings(window.context.settings.with_value("game.arena", False))
    history = window.page("history")
    window.nav.setCurrentRow(window.stack.indexOf(history))
    settle(app, lambda: history.model.rowCount() > 0)
    history.list.setCurrentIndex(history.model.index(2))
    settle(app, lambda: bool(history.details.toPlainText()))
    window.grab().save(str(OUT / "history.png"))
    QThreadPool.globalInstance().waitForDone(5000)
    window.context.close()
    shots = (
        "reader.png, reader-solved.png, reader-solved-dark.png, today.png, arena.png, evaluate-arena.png "
        "and history.png"
    )
    print(f"saved {shots} in {OUT}")


if __name__ == "__main__":
    main()

"""Run by tests/desktop/test_reader_layout.py in its own process, on a real screen (Xvfb) or on an
offscreen one of a given size: the app's own start-up over a history of riddles whose links,
summaries, headlines and words are far longer than any window, then every riddle selected in turn.

Prints one JSON object: the screen's available geometry, the window's frame after start-up and after
each selection, and every button of the card that was not wholly visible after scrolling to it."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3  # 135 letters, no break
LONG_LINK = "https://news.example.org/" + "a-very-long-story-slug-" * 14 + "?utm_source=" + "x" * 120
LONG_SUMMARY = " ".join(["The council met again to discuss the long-running matter of the bridge."] * 30)


def seed() -> None:
    from engine.articles import Article
    from engine.paths import app_paths
    from engine.riddles import Provenance, Riddle
    from engine.store import Store
    from engine.store import play as plays

    store = Store(app_paths().ensure().database)
    now = datetime.now(UTC)
    stories = [
        ("A short headline", LONG_LINK, "Wire", LONG_SUMMARY, "I am plain and short.", "a bridge"),
        (
            f"Headline with {LONG_WORD} in it and then a great many more words to make it long, "
            "longer than any button could show on one line of a card",
            LONG_LINK + "&b=2",
            "The Extraordinarily Long-Named International Daily Chronicle of Everything" + "X" * 60,
            f"{LONG_WORD} {LONG_SUMMARY} {LONG_LINK}",
            f"I hide in {LONG_WORD}, a word no line can hold.",
            LONG_WORD[:60],
        ),
        ("Another headline " * 8, LONG_LINK + "&c=3", "Wire", LONG_SUMMARY, "I am " + "very " * 80, "time"),
        ("A fourth headline " + LONG_WORD, "https://news.example.org/4", "Wire", "Short.", "Guess me.", "me"),
        ("A fifth headline", LONG_LINK + "&e=5", "Wire", LONG_WORD * 3, "I am the fifth.", "five"),
    ]
    articles = store.save_articles(
        [
            Article(title, link, source, now - timedelta(minutes=i), summary)
            for i, (title, link, source, summary, _riddle, _answer) in enumerate(stories)
        ]
    )
    ids = []
    for article, (*_story, text, answer) in zip(articles, stories, strict=True):
        provenance = Provenance(
            "m.gguf",
            "",
            "tiny",
            "few-shot",
            "{}",
            1,
            1,
            1.0,
            0.1,
            1.0,
            now.isoformat(timespec="milliseconds"),
        )
        hints = (f"A hint with {LONG_WORD}.", "A second hint " * 12)
        ids.append(store.save_riddle(article, Riddle(text, answer, hints), provenance).id)
    plays.reveal(store, ids[0])  # the answer panel, with its link and summary, on these
    plays.guess(store, ids[1], LONG_WORD[:60])  # solved
    plays.take_hint(store, ids[2])
    plays.skip(store, ids[4])
    store.close()


def main() -> None:
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication, QPushButton

    from desktop.app import build_window
    from desktop.riddle_list import history_pool

    app = QApplication([])
    app.setApplicationName("Riddlewire")
    seed()
    window = build_window(app)
    if window.context.feed_refresher is not None:
        window.context.feed_refresher.stop()
    window.show()

    def settle(until=lambda: True, seconds: float = 0.3) -> None:  # noqa: ANN001
        end, deadline = time.monotonic() + seconds, time.monotonic() + 20
        while time.monotonic() < end or (not until() and time.monotonic() < deadline):
            app.processEvents()
            time.sleep(0.01)

    def frame() -> list[int]:
        geometry = window.frameGeometry()
        return [geometry.x(), geometry.y(), geometry.width(), geometry.height()]

    reader = window.page("reader")
    reader.load_history(then_riddle_if_empty=False)
    settle(lambda: reader.model.rowCount() == 5)
    frames = {"start": frame()}
    hidden: list[str] = []
    card = reader.card
    screen = window.screen().availableGeometry()

    def check_buttons(moment: str) -> None:
        for button in card.findChildren(QPushButton):
            if not button.isVisible():
                continue
            reader.card_scroll.ensureWidgetVisible(button, 0, 0)
            settle(seconds=0.05)
            seen = button.visibleRegion().boundingRect()
            corners = (button.rect().topLeft(), button.rect().bottomRight())
            in_window = all(window.rect().contains(button.mapTo(window, c)) for c in corners)
            on_screen = all(screen.contains(button.mapToGlobal(c)) for c in corners)
            if seen != button.rect() or not in_window or not on_screen:
                hidden.append(f"{moment}: {button.objectName()} showed {seen} of {button.rect()}")

    def select(row: int, moment: str) -> None:
        line = reader.model.line_at(row)
        reader.list.setCurrentIndex(reader.model.index(row))
        settle(lambda: card.entry is not None and card.entry.id == line.id and bool(card.choices))
        frames[moment] = frame()
        check_buttons(moment)

    for row in range(reader.model.rowCount()):
        select(row, f"riddle {row}")
    # The largest text size, on a riddle finished (Next riddle shown) and one still to play.
    reader.set_text_scale(2.0)
    for row in (1, 3):
        select(row, f"riddle {row} at twice the text size")
    reader.set_text_scale(1.0)
    # The Today page tells the same overlong stories; the window holds every page, so it must fit too.
    window.show_page("today")
    today = window.page("today")
    settle(lambda: today.digest is not None and len(today.digest.stories) == 2)
    frames["today"] = frame()
    print(
        json.dumps(
            {
                "platform": app.platformName(),
                "screen": [screen.x(), screen.y(), screen.width(), screen.height()],
                "frames": frames,
                "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
                "hidden": hidden,
            }
        ),
        flush=True,
    )
    QThreadPool.globalInstance().waitForDone(5000)
    history_pool().waitForDone(5000)
    window.context.close()
    os._exit(0)  # no teardown races with the database thread: the answer is printed


if __name__ == "__main__":
    main()

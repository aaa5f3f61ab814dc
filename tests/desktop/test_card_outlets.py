"""One story, once (issue 19): after a reveal, the reader's card lists every other outlet's headline and
link for the story (real widgets offscreen, a real history with its story clusters)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from engine.articles import Article
from engine.paths import app_paths
from engine.riddles import Riddle
from engine.store import Store
from engine.store.clusters import assign_new_articles, clusters
from tests.engine.test_clusters import QUAKE
from tests.engine.test_store import provenance


def seed_story() -> list[Article]:
    store = Store(app_paths().ensure().database)
    now = datetime.now(UTC)
    saved = store.save_articles(
        [
            Article(
                title,
                f"https://outlet{i}.example.org/quake",
                f"Outlet {i}",
                now - timedelta(hours=i),
                summary,
            )
            for i, (title, summary) in enumerate(QUAKE)
        ]
    )
    assign_new_articles(store)
    assert clusters(store)[0].size == 3
    store.save_riddle(
        saved[0], Riddle("I shake the coast of Peru.", "earthquake", ("ground", "Trujillo")), provenance()
    )
    store.close()
    return saved


def test_after_a_reveal_the_card_lists_the_other_outlets(make_window, qtbot):
    saved = seed_story()
    window = make_window()
    page = window.page("reader")
    page.load_history(then_riddle_if_empty=False)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    page.list.setCurrentIndex(page.model.index(0))
    qtbot.waitUntil(lambda: page.card.entry is not None, timeout=5000)
    card = page.card
    assert not card.answer_panel.isVisibleTo(card)  # nothing about the story before it is played
    qtbot.mouseClick(card.reveal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.outlets.isVisibleTo(card), timeout=5000)
    text = card.outlets_text()
    for other in saved[1:]:
        assert other.source in text and other.title in text and other.link in text
    assert saved[0].link not in text  # the riddle's own article is the card's main link already

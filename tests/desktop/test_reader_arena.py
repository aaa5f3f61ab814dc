"""The arena in the reader (offscreen, real history): with the Arena setting on, the day's riddles of
two models are dealt one per story and unlabelled; a riddle's model is named only once it is played,
each play is counted as evidence, and Next riddle deals the other model's turn."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from engine.arena import arena_plays
from engine.articles import Article
from engine.paths import app_paths
from engine.riddles import Riddle
from engine.store import Store
from tests.desktop.test_reader_game import history, type_guess
from tests.engine.test_arena import _provenance, seed_two_models


def _arena_reader(make_window, qtbot, arena: bool = True):
    window = make_window()
    context = window.context
    reader = window.page("reader")
    context.apply_settings(context.settings.with_value("game.arena", arena))  # the reader reloads
    if not arena:
        reader.load_history(then_riddle_if_empty=False)
    return reader


def _card_words(card) -> str:
    return " ".join(label.text() for label in card.findChildren(QLabel) if label.isVisibleTo(card))


def test_the_arena_deals_unlabelled_and_names_the_model_once_played(make_window, qtbot):
    store = Store(app_paths().ensure().database)
    seed_two_models(store, 6)
    store.close()
    reader = _arena_reader(make_window, qtbot)
    card = reader.card
    qtbot.waitUntil(lambda: reader.model.rowCount() == 6 and card.entry is not None, timeout=5000)
    assert reader.arena
    qtbot.waitUntil(lambda: len(card.choices) >= 2, timeout=5000)
    assert "gguf" not in _card_words(card) and not card.maker.isVisibleTo(card)
    first = card.entry.id
    type_guess(reader, qtbot, card.entry.stored.riddle.answer)
    qtbot.waitUntil(lambda: card.maker.isVisibleTo(card), timeout=5000)
    first_model = card.maker.text().removeprefix("Made by ")
    assert first_model.startswith("gemma-3-270m.gguf")
    qtbot.waitUntil(lambda: reader.status.text().startswith("Arena, after 1 play: "), timeout=5000)
    store = Store(app_paths().database)
    assert [p.riddle_id for p in arena_plays(store)] == [first]
    store.close()
    qtbot.mouseClick(card.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.entry.id != first and card.entry.stored.status == "new", timeout=5000)
    assert "gguf" not in _card_words(card)
    qtbot.mouseClick(card.reveal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.maker.isVisibleTo(card), timeout=5000)
    assert card.maker.text().removeprefix("Made by ") != first_model  # the other model's turn
    qtbot.waitUntil(lambda: reader.status.text().startswith("Arena, after 2 plays: "), timeout=5000)
    assert history(card.entry.id).stored.status == "revealed"
    # The arena off: every riddle again, and no model named.
    reader.context.apply_settings(reader.context.settings.with_value("game.arena", False))
    qtbot.waitUntil(lambda: not reader.arena and reader.model.rowCount() == 12, timeout=5000)


def test_one_model_is_no_arena_and_says_so(make_window, qtbot):
    store = Store(app_paths().ensure().database)
    from datetime import UTC, datetime

    articles = store.save_articles(
        [
            Article(f"Story {i}", f"https://news.example.org/{i}", "Wire", datetime.now(UTC), "x")
            for i in range(3)
        ]
    )
    for article in articles:
        store.save_riddle(article, Riddle("I am one.", "one", ("a", "b")), _provenance(""))
    store.close()
    reader = _arena_reader(make_window, qtbot)
    qtbot.waitUntil(lambda: reader.model.rowCount() == 3 and not reader.arena, timeout=5000)
    qtbot.waitUntil(lambda: reader.status.text().startswith("No arena today"), timeout=5000)
    qtbot.wait(300)  # the day's score comes in after the list: it must not talk over the sentence
    assert reader.status.text().startswith("No arena today")


def test_riddling_the_news_in_the_arena_riddles_it_with_a_rival_model_too(
    make_window, qtbot, scripted_gguf, tmp_path
):
    """The scripted model is active; a second real GGUF (a copy under another name) is installed."""
    import shutil

    from engine.arena import day_models
    from engine.model_registry import import_gguf

    rival = tmp_path / "rival-scripted.gguf"
    shutil.copyfile(scripted_gguf, rival)
    import_gguf(app_paths().ensure(), rival)
    window = make_window(model=scripted_gguf)
    reader = window.page("reader")
    reader.context.apply_settings(reader.context.settings.with_value("game.arena", True))
    reader.riddle_news()
    qtbot.waitUntil(lambda: reader.riddle_button.isEnabled(), timeout=120_000)
    store = Store(app_paths().database)
    try:
        assert day_models(store) == sorted(["rival-scripted.gguf", "scripted.gguf"])
        made = dict(
            store.db.execute("SELECT model_file, group_concat(article_id) FROM riddles GROUP BY model_file")
        )
        total = store.count_riddles()
    finally:
        store.close()
    active, rival_made = set(made["scripted.gguf"].split(",")), set(made["rival-scripted.gguf"].split(","))
    assert (
        len(active) >= 15 and rival_made <= active and len(rival_made) >= len(active) - 2
    )  # the same stories
    assert reader.status.text().startswith(f"{total} new riddles.")
    # The list is dealt again by itself: one riddle per story, not both models' riddles of each.
    qtbot.waitUntil(lambda: reader.arena and reader.model.rowCount() == len(active), timeout=5000)
    qtbot.wait(300)
    assert reader.model.rowCount() == len(active) and reader.status.text().startswith(f"{total} new riddles.")

"""The daily game in the reader, played through real widgets (offscreen) over a real history file:
free-text and multiple-choice guesses, hints, reveal, skip, rating, favourites, score and streak,
the keyboard, text size and accessible names."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from desktop.database import StoreProxy
from desktop.icons import icon, status_icon
from desktop.riddle_list import RiddleRole
from engine.articles import Article
from engine.paths import app_paths
from engine.riddles import Provenance, Riddle
from engine.store import Store
from engine.store.history import entry, rated_riddles

GAME = [
    ("I stand in Paris, made of iron lattice.", "the Eiffel Tower"),
    ("I circle the Earth and pull the tides.", "the Moon"),
    ("I am a city of canals and gondolas.", "Venice"),
    ("I am the red planet.", "Mars"),
    ("I carry letters across the land.", "the postal service"),
]


def seed_game(riddles: list[tuple[str, str]] = GAME) -> list[int]:  # noqa: B006
    """Riddles with real answers, each with its own article (a distinct headline), oldest first."""
    store = Store(app_paths().ensure().database)
    now = datetime.now(UTC)
    articles = store.save_articles(
        [
            Article(
                f"Headline {i}: {answer} in the news",
                f"https://news.example.org/{i}",
                "Example Wire",
                now - timedelta(minutes=i),
                f"Summary {i} about {answer}.",
            )
            for i, (_text, answer) in enumerate(riddles)
        ]
    )
    ids = []
    for article, (text, answer) in zip(articles, riddles, strict=True):
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
            datetime.now(UTC).isoformat(timespec="milliseconds"),
        )
        ids.append(
            store.save_riddle(
                article, Riddle(text, answer, ("A first clue.", "A second clue.")), provenance
            ).id
        )
    store.close()
    return ids


def history(riddle_id: int):
    store = Store(app_paths().database)
    try:
        return entry(store, riddle_id)
    finally:
        store.close()


@pytest.fixture
def reader(make_window, qtbot):
    """The reader over the seeded game, the newest riddle (the last of GAME) in the card."""
    seed_game()
    window = make_window()
    window.activateWindow()
    page = window.page("reader")
    page.load_history(then_riddle_if_empty=False)
    qtbot.waitUntil(lambda: page.model.rowCount() == len(GAME) and page.card.entry is not None, timeout=5000)
    qtbot.waitUntil(lambda: len(page.card.choices) == 4, timeout=5000)
    return page


def select(reader, qtbot, answer: str) -> int:
    row = next(
        r
        for r in range(reader.model.rowCount())
        if history(reader.model.line_at(r).id).stored.riddle.answer == answer
    )
    reader.list.setCurrentIndex(reader.model.index(row))
    riddle_id = reader.model.line_at(row).id
    qtbot.waitUntil(lambda: reader.card.entry is not None and reader.card.entry.id == riddle_id, timeout=5000)
    return riddle_id


def type_guess(reader, qtbot, text: str) -> None:
    reader.card.guess_edit.setText(text)
    qtbot.keyClick(reader.card.guess_edit, Qt.Key.Key_Return)


def test_a_tolerant_free_text_guess_solves_and_scores(reader, qtbot):
    riddle_id = select(reader, qtbot, "the Eiffel Tower")
    type_guess(reader, qtbot, "eifel TOWER")  # no article, a typo, another case
    qtbot.waitUntil(lambda: history(riddle_id).stored.status == "solved", timeout=5000)
    qtbot.waitUntil(lambda: "Right" in reader.card.verdict.text(), timeout=5000)
    assert reader.card.verdict.property("role") == "good"
    assert history(riddle_id).play.points == 3 and history(riddle_id).play.mode == "text"
    qtbot.waitUntil(lambda: reader.card.answer_panel.isVisibleTo(reader.card), timeout=5000)
    assert "Eiffel Tower" in reader.card.answer.text()
    assert not reader.card.guess_edit.isEnabled()
    qtbot.waitUntil(lambda: "3 points" in reader.score_label.text(), timeout=5000)
    assert "streak 1" in reader.score_label.text()
    row = reader.model.index(reader.list.currentIndex().row())
    assert reader.model.data(row, RiddleRole).status == "solved"
    assert (
        reader.model.data(row, Qt.ItemDataRole.DecorationRole).cacheKey()
        == status_icon("solved", False).cacheKey()
    )


def test_wrong_and_close_guesses_are_told_apart_and_counted(reader, qtbot):
    riddle_id = select(reader, qtbot, "the Eiffel Tower")
    type_guess(reader, qtbot, "a bridge")
    qtbot.waitUntil(lambda: "Not" in reader.card.verdict.text(), timeout=5000)
    assert reader.card.verdict.property("role") == "bad"
    type_guess(reader, qtbot, "eiffel")
    qtbot.waitUntil(lambda: "Close" in reader.card.verdict.text(), timeout=5000)
    stored = history(riddle_id)
    assert stored.stored.status == "new" and stored.play.wrong_guesses == 2
    assert reader.card.guess_edit.isEnabled() and not reader.card.answer_panel.isVisibleTo(reader.card)


def test_multiple_choice_wrong_headline_is_struck_then_the_right_one_solves(reader, qtbot):
    riddle_id = select(reader, qtbot, "Venice")
    card = reader.card
    right = history(riddle_id).stored.article.title
    assert card.choices_panel.isVisibleTo(card) and right in card.choices and len(set(card.choices)) == 4
    wrong_index = next(i for i, c in enumerate(card.choices) if c != right)
    qtbot.mouseClick(card.choice_buttons[wrong_index], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not card.choice_buttons[wrong_index].isEnabled(), timeout=5000)
    assert history(riddle_id).stored.status == "new"
    qtbot.mouseClick(card.choice_buttons[card.choices.index(right)], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: history(riddle_id).stored.status == "solved", timeout=5000)
    assert history(riddle_id).play.mode == "choice" and history(riddle_id).play.points == 1
    qtbot.waitUntil(lambda: not card.choices_panel.isVisibleTo(card), timeout=5000)


def test_hints_come_one_at_a_time_and_cost_points(reader, qtbot):
    riddle_id = select(reader, qtbot, "Mars")
    card = reader.card
    qtbot.mouseClick(card.hint_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "A first clue." in card.hints.text(), timeout=5000)
    assert "A second clue." not in card.hints.text()
    qtbot.mouseClick(card.hint_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "A second clue." in card.hints.text(), timeout=5000)
    assert not card.hint_button.isEnabled()
    assert history(riddle_id).play.hints_used == 2
    type_guess(reader, qtbot, "mars")
    qtbot.waitUntil(lambda: history(riddle_id).stored.status == "solved", timeout=5000)
    assert history(riddle_id).play.points == 1  # 3 for free text, less a point per hint


def test_a_reveal_ends_the_streak_and_is_kept(reader, qtbot):
    for answer in ("Mars", "Venice"):
        select(reader, qtbot, answer)
        type_guess(reader, qtbot, answer)
        qtbot.waitUntil(lambda: "Right" in reader.card.verdict.text(), timeout=5000)
    qtbot.waitUntil(lambda: "streak 2" in reader.score_label.text(), timeout=5000)
    riddle_id = select(reader, qtbot, "the Moon")
    qtbot.mouseClick(reader.card.reveal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "streak 0 (best 2)" in reader.score_label.text(), timeout=5000)
    assert "6 points" in reader.score_label.text() and "2 solved" in reader.score_label.text()
    assert history(riddle_id).stored.status == "revealed"
    assert "Summary" in reader.card.summary.text() and reader.card.link.text().startswith('<a href="https://')
    # A revealed riddle can no longer be solved.
    assert not reader.card.guess_edit.isEnabled() and not reader.card.reveal_button.isEnabled()


def test_thumbs_comment_and_favourite_are_kept_for_the_dataset(reader, qtbot):
    riddle_id = select(reader, qtbot, "the postal service")
    card = reader.card
    qtbot.mouseClick(card.favourite_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: history(riddle_id).stored.favourite, timeout=5000)
    filled = icon("star-filled", "accent").cacheKey()
    qtbot.waitUntil(lambda: card.favourite_button.icon().cacheKey() == filled, timeout=5000)
    assert card.favourite_button.isChecked()
    starred = reader.model.data(reader.list.currentIndex(), Qt.ItemDataRole.DecorationRole)
    assert starred.cacheKey() == status_icon("new", True).cacheKey()
    qtbot.mouseClick(card.reveal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.answer_panel.isVisibleTo(card), timeout=5000)
    qtbot.mouseClick(card.thumbs_down, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: history(riddle_id).stored.rating == -1, timeout=5000)
    card.comment.setText("The   answer was too vague.")
    qtbot.keyClick(card.comment, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: history(riddle_id).play.comment == "The answer was too vague.", timeout=5000)
    store = Store(app_paths().database)
    rated = rated_riddles(store)
    store.close()
    assert [(r.id, r.stored.rating, r.play.comment) for r in rated] == [
        (riddle_id, -1, "The answer was too vague.")
    ]
    # Pressing the same thumb again takes the rating back.
    qtbot.waitUntil(lambda: card.thumbs_down.isChecked(), timeout=5000)
    qtbot.mouseClick(card.thumbs_down, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: history(riddle_id).stored.rating == 0, timeout=5000)


def test_the_game_is_keyboard_first(reader, qtbot):
    card = reader.card
    reader.list.setFocus()
    first = card.entry.id
    qtbot.keyClick(reader.list, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: card.entry.id != first, timeout=5000)
    second = card.entry.id
    qtbot.keyClick(reader.list, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: card.entry.id == first, timeout=5000)
    qtbot.keyClick(reader.list, Qt.Key.Key_H)
    qtbot.waitUntil(lambda: "A first clue." in card.hints.text(), timeout=5000)
    qtbot.keyClick(reader.list, Qt.Key.Key_G)
    assert card.guess_edit.hasFocus()
    answer = card.entry.stored.riddle.answer
    qtbot.keyClicks(card.guess_edit, "hh")  # letters typed in the guess box are text, not shortcuts
    assert card.guess_edit.text() == "hh" and "A second clue." not in card.hints.text()
    card.guess_edit.clear()
    qtbot.keyClicks(card.guess_edit, answer)
    qtbot.keyClick(card.guess_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: history(first).stored.status == "solved", timeout=5000)
    qtbot.keyClick(card.guess_edit, Qt.Key.Key_Escape)
    assert reader.list.hasFocus()
    qtbot.keyClick(reader.list, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: card.entry.id == second, timeout=5000)
    qtbot.keyClick(reader.list, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: history(second).stored.status == "revealed", timeout=5000)
    qtbot.waitUntil(lambda: card.answer_panel.isVisibleTo(card), timeout=5000)
    qtbot.keyClick(reader.list, Qt.Key.Key_U)
    qtbot.waitUntil(lambda: history(second).stored.rating == 1, timeout=5000)
    qtbot.keyClick(reader.list, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: history(second).stored.favourite, timeout=5000)
    # S skips a new riddle and moves on; 1-4 pick a headline.
    qtbot.keyClick(reader.list, Qt.Key.Key_N)
    third = reader.model.line_at(2).id
    qtbot.waitUntil(lambda: card.entry.id == third and len(card.choices) == 4, timeout=5000)
    qtbot.keyClick(reader.list, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: history(third).stored.status == "skipped", timeout=5000)
    qtbot.waitUntil(
        lambda: card.entry.id == reader.model.line_at(3).id and len(card.choices) == 4, timeout=5000
    )
    fourth = card.entry.id
    right = card.choices.index(card.entry.stored.article.title) + 1
    qtbot.keyClick(reader.list, getattr(Qt.Key, f"Key_{right}"))
    qtbot.waitUntil(lambda: history(fourth).stored.status == "solved", timeout=5000)


def test_text_size_and_accessible_names(reader, qtbot):
    card = reader.card
    before = card.riddle_text.font().pointSizeF()
    qtbot.keyClick(reader.list, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert card.riddle_text.font().pointSizeF() > before and reader.text_scale > 1.0
    qtbot.keyClick(reader.list, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert card.riddle_text.font().pointSizeF() == pytest.approx(before)
    reader.set_text_scale(9.0)
    assert reader.text_scale == 2.0  # clamped
    interactive = [
        card.hint_button,
        card.reveal_button,
        card.skip_button,
        card.favourite_button,
        card.guess_edit,
        card.guess_button,
        card.thumbs_up,
        card.thumbs_down,
        card.comment,
        *card.choice_buttons,
        reader.list,
        reader.riddle_button,
        reader.score_label,
        card.riddle_text,
    ]
    assert all(w.accessibleName() for w in interactive), [
        w.objectName() for w in interactive if not w.accessibleName()
    ]
    assert all(w.objectName() for w in interactive)


def test_the_reader_never_touches_the_database_on_the_ui_thread(reader, qtbot, monkeypatch):
    ui_calls: list[str] = []
    original_run, original_call = StoreProxy.run, StoreProxy.call

    def run(self, function, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            ui_calls.append(function.__name__)
        return original_run(self, function, *args, **kwargs)

    def call(self, method, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            ui_calls.append(method)
        return original_call(self, method, *args, **kwargs)

    monkeypatch.setattr(StoreProxy, "run", run)
    monkeypatch.setattr(StoreProxy, "call", call)
    riddle_id = select(reader, qtbot, "the Moon")
    qtbot.mouseClick(reader.card.hint_button, Qt.MouseButton.LeftButton)
    type_guess(reader, qtbot, "moon")
    qtbot.waitUntil(lambda: history(riddle_id).stored.status == "solved", timeout=5000)
    reader.load_history(then_riddle_if_empty=False)
    qtbot.waitUntil(lambda: reader.model.rowCount() == len(GAME), timeout=5000)
    assert ui_calls == []


# -- the game loop (issue 21, part 6) ------------------------------------------------------------


def solve(reader, qtbot, answer: str) -> int:
    riddle_id = select(reader, qtbot, answer)
    type_guess(reader, qtbot, answer)
    qtbot.waitUntil(lambda: history(riddle_id).stored.status == "solved", timeout=5000)
    qtbot.waitUntil(lambda: reader.card.entry.stored.status == "solved", timeout=5000)
    return riddle_id


def test_after_a_solve_next_riddle_leads_on_and_the_rest_is_disabled(reader, qtbot):
    card = reader.card
    assert card.hint_button.text() == "Hint (−1)"
    assert not card.next_button.isVisibleTo(card)
    solved = solve(reader, qtbot, "Venice")
    assert card.next_button.isVisibleTo(card) and card.next_button.property("role") == "primary"
    assert not any(b.isEnabled() for b in (card.hint_button, card.reveal_button, card.skip_button))
    qtbot.mouseClick(card.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.entry.id != solved, timeout=5000)
    assert card.entry.stored.status == "new" and not card.next_button.isVisibleTo(card)
    assert card.hint_button.isEnabled() and card.reveal_button.isEnabled()
    # A reveal leads on too, and Next skips riddles already played.
    select(reader, qtbot, "Mars")
    qtbot.mouseClick(card.reveal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.next_button.isVisibleTo(card), timeout=5000)
    qtbot.mouseClick(card.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.entry.stored.status == "new", timeout=5000)
    assert card.entry.stored.riddle.answer not in ("Venice", "Mars")


def test_disabled_buttons_look_disabled_beyond_their_text(reader, qtbot):
    """Two text-less buttons on the card, one disabled: they must not render alike."""
    from PySide6.QtWidgets import QPushButton

    enabled, disabled = QPushButton(reader.card), QPushButton(reader.card)
    for button in (enabled, disabled):
        button.resize(80, 30)
        button.show()
    disabled.setEnabled(False)
    assert enabled.grab().toImage() != disabled.grab().toImage()


def test_the_card_counts_guesses(reader, qtbot):
    riddle_id = select(reader, qtbot, "the Moon")
    card = reader.card
    assert card.guess_count.text() == "No guesses yet"
    type_guess(reader, qtbot, "a star")
    qtbot.waitUntil(lambda: card.guess_count.text() == "Guessed 1 time", timeout=5000)
    type_guess(reader, qtbot, "a comet")
    qtbot.waitUntil(lambda: card.guess_count.text() == "Guessed 2 times", timeout=5000)
    type_guess(reader, qtbot, "moon")
    qtbot.waitUntil(lambda: history(riddle_id).stored.status == "solved", timeout=5000)
    qtbot.waitUntil(lambda: card.guess_count.text() == "Guessed 3 times", timeout=5000)


def test_a_growing_streak_has_its_moment(reader, qtbot):
    card = reader.card
    solve(reader, qtbot, "Mars")
    qtbot.waitUntil(lambda: "streak 1" in reader.score_label.text(), timeout=5000)
    assert not card.moment.isVisibleTo(card)  # one solve is not a streak yet
    solve(reader, qtbot, "Venice")
    qtbot.waitUntil(lambda: card.moment.isVisibleTo(card), timeout=5000)
    assert "Streak of 2" in card.moment.text() and card.moment.property("role") == "good"
    select(reader, qtbot, "the Moon")
    assert not card.moment.isVisibleTo(card)  # it belongs to the riddle that made it


def test_reveal_asks_before_it_ends_a_streak_of_three(reader, qtbot):
    for answer in ("Mars", "Venice", "the Eiffel Tower"):
        solve(reader, qtbot, answer)
    qtbot.waitUntil(lambda: "streak 3" in reader.score_label.text(), timeout=5000)
    riddle_id = select(reader, qtbot, "the Moon")
    qtbot.mouseClick(reader.card.reveal_button, Qt.MouseButton.LeftButton)
    box = reader.confirm_reveal
    assert box is not None and box.isVisible() and "streak of 3" in box.text()
    keep = next(b for b in box.buttons() if b.text() == "Keep guessing")
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reader.confirm_reveal is None, timeout=5000)
    assert history(riddle_id).stored.status == "new" and "streak 3" in reader.score_label.text()
    reader.window().activateWindow()
    qtbot.waitUntil(lambda: reader.window().isActiveWindow(), timeout=5000)
    reader.list.setFocus()
    qtbot.keyClick(reader.list, Qt.Key.Key_R)  # the key asks too (a shortcut clicks after a moment)
    qtbot.waitUntil(lambda: reader.confirm_reveal is not None, timeout=5000)
    box = reader.confirm_reveal
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Reveal"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: history(riddle_id).stored.status == "revealed", timeout=5000)
    qtbot.waitUntil(lambda: "streak 0 (best 3)" in reader.score_label.text(), timeout=5000)


def test_counts_read_as_english(reader, qtbot):
    riddle_id = select(reader, qtbot, "Venice")
    card = reader.card
    right = history(riddle_id).stored.article.title
    qtbot.mouseClick(card.choice_buttons[card.choices.index(right)], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Today: 1 point ·" in reader.score_label.text(), timeout=5000)
    assert "solved, 1 point ·" in card.meta.text()
    assert reader.status.text() == "5 riddles in your history."


def test_the_text_size_setting_scales_the_card(reader, qtbot):
    from PySide6.QtWidgets import QApplication

    from desktop.theme import apply_theme

    card, app = reader.card, QApplication.instance()
    riddle, list_size = card.riddle_text.font().pointSizeF(), reader.list.font().pointSizeF()
    try:
        apply_theme(app, "light", 150)
        assert card.riddle_text.font().pointSizeF() == pytest.approx(riddle * 1.5, rel=0.02)
        assert card.guess_edit.font().pointSizeF() == pytest.approx(card.base_point_size, rel=0.02)
        assert reader.list.font().pointSizeF() == pytest.approx(list_size * 1.5, rel=0.02)
    finally:
        apply_theme(app, "light", 100)
    assert card.riddle_text.font().pointSizeF() == pytest.approx(riddle, rel=0.02)

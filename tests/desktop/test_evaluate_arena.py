"""The arena's ratings on the Evaluate page (issue 19): read from a real history of arena plays, off the
UI thread, each time the page is shown; and a sentence saying how to start when there are no plays."""

from __future__ import annotations

import re

from engine.arena import ratings
from engine.paths import app_paths
from engine.store import Store
from tests.engine.test_arena import BASE, TUNED, seed_two_models, simulate

RATED = r"{model} \d{{3,4}} ± \d+"


def play_arena(plays_wanted: int, rates: dict[str, float]) -> str:
    """Scripted players through the real arena queue and record_play; the engine's own line after."""
    store = Store(app_paths().ensure().database)
    try:
        seed_two_models(store, plays_wanted + 10)
        simulate(store, rates, plays_wanted)
        return ratings(store).line()
    finally:
        store.close()


def shown_evaluate(make_window):  # noqa: ANN001, ANN201 - the fixture's factory; the page
    window = make_window()
    window.show_page("evaluate")
    return window, window.page("evaluate")


def test_the_page_shows_both_models_rated_with_intervals_after_their_plays(make_window, qtbot):
    line = play_arena(40, {TUNED: 0.9, BASE: 0.3})
    _window, page = shown_evaluate(make_window)
    qtbot.waitUntil(lambda: "after 40 plays" in page.arena_ratings.text(), timeout=10_000)
    text = page.arena_ratings.text()
    assert line in text  # the engine's ranking, as it stands after the 40th play
    tuned = re.search(RATED.format(model=re.escape(TUNED)), text)
    base = re.search(RATED.format(model=re.escape(BASE)), text)  # the base file's name, then its rating
    assert tuned and base, text
    assert tuned.start() < base.start()  # the model players did better with first
    assert "leads: the intervals do not overlap" in text
    assert "95% intervals" in text


def test_no_plays_says_how_to_start_and_the_line_follows_plays_made_since(make_window, qtbot):
    window, page = shown_evaluate(make_window)
    qtbot.waitUntil(lambda: "no plays yet" in page.arena_ratings.text(), timeout=10_000)
    assert "Settings → Game → Arena" in page.arena_ratings.text()
    assert "±" not in page.arena_ratings.text()

    play_arena(6, {TUNED: 0.5, BASE: 0.5})  # played meanwhile (another connection, as the reader's)
    window.show_page("reader")
    window.show_page("evaluate")  # shown again: read afresh
    qtbot.waitUntil(lambda: "after 6 plays" in page.arena_ratings.text(), timeout=10_000)
    text = page.arena_ratings.text()
    assert TUNED in text and BASE in text and text.count("±") == 2
    assert "No clear winner yet" in text  # six plays cannot separate two models

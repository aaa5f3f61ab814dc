"""The Today page in the real window (offscreen) over a real history: the stories played today with
their one line and outlets, kept current as the game goes on, and exported as Markdown."""

from __future__ import annotations

from engine.paths import app_paths
from engine.store import Store
from engine.store import play as plays
from engine.store.clusters import assign_new_articles
from engine.today import digest, to_markdown
from tests.desktop.test_reader_game import history, seed_game, select, type_guess
from tests.engine.test_clusters import QUAKE, articles, riddle_for


def _today(window, qtbot, stories: int):
    window.show_page("today")
    page = window.page("today")
    qtbot.waitUntil(lambda: page.digest is not None and len(page.digest.stories) == stories, timeout=5000)
    return page


def test_today_lists_the_stories_played_and_follows_the_game(make_window, qtbot):
    ids = seed_game()  # oldest first: the Eiffel Tower, the Moon, Venice, Mars, the postal service
    store = Store(app_paths().database)
    plays.guess(store, ids[0], "eiffel tower")
    plays.reveal(store, ids[1])
    store.close()
    window = make_window()
    page = _today(window, qtbot, 2)
    assert page.totals.text() == "2 riddles played today · 1 solved · 3 points"
    cards = [page.stories_layout.itemAt(i).widget() for i in range(2)]
    assert [c.headline.text() for c in cards] == [
        "Headline 0: the Eiffel Tower in the news",
        "Headline 1: the Moon in the news",
    ]
    assert cards[0].summary.text() == "Summary 0 about the Eiffel Tower."
    assert cards[0].answer.text() == "Answer: the Eiffel Tower (solved, 3 points)"
    assert cards[1].answer.text() == "Answer: the Moon (revealed)"
    assert (
        'href="https://news.example.org/0"' in cards[0].outlets.text()
        and "Example Wire" in cards[0].outlets.text()
    )
    # A riddle solved in the reader shows up when Today is shown again.
    window.show_page("reader")
    reader = window.page("reader")
    reader.load_history(then_riddle_if_empty=False)
    qtbot.waitUntil(lambda: reader.model.rowCount() == 5 and reader.card.entry is not None, timeout=5000)
    riddle_id = select(reader, qtbot, "Mars")
    type_guess(reader, qtbot, "mars")
    qtbot.waitUntil(lambda: history(riddle_id).stored.status == "solved", timeout=5000)
    page = _today(window, qtbot, 3)
    assert page.totals.text() == "3 riddles played today · 2 solved · 6 points"


def test_today_exports_markdown_and_says_where(make_window, qtbot, tmp_path):
    ids = seed_game()
    store = Store(app_paths().database)
    plays.guess(store, ids[2], "venice")
    store.close()
    window = make_window()
    page = _today(window, qtbot, 1)
    assert page.export_button.isEnabled()
    target = tmp_path / "today.md"
    page.export_to(target)
    qtbot.waitUntil(lambda: "saved to" in page.status.text(), timeout=5000)
    store = Store(app_paths().database)
    expected = to_markdown(digest(store))
    store.close()
    assert target.read_text(encoding="utf-8") == expected
    assert "## Headline 2: Venice in the news" in expected
    page.export_to(tmp_path / "missing" / "today.md")
    qtbot.waitUntil(lambda: "Could not write the digest" in page.status.text(), timeout=5000)
    assert page.export_button.isEnabled()


def test_an_empty_day_says_how_to_fill_it(make_window, qtbot):
    seed_game()
    window = make_window()
    page = _today(window, qtbot, 0)
    assert "No stories yet today" in page.totals.text()
    assert not page.export_button.isEnabled()
    assert window.nav.item(list(window.pages).index("today")).text() == "Today"
    assert page.title.text().startswith("Today, ")


def test_a_story_from_three_feeds_is_carried_by_its_three_outlets(make_window, qtbot):
    store = Store(app_paths().ensure().database)
    saved = store.save_articles(articles(*QUAKE))
    assign_new_articles(store)  # as a refresh does: one story, three outlets
    plays.reveal(store, riddle_for(store, saved[2]))
    store.close()
    page = _today(make_window(), qtbot, 1)
    outlets = page.stories_layout.itemAt(0).widget().outlets.text()
    assert outlets.startswith("Carried by: ") and outlets.count(" · ") == 2
    for article in saved:
        assert f'<a href="{article.link}">{article.source}</a>' in outlets

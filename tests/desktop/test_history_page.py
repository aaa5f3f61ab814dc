"""The history page over a real history file: search, browse, paging, export, backup and restore; and
the tray's "N new riddles"."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

from desktop.tray import install_tray
from engine.articles import Article
from engine.paths import app_paths
from engine.riddles import Provenance, Riddle
from engine.store import Store
from engine.store import play as plays
from tests.desktop.test_reader_game import GAME, seed_game


def open_history(make_window, qtbot):
    window = make_window()
    page = window.page("history")
    window.nav.setCurrentRow(window.stack.indexOf(page))  # first show loads it
    qtbot.waitUntil(lambda: page.model.rowCount() > 0 and not page.model.loading, timeout=5000)
    return window, page


def search_for(page, qtbot, text: str) -> list[str]:
    page.search.setText(text)
    qtbot.waitUntil(lambda: page.current_filter().query == text and not page.model.loading, timeout=5000)
    qtbot.wait(250)  # the search waits for a pause in typing
    qtbot.waitUntil(lambda: not page.model.loading, timeout=5000)
    return [page.model.line_at(r).text for r in range(page.model.rowCount())]


def test_search_finds_words_in_riddle_answer_headline_and_summary(make_window, qtbot):
    seed_game()
    _window, page = open_history(make_window, qtbot)
    assert page.model.rowCount() == len(GAME)
    assert search_for(page, qtbot, "gondolas") == ["I am a city of canals and gondolas."]  # riddle text
    assert search_for(page, qtbot, "postal") == ["I carry letters across the land."]  # answer and headline
    assert search_for(page, qtbot, "Summary 3") == ["I am the red planet."]  # the summary, two words
    assert search_for(page, qtbot, "eiff") == ["I stand in Paris, made of iron lattice."]  # a prefix
    assert search_for(page, qtbot, 'moon" OR *') == []  # FTS syntax in user input is just words
    qtbot.waitUntil(lambda: page.count_label.text() == "0 riddles", timeout=5000)
    assert len(search_for(page, qtbot, "")) == len(GAME)


def test_browse_by_source_day_model_and_favourites(make_window, qtbot):
    ids = seed_game()
    store = Store(app_paths().database)
    other = store.save_articles(
        [
            Article(
                "Another wire's story",
                "https://other.example.org/1",
                "Other Wire",
                datetime.now(UTC),
                "Elsewhere.",
            )
        ]
    )[0]
    provenance = Provenance(
        "big.gguf", "", "small", "few-shot", "{}", 1, 1, 1.0, 0.1, 1.0, datetime.now(UTC).isoformat()
    )
    store.save_riddle(other, Riddle("I come from elsewhere.", "elsewhere", ("a", "b")), provenance)
    plays.set_favourite(store, ids[0], True)
    store.close()
    _window, page = open_history(make_window, qtbot)
    qtbot.waitUntil(lambda: page.source.count() == 3 and page.model.rowCount() == 6, timeout=5000)
    page.source.setCurrentIndex(page.source.findData("Other Wire"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and not page.model.loading, timeout=5000)
    page.source.setCurrentIndex(0)
    page.model_file.setCurrentIndex(page.model_file.findData("m.gguf"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 5 and not page.model.loading, timeout=5000)
    page.favourites.setChecked(True)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.model.line_at(0).id == ids[0], timeout=5000)
    page.favourites.setChecked(False)
    page.model_file.setCurrentIndex(0)
    assert page.day.count() == 2  # every day, and today
    page.day.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.model.rowCount() == 6 and not page.model.loading, timeout=5000)
    # Selecting a riddle shows its provenance, and no answer before it is played.
    page.list.setCurrentIndex(page.model.index(0))
    qtbot.waitUntil(lambda: "big.gguf" in page.details.toPlainText(), timeout=5000)
    assert (
        "hidden until" in page.details.toPlainText()
        and "elsewhere" not in page.details.toPlainText().split("Answer")[1].split("Headline")[0]
    )


def seed_many(count: int) -> None:
    store = Store(app_paths().ensure().database)
    now = datetime.now(UTC)
    articles = store.save_articles(
        [
            Article(
                f"Story {i}", f"https://news.example.org/many/{i}", "Wire", now - timedelta(seconds=i), ""
            )
            for i in range(count)
        ]
    )
    provenance = Provenance("m.gguf", "", "tiny", "few-shot", "{}", 1, 1, 1.0, 0.1, 1.0, now.isoformat())
    for i, article in enumerate(articles):
        store.save_riddle(article, Riddle(f"Riddle {i}", f"answer {i}", ("a", "b")), provenance)
    store.close()


def test_the_list_pages_in_as_it_scrolls(make_window, qtbot):
    seed_many(450)
    _window, page = open_history(make_window, qtbot)
    qtbot.waitUntil(lambda: page.model.rowCount() == 200 and not page.model.loading, timeout=5000)
    assert page.model.canFetchMore()
    for expected in (400, 450):
        page.list.scrollToBottom()
        page.list.verticalScrollBar().setValue(page.list.verticalScrollBar().maximum())
        qtbot.waitUntil(
            lambda n=expected: page.model.rowCount() == n and not page.model.loading, timeout=5000
        )
    assert not page.model.canFetchMore()
    ids = [page.model.line_at(r).id for r in range(450)]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 450


def test_export_csv_and_json_round_trip(make_window, qtbot, tmp_path):
    ids = seed_game()
    store = Store(app_paths().database)
    plays.guess(store, ids[1], "the moon")
    plays.rate(store, ids[1], 1, "lovely")
    store.close()
    _window, page = open_history(make_window, qtbot)
    page.export_to(tmp_path / "h.csv", "csv")
    qtbot.waitUntil(lambda: "exported" in page.status.text(), timeout=5000)
    page.export_to(tmp_path / "h.json", "json")
    qtbot.waitUntil(lambda: (tmp_path / "h.json").exists(), timeout=5000)
    with (tmp_path / "h.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    records = json.loads((tmp_path / "h.json").read_text(encoding="utf-8"))
    assert len(rows) == len(records) == len(GAME)
    moon = next(r for r in records if r["id"] == ids[1])
    assert moon["answer"] == "the Moon" and moon["status"] == "solved" and moon["rating"] == 1
    assert moon["comment"] == "lovely" and moon["points"] == 3 and moon["model_file"] == "m.gguf"
    assert moon["headline"].startswith("Headline 1") and moon["summary"].startswith("Summary 1")
    assert {r["riddle"] for r in rows} == {text for text, _answer in GAME}
    assert not list(tmp_path.glob("*.partial"))
    # Exports follow the filter on screen.
    search_for(page, qtbot, "gondolas")
    page.export_to(tmp_path / "venice.json", "json")
    qtbot.waitUntil(lambda: (tmp_path / "venice.json").exists(), timeout=5000)
    assert [r["answer"] for r in json.loads((tmp_path / "venice.json").read_text())] == ["Venice"]


def test_backup_and_restore_round_trip_keeping_a_safety_copy(make_window, qtbot, tmp_path):
    ids = seed_game()
    window, page = open_history(make_window, qtbot)
    reader = window.page("reader")
    page.backup_to(tmp_path / "backup.sqlite3")
    qtbot.waitUntil(lambda: "backed up" in page.status.text(), timeout=5000)
    # Play after the backup, then restore: the play is undone, and kept in the safety copy.
    store = Store(app_paths().database)
    plays.reveal(store, ids[0])
    store.close()
    page.restore_from(tmp_path / "backup.sqlite3")
    qtbot.waitUntil(lambda: "Restored 5 riddles" in page.status.text(), timeout=5000)
    store = Store(app_paths().database)
    assert (
        store.riddle(ids[0]).status == "new" and store.count_riddles() == len(GAME) and store.integrity_ok()
    )
    store.close()
    safety = list((app_paths().data / "backups").glob("before-restore-*.sqlite3"))
    assert len(safety) == 1
    kept = Store(safety[0])
    assert kept.riddle(ids[0]).status == "revealed"
    kept.close()
    qtbot.waitUntil(lambda: reader.model.rowCount() == len(GAME), timeout=5000)  # the reader reloaded


def test_a_file_that_is_not_a_history_is_refused_with_a_sentence(make_window, qtbot, tmp_path):
    seed_game()
    _window, page = open_history(make_window, qtbot)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 200)
    page.restore_from(junk)
    qtbot.waitUntil(lambda: "not a Riddlewire history" in page.status.text(), timeout=5000)
    assert page.restore_button.isEnabled()
    store = Store(app_paths().database)
    assert store.count_riddles() == len(GAME)
    store.close()


def test_the_tray_announces_new_riddles(make_window, qtbot):
    window = make_window()
    tray = install_tray(window)
    window.page("reader").riddles_made.emit(3)
    assert tray.last_message == "3 new riddles"
    if not tray.available:  # offscreen has no tray: the status bar carries the news
        assert window.statusBar().currentMessage() == "3 new riddles"
    tray.announce(1)
    assert tray.last_message == "1 new riddle"
    window.nav.setCurrentRow(window.stack.indexOf(window.page("history")))
    tray.show_reader()
    assert window.stack.currentWidget() is window.page("reader")


def test_an_unplayed_riddle_keeps_its_headline_link_and_summary_hidden(make_window, qtbot):
    ids = seed_game()
    store = Store(app_paths().database)
    plays.guess(store, ids[1], "the moon")  # the Moon is solved; Venice is not played yet
    store.close()
    _window, page = open_history(make_window, qtbot)

    def details_of(riddle_id: int) -> str:
        row = next(r for r in range(page.model.rowCount()) if page.model.line_at(r).id == riddle_id)
        page.list.setCurrentIndex(page.model.index(row))
        qtbot.waitUntil(lambda: "m.gguf" in page.details.toPlainText(), timeout=5000)
        text = page.details.toPlainText()
        page.details.clear()
        return text

    unplayed = details_of(ids[2])
    assert "Venice" not in unplayed and "Headline 2" not in unplayed and "Summary 2" not in unplayed
    assert "news.example.org/2" not in unplayed and unplayed.count("hidden until you solve") >= 3
    solved = details_of(ids[1])
    assert "Headline 1: the Moon" in solved and "Summary 1" in solved and "news.example.org/1" in solved

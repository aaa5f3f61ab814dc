"""The app as launched is the app tested. The window is started through desktop.app.start_app, the
start-up `riddlewire` itself runs (desktop.launcher -> run_app -> start_app, then Qt's event loop,
which pytest-qt provides here), with no context injected: the data folder holds what a user's would
after `riddlewire models import FILE --use` (the scripted test model, a real GGUF that real
llama.cpp runs) and a finished welcome tour, and the news comes from a real feed server on
127.0.0.1. Each page's main action is then driven through its widgets, and what a user would see is
checked.

This is the test that the Evaluate page's AttributeError (its engine settings were only ever set by
the test fixtures) would have failed. It runs offscreen; where Xvfb is installed, a second test runs
it again in a real X server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QPushButton

from desktop.app import start_app, stop_app
from desktop.launcher import main as riddlewire
from engine.logs import LOG_NAME, recent_errors
from engine.paths import app_paths
from engine.settings import load_settings, save_settings
from tests.conftest import ROOT
from tests.support.feed_server import FeedServer

# Distinct stories, each with its own summary: articles that read alike are one story to the app
# (engine/clusters.py), and it riddles a story once.
MORNING = [
    (
        "City council approves a new tram line through the old town",
        "Trams will run from the station to the cathedral by next spring, the council decided.",
    ),
    (
        "Record heat closes schools across the southern provinces",
        "Temperatures above forty degrees kept pupils at home for a third day.",
    ),
    (
        "Chess prodigy, aged eleven, wins the national championship",
        "The youngest champion ever beat three grandmasters in the final round.",
    ),
    (
        "Volcano on the northern island erupts after a century of quiet",
        "Ash clouds grounded flights as lava reached the abandoned observatory.",
    ),
]
STORIES = [
    (
        "Harbour lighthouse keepers return after fifty years of automation",
        "Two keepers moved back into the tower to guide the growing ferry traffic.",
    ),
    (
        "Harbour museum opens a gallery of salvaged ship figureheads",
        "Carved oak mermaids and admirals rescued from wrecks went on show on Saturday.",
    ),
    (
        "Harbour fishermen report the largest tuna catch in decades",
        "Warmer currents drove shoals north, and the auction hall ran out of ice.",
    ),
]


def feed(title: str, stories: list[tuple[str, str]]) -> bytes:
    """An RSS 2.0 feed of the stories (headline, summary), each with its own link and hour."""
    slug = title.split()[0].lower()
    items = "".join(
        f"<item><title>{headline}</title><link>https://{slug}.example.org/{i}</link>"
        f"<guid>https://{slug}.example.org/{i}</guid><pubDate>Tue, 24 Nov 2026 0{i}:00:00 GMT</pubDate>"
        f"<description>{summary}</description></item>"
        for i, (headline, summary) in enumerate(stories)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://{slug}.example.org/</link>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def feed_server():
    with FeedServer() as server:
        yield server


@pytest.fixture
def users_data_folder(riddlewire_home: Path, scripted_gguf: Path, feed_server: FeedServer) -> Path:
    """A data folder as a user's would be: their model imported with the CLI and made active, one
    feed subscribed and read with the CLI, the welcome tour done. Every other setting is the default.
    (With no news at all the first launch riddles the twenty bundled sample articles: the same path,
    at five times the cost.)"""
    paths = app_paths().ensure()
    morning = feed_server.add("/morning.xml", body=feed("Morning Wire", MORNING))
    assert riddlewire(["feeds", "add", morning]) == 0
    assert riddlewire(["feeds", "refresh"]) == 0
    model = paths.models / "scripted-riddler.gguf"
    shutil.copyfile(scripted_gguf, model)
    assert riddlewire(["models", "import", str(model), "--use", "--no-smoke"]) == 0
    settings = load_settings(paths.settings_file).with_value("state.welcome_done", True)
    # The scripted model's vocabulary is a few dozen words: the few-shot prompt is spelled out byte
    # by byte (about 3,700 tokens). The app says so ("raise the context length in Settings"), and
    # this is that setting, as a user would raise it.
    settings = settings.with_value("inference.context_length", 8192)
    save_settings(settings, paths.settings_file)
    return riddlewire_home


@pytest.fixture
def app(users_data_folder, qtbot):
    window = start_app([])
    yield window
    stop_app(window)


def until(qtbot, condition, timeout_ms: int, *shown) -> None:  # noqa: ANN001
    """qtbot.waitUntil, saying what the window showed when it timed out."""
    try:
        # bool(): waitUntil takes a callback that returns None as an assertion that passed
        qtbot.waitUntil(lambda: bool(condition()), timeout=timeout_ms)
    except Exception as timed_out:
        seen = [show() for show in shown]
        raise AssertionError(f"timed out after {timeout_ms} ms; the window showed {seen}") from timed_out


def _button(window, name: str) -> QPushButton:
    found = window.findChild(QPushButton, name)
    assert found is not None, f"no button {name!r}"
    return found


def _in_dialog(kind: type, act) -> dict:  # noqa: ANN001 - act(dialog, seen) while the dialog's own loop runs
    """Run `act` on the modal dialog a menu action opens (exec() blocks until it closes); it always
    closes, so a failure cannot hang the test. What `act` saw comes back for the asserts."""
    seen: dict = {}

    def drive() -> None:
        dialog = next(
            (w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None
        )
        if dialog is None:
            QTimer.singleShot(50, drive)
            return
        try:
            act(dialog, seen)
        except BaseException as problem:  # noqa: BLE001 - handed to the test below
            seen["problem"] = problem
        finally:
            if dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, drive)
    return seen


def test_every_page_does_its_main_job_in_the_app_as_launched(app, qtbot, feed_server, tmp_path, monkeypatch):
    window = app
    reader = window.page("reader")

    # Riddles: the news read before the first launch is riddled by itself, by the button's own op.
    until(qtbot, lambda: reader.op is not None and reader.op.done, 60_000, reader.status.text)
    assert re.match(r"\d+ new riddles?\.", reader.status.text()), reader.status.text()
    made = reader.model.rowCount()
    assert made >= len(MORNING) - 1, reader.status.text()  # the model may fail one story in its tries
    reader.list.setCurrentIndex(reader.model.index(0))  # the newest riddle, as a click would pick it
    until(qtbot, lambda: reader.card.entry is not None, 10_000, reader.card.riddle_text.text)
    assert reader.card.riddle_text.text() == reader.card.entry.stored.riddle.text != ""
    # The button riddles what is left: nothing, or the article that failed, tried again.
    qtbot.mouseClick(reader.riddle_button, Qt.MouseButton.LeftButton)
    until(qtbot, lambda: reader.op.done and reader.riddle_button.isEnabled(), 60_000, reader.status.text)
    assert re.match(r"(\d+ new riddles?\.|No new articles to riddle)", reader.status.text())
    made = reader.model.rowCount()

    # Play two riddles as a person would, one who knows the answer: in the plural, then a thumbs up.
    guess_edit = window.findChild(QLineEdit, "guessEdit")
    for row in range(min(2, reader.model.rowCount())):
        reader.list.setCurrentIndex(reader.model.index(row))
        riddle_id = reader.model.line_at(row).id
        qtbot.waitUntil(lambda rid=riddle_id: reader.card.entry and reader.card.entry.id == rid, timeout=5000)
        answer = reader.card.entry.stored.riddle.answer
        guess_edit.setText(answer + "s" if answer.isalpha() else answer)  # a plural is still right
        qtbot.mouseClick(_button(window, "guessButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: reader.card.entry.stored.status == "solved", timeout=10_000)
    qtbot.mouseClick(_button(window, "thumbsUp"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "rating is kept" in reader.status.text(), timeout=5000)

    # Train: the data it shows counts the riddles just played (it was read at start-up, before them).
    tune = window.page("tune")
    window.show_page("tune")
    assert reader.status.text() == "", "the reader's 'Thanks' is not left behind"
    counted = re.compile(r"[1-9]\d* from your liked or solved riddles")
    until(qtbot, lambda: counted.search(tune.summary.text()), 30_000, tune.summary.text, tune.status.text)
    examples = [tune.examples.item(i).text() for i in range(tune.examples.count())]
    assert any(e.startswith("[history]") for e in examples), (
        tune.summary.text(),
        examples[:3],
        examples[-3:],
    )

    # Feeds: add one by its address, then refresh it; its news becomes riddles by itself.
    feeds = window.page("feeds")
    window.show_page("feeds")
    address = feed_server.add("/wire.xml", body=feed("Harbour Wire", STORIES))
    feeds.address.setText(address)
    qtbot.mouseClick(feeds.add_button, Qt.MouseButton.LeftButton)
    until(qtbot, lambda: feeds.table.rowCount() == 2, 10_000, feeds.status.text)
    until(qtbot, lambda: "new articles" in feeds.status.text(), 20_000, feeds.status.text)
    assert feeds.status.text().startswith("1 feed checked, 3 new articles"), feeds.status.text()
    until(
        qtbot,
        lambda: reader.model.rowCount() > made and reader.op.done,
        60_000,
        reader.status.text,
        lambda: (made, reader.model.rowCount(), reader.op.done, window.banner.text.text()),
    )
    qtbot.mouseClick(feeds.refresh_button, Qt.MouseButton.LeftButton)  # both feeds: nothing new
    until(qtbot, lambda: "feeds checked" in feeds.status.text(), 20_000, feeds.status.text)
    assert feeds.status.text().startswith("2 feeds checked, 0 new articles"), feeds.status.text()
    assert sorted(feeds.table.item(r, 0).text() for r in range(2)) == ["Harbour Wire", "Morning Wire"]
    harbour = window.context.store.run(
        lambda store: store.db.execute(
            "SELECT count(*) FROM riddles r JOIN articles a ON a.id = r.article_id "
            "WHERE a.title LIKE 'Harbour%'"
        ).fetchone()[0]
    )
    assert harbour >= len(STORIES) - 1

    # Evaluate: four articles, the installed model, through the button.
    evaluate = window.page("evaluate")
    window.show_page("evaluate")
    evaluate.articles.setValue(4)
    qtbot.mouseClick(evaluate.run_button, Qt.MouseButton.LeftButton)
    until(
        qtbot,
        lambda: "Evaluation finished" in evaluate.status.text() or window.banner.isVisible(),
        90_000,
        evaluate.status.text,
    )
    assert not window.banner.isVisible(), window.banner.text.text()
    until(qtbot, lambda: evaluate.table.rowCount() == 1, 10_000, evaluate.status.text)
    assert evaluate.table.item(0, 0).text().startswith("scripted-riddler")
    assert "4 articles" in evaluate.provenance.text()

    # History: search, then export what the search shows. The save dialog is the platform's own; it
    # is answered with a file name here, the way a person would type one.
    history = window.page("history")
    window.show_page("history")
    until(
        qtbot, lambda: history.model.rowCount() == reader.model.rowCount(), 10_000, history.count_label.text
    )
    history.search.setText("Harbour")
    shown = f"{harbour} riddle" + ("" if harbour == 1 else "s")
    until(qtbot, lambda: history.count_label.text() == shown, 10_000, history.count_label.text)
    exported = tmp_path / "harbour.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(exported), "JSON (*.json)"))
    qtbot.mouseClick(history.export_json_button, Qt.MouseButton.LeftButton)
    until(qtbot, lambda: f"{shown} exported" in history.status.text(), 10_000, history.status.text)
    records = json.loads(exported.read_text(encoding="utf-8"))
    assert len(records) == harbour and {r["headline"] for r in records} <= {title for title, _ in STORIES}

    # Settings: a bigger text size and the dark theme, saved, applied, and on disk.
    from desktop.settings_dialog import SettingsDialog

    base_size = QApplication.font().pointSizeF()

    def change_settings(dialog: SettingsDialog, seen: dict) -> None:
        dialog.rows["appearance.text_size"].set_value(125, emit=True)
        dialog.rows["appearance.theme"].set_value("dark", emit=True)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        seen["saved"] = True

    seen = _in_dialog(SettingsDialog, change_settings)
    window.settings_action.trigger()
    assert seen.get("saved") and "problem" not in seen, seen
    on_disk = load_settings(app_paths().settings_file)
    assert on_disk["appearance.text_size"] == 125 and on_disk["appearance.theme"] == "dark"
    assert QApplication.instance().property("riddlewireTheme") == "dark"
    assert QApplication.font().pointSizeF() == pytest.approx(base_size * 1.25, abs=0.11)

    # Diagnostics: the report is gathered and copied for a bug report.
    from desktop.diagnostics_dialog import DiagnosticsDialog

    def copy_report(dialog: DiagnosticsDialog, seen: dict) -> None:
        qtbot.waitUntil(dialog.copy_button.isEnabled, timeout=30_000)
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
        seen["copied"] = dialog.copied.text()
        seen["errors"] = dialog.facts["errors"].text()

    seen = _in_dialog(DiagnosticsDialog, copy_report)
    window.diagnostics_action.trigger()
    assert "problem" not in seen, seen
    assert seen["copied"].startswith("Copied") and seen["errors"] == "None"
    report = QGuiApplication.clipboard().text()
    assert "scripted-riddler" in report and "integrity ok" in report

    # Nothing went wrong on the way that nobody was told about.
    log = (app_paths().logs / LOG_NAME).read_text(encoding="utf-8")
    assert "unexpected" not in log and not window.banner.isVisible()


@pytest.mark.timeout(300)
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="Xvfb is not installed (apt-get install xvfb)")
def test_the_same_walk_in_a_real_x_server():
    """The walk above again, in a real X server (xcb), where a window manager-less X11 display can be
    had: the offscreen platform skips some of what a real one does (focus, clipboard, fonts)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    test = f"{Path(__file__).relative_to(ROOT)}::test_every_page_does_its_main_job_in_the_app_as_launched"
    done = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1366x768x24",
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:logging",  # the worker's llama.cpp log would bury the failure
            "--tb=short",
            test,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    said = [line for line in done.stdout.splitlines() if line.startswith(("E ", "FAILED", "ERROR"))]
    assert done.returncode == 0, "\n".join(said[-40:]) or (done.stdout + done.stderr)[-4000:]


@pytest.mark.qt_no_exception_capture  # the app's own hook is under test, not pytest-qt's
def test_an_unexpected_error_reaches_the_log_the_window_and_diagnostics(app, qtbot):
    window = app
    # A slot that fails the way the Evaluate page's did, on a button in the running app.
    button = QPushButton("Evaluate", window)

    def broken_slot() -> None:
        settings = None
        settings.n_ctx  # noqa: B018 - AttributeError: 'NoneType' object has no attribute 'n_ctx'

    button.clicked.connect(broken_slot)
    before = len(recent_errors(app_paths().logs))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    # The window says so in a sentence...
    assert window.banner.isVisible()
    sentence = window.banner.text.text()
    assert sentence.startswith("Something went wrong inside Riddlewire (AttributeError in broken_slot")
    assert "Diagnostics" in sentence
    # ...the log has it with its traceback...
    log = (app_paths().logs / LOG_NAME).read_text(encoding="utf-8")
    assert "ERROR riddlewire.unexpected: unexpected AttributeError" in log and "n_ctx" in log
    assert "Traceback (most recent call last)" in log and "broken_slot" in log
    # ...and so do Diagnostics' recent errors, and the report a user copies.
    from desktop.diagnostics_dialog import DiagnosticsDialog

    def read(dialog: DiagnosticsDialog, seen: dict) -> None:
        qtbot.waitUntil(dialog.copy_button.isEnabled, timeout=30_000)
        seen["errors"] = dialog.facts["errors"].text()
        seen["report"] = dialog.report.toPlainText()

    seen = _in_dialog(DiagnosticsDialog, read)
    window.diagnostics_action.trigger()
    assert "problem" not in seen, seen
    assert seen["errors"].startswith(f"{before + 1} in the log")
    assert "unexpected AttributeError" in seen["report"]

    # An error on a plain thread reaches the window too (through the UI thread, never directly).
    window.banner.hide()
    worker = threading.Thread(target=lambda: {}["missing"], name="a-plain-thread")
    worker.start()
    worker.join()
    until(qtbot, window.banner.isVisible, 5000, window.banner.text.text)
    assert "KeyError" in window.banner.text.text()
    assert "unexpected KeyError" in (app_paths().logs / LOG_NAME).read_text(encoding="utf-8")

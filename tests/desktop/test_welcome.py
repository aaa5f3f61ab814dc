"""The welcome tour, end to end: a real window over a real history, a real download from a fake Hub
on 127.0.0.1, the real model registry, and real llama.cpp riddling with the downloaded (scripted)
model afterwards. Only the machine is fixed (a `Machine` value), so the recommendation is the same
on every computer that runs the tests."""

from __future__ import annotations

import hashlib
import json

import pytest
from PySide6.QtCore import Qt, QThreadPool

from desktop.context import AppContext
from engine.catalog import load_catalog
from engine.hardware import Machine
from engine.model_registry import load as load_registry
from engine.paths import app_paths, resource
from engine.samples import sample_articles
from engine.settings import load_settings
from engine.store import Store
from engine.store.feeds import list_feeds
from tests.desktop.conftest import seed_history
from tests.support.fake_hub import FakeHub

SMALL_ID = "gemma-3-1b-instruct"
MACHINE = Machine(
    ram_total=16 * 10**9,
    ram_available=12 * 10**9,
    disk_free=500 * 10**9,
    cpu_count=4,
    cpu_features=("avx2",),
    gpu=None,
    gpu_offload=False,
)


@pytest.fixture
def hub():
    server = FakeHub().start()
    yield server
    server.stop()


@pytest.fixture
def small_catalog(tmp_path, scripted_gguf, hub):
    """The shipped catalog, with the Small model's file replaced by the scripted GGUF (published on
    the fake Hub). It is listed as a base model, so it riddles few-shot like the scripted model expects."""
    raw = json.loads(resource("models", "catalog.json").read_text())
    content = scripted_gguf.read_bytes()
    for item in raw["models"]:
        if item["id"] == SMALL_ID:
            filename = "gemma-3-1b-it-Q4_K_M.gguf"
            item["variant"] = "base"
            item["files"] = [
                {
                    "quant": "Q4_K_M",
                    "filename": filename,
                    "size_bytes": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
            ]
            hub.add(item["repo_id"], filename, content)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(raw))
    return load_catalog(path)


def _use_hub(context: AppContext, hub: FakeHub) -> None:
    context.apply_settings(context.settings.with_value("privacy.hub_endpoint", hub.url))


def test_pick_small_download_in_background_switch_and_riddle_with_it(
    make_window, qtbot, hub, small_catalog, scripted_gguf
):
    seed_history(3)  # riddles to play at once (the first-launch riddling itself is tested in test_reader)
    window = make_window(model=scripted_gguf)
    context = window.context
    _use_hub(context, hub)
    reader = window.page("reader")
    reader.load_history(then_riddle_if_empty=False)
    window.open_welcome(catalog=small_catalog, machine=MACHINE)
    welcome = window.welcome
    qtbot.waitUntil(lambda: reader.model.rowCount() == 3, timeout=5000)
    assert welcome.isVisible() and not welcome.isModal()
    assert welcome.step_label.text() == "Step 1 of 3"

    # Step 2: the sizes, in words, with Small recommended for this machine.
    qtbot.mouseClick(welcome.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(welcome.cards) == 4, timeout=10_000)
    assert [c.offer.tier for c in welcome.cards] == ["tiny", "small", "medium", "large"]
    small = welcome.card("small")
    assert small.offer.recommended and small.radio.isChecked()
    card_text = " ".join(label.text() for label in small.findChildren(type(welcome.step_label)))
    assert "Recommended for this computer" in card_text and "MB to download" in card_text
    assert "Fits (CPU)" in card_text and "per riddle" in card_text and "sensible riddles" in card_text
    assert "already on this computer" in " ".join(
        label.text() for label in welcome.card("tiny").findChildren(type(welcome.step_label))
    )
    assert welcome.next_button.text() == "Download and continue"

    # Download in the background: the tour moves on and the reader stays playable meanwhile.
    hub.state.throttle_bps = 1_000_000
    qtbot.mouseClick(welcome.next_button, Qt.MouseButton.LeftButton)
    assert welcome.steps.currentIndex() == 2 and not welcome.download_op.done
    qtbot.waitUntil(lambda: welcome.progress.value() > 0, timeout=10_000)
    assert welcome.progress.isVisible() and "MB" in welcome.progress_text.text()
    qtbot.mouseClick(reader.card.reveal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reader.card.answer_panel.isVisibleTo(reader.card), timeout=5000)
    assert not welcome.download_op.done, "the reveal happened while the download was still running"

    with qtbot.waitSignal(welcome.switched, timeout=60_000) as switched:
        pass
    assert "Gemma 3 1B Instruct" in switched.args[0]
    assert window.banner.isVisible() and "now uses Gemma 3 1B Instruct" in window.banner.text.text()
    target = context.paths.models / "gemma-3-1b-it-Q4_K_M.gguf"
    assert target.read_bytes() == scripted_gguf.read_bytes()
    assert load_registry(context.paths).active.key == f"{SMALL_ID}:Q4_K_M"
    assert context.model_override.path == target

    # Step 3: keep two suggested feeds, finish.
    for box, _sub in welcome.feed_boxes[2:]:
        box.setChecked(False)
    chosen = [sub.url for sub in welcome.chosen_feeds()]
    qtbot.mouseClick(welcome.next_button, Qt.MouseButton.LeftButton)
    assert not welcome.isVisible()
    store = Store(app_paths().database)
    # Opening this Store while the window's database thread still migrated the new file raised
    # "database is locked" (fixed in Store._prepare). What is checked here is what lands, not how fast.
    qtbot.waitUntil(lambda: len(list_feeds(store)) == 2, timeout=30_000)
    assert sorted(f.url for f in list_feeds(store)) == sorted(chosen)
    assert load_settings(app_paths().settings_file)["state.welcome_done"] is True

    # New riddles come from the picked model.
    store.save_articles(sample_articles()[3:4])
    store.close()
    reader.riddle_news()
    qtbot.waitUntil(lambda: reader.model.rowCount() == 4 and reader.riddle_button.isEnabled(), timeout=60_000)
    newest = Store(app_paths().database).riddles(limit=10)
    assert {r.provenance.model_file for r in newest} >= {"gemma-3-1b-it-Q4_K_M.gguf"}


def test_skip_closes_the_tour_remembers_it_and_the_menu_brings_it_back(make_window, qtbot, small_catalog):
    window = make_window()
    window.open_welcome(catalog=small_catalog, machine=MACHINE)
    welcome = window.welcome
    qtbot.mouseClick(welcome.skip_button, Qt.MouseButton.LeftButton)
    assert not welcome.isVisible()
    assert load_settings(app_paths().settings_file)["state.welcome_done"] is True
    assert welcome.download_op is None
    assert load_registry(window.context.paths).active.source == "bundled"
    window.welcome_action.trigger()
    assert welcome.isVisible()


def test_downloads_turned_off_in_privacy_settings_block_the_download(make_window, qtbot, small_catalog):
    window = make_window()
    context = window.context
    context.apply_settings(context.settings.with_value("privacy.network", "news-only"))
    window.open_welcome(catalog=small_catalog, machine=MACHINE)
    welcome = window.welcome
    welcome.go(1)
    qtbot.waitUntil(lambda: len(welcome.cards) == 4, timeout=10_000)
    assert welcome.card("small").radio.isChecked()
    assert not welcome.next_button.isEnabled()
    assert "turned off" in welcome.progress_text.text()
    welcome.card("tiny").radio.setChecked(True)
    assert welcome.next_button.isEnabled() and welcome.next_button.text() == "Continue"


def test_a_failed_download_says_why_and_keeps_the_current_model(make_window, qtbot, hub, small_catalog):
    window = make_window()
    _use_hub(window.context, hub)
    hub.state.status = 404
    window.open_welcome(catalog=small_catalog, machine=MACHINE)
    welcome = window.welcome
    welcome.go(1)
    qtbot.waitUntil(lambda: len(welcome.cards) == 4, timeout=10_000)
    welcome.next_step()
    qtbot.waitUntil(lambda: welcome.download_op.done, timeout=20_000)
    assert "keep playing with the model you have" in welcome.progress_text.text()
    assert window.context.model_override is None
    assert load_registry(window.context.paths).active.source == "bundled"


def test_opml_import_adds_choices_and_a_bad_file_gets_a_sentence(make_window, qtbot, tmp_path, small_catalog):
    window = make_window()
    window.open_welcome(catalog=small_catalog, machine=MACHINE)
    welcome = window.welcome
    before = len(welcome.feed_boxes)
    good = tmp_path / "mine.opml"
    good.write_text(
        '<opml version="2.0"><body><outline text="Local"><outline type="rss" text="Town news" '
        'xmlUrl="https://town.example.org/rss"/></outline></body></opml>'
    )
    welcome.import_opml_file(str(good))
    assert len(welcome.feed_boxes) == before + 1
    assert welcome.feed_boxes[-1][1].url == "https://town.example.org/rss"
    bad = tmp_path / "bad.opml"
    bad.write_text("<html>not a list</html>")
    welcome.import_opml_file(str(bad))
    assert "not OPML" in welcome.progress_text.text()
    assert len(welcome.feed_boxes) == before + 1


def test_the_tour_again_starts_over_and_never_resubscribes_a_removed_feed(make_window, qtbot, small_catalog):
    """Issue 21: Help → Welcome tour reopened at its last step, and its Done re-subscribed a feed the
    user had removed since."""
    from engine.store.feeds import remove_feed

    window = make_window()
    window.open_welcome(catalog=small_catalog, machine=MACHINE)
    welcome = window.welcome
    for box, _sub in welcome.feed_boxes[2:]:
        box.setChecked(False)
    kept = [sub.url for sub in welcome.chosen_feeds()]
    welcome.go(2)
    qtbot.mouseClick(welcome.next_button, Qt.MouseButton.LeftButton)  # Done
    store = Store(app_paths().database)
    # Opening this Store while the window's database thread still migrated the new file raised
    # "database is locked" (fixed in Store._prepare). What is checked here is what lands, not how fast.
    qtbot.waitUntil(lambda: len(list_feeds(store)) == 2, timeout=30_000)
    removed = next(f for f in list_feeds(store) if f.url == kept[0])
    remove_feed(store, removed.id)  # as the Feeds page does

    window.welcome_action.trigger()
    assert welcome.isVisible() and welcome.steps.currentIndex() == 0
    assert welcome.step_label.text() == "Step 1 of 3"
    box = next(box for box, sub in welcome.feed_boxes if sub.url == removed.url)
    qtbot.waitUntil(lambda: not box.isChecked(), timeout=5000)
    assert [sub.url for sub in welcome.chosen_feeds()] == kept[1:]
    welcome.go(2)
    qtbot.mouseClick(welcome.next_button, Qt.MouseButton.LeftButton)  # Done again
    assert QThreadPool.globalInstance().waitForDone(30_000)  # whatever Done started has finished
    qtbot.wait(100)  # and its result reached the UI thread
    assert [f.url for f in list_feeds(store)] == kept[1:]
    store.close()


def test_the_first_step_keeps_its_three_paragraphs_together(make_window, qtbot, small_catalog):
    """Issue 19: the first step's three short paragraphs were spread over the whole dialog height."""
    window = make_window()
    window.open_welcome(catalog=small_catalog, machine=MACHINE)
    welcome = window.welcome
    qtbot.waitExposed(welcome)
    page = welcome.steps.widget(0)
    labels = [label for label in page.findChildren(type(welcome.step_label)) if label.text()]
    assert len(labels) == 4  # the title and three paragraphs
    bottom = max(label.geometry().bottom() for label in labels)
    gaps = sorted(labels, key=lambda label: label.y())
    spacing = max(b.y() - a.geometry().bottom() for a, b in zip(gaps, gaps[1:], strict=False))
    assert spacing < 40, f"paragraphs {spacing} px apart"
    assert bottom < page.height() * 0.8, (bottom, page.height())

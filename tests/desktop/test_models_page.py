"""The Models page in a real (offscreen) main window: one list model behind Installed and Available,
fit badges, downloads from a real HTTP server on 127.0.0.1 (pause, resume, cancel, errors), delete,
"use this model", and import by drag and drop with a real llama.cpp test riddle."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from desktop.model_list import ErrorRole, FitRole, ModelListModel, QuantRole, RowRole, StateRole, TierRole
from engine import model_registry as registry
from engine.catalog import load_catalog
from engine.downloads import HubFile, partial_bytes
from engine.paths import app_paths
from engine.samples import sample_articles
from tests.engine.test_gpu_fallback import use_refusing_gpu_worker
from tests.support.fake_hub import FakeHub

SPEC_ID, QUANT = "qwen2.5-0.5b-instruct", "Q8_0"  # no pinned hash: the fake Hub's X-Linked-Etag decides
KEY = f"{SPEC_ID}:{QUANT}"


@pytest.fixture
def hub():
    spec = load_catalog().get(SPEC_ID)
    with FakeHub() as server:
        server.add(spec.repo_id, spec.file(QUANT).filename, os.urandom(3_000_000))
        yield server


@pytest.fixture
def page(make_window, qtbot):
    window = make_window()
    models = window.page("models")
    qtbot.waitUntil(lambda: models.loaded, timeout=15_000)
    return models


def column(proxy, role) -> list:
    return [proxy.index(r, 0).data(role) for r in range(proxy.rowCount())]


def test_installed_and_available_are_views_of_one_model(page):
    assert isinstance(page.installed.sourceModel(), ModelListModel)
    assert page.installed.sourceModel() is page.available.sourceModel() is page.model
    assert column(page.installed, StateRole) == ["active"]  # the bundled starter
    files = sum(len(spec.files) for spec in load_catalog().entries)
    assert page.available.rowCount() == files - 1
    assert set(column(page.available, FitRole)) <= {"fits", "tight", "wont_fit"} and column(
        page.available, FitRole
    )
    assert "RAM" in page.summary.text()


def test_size_first_then_quantization(page):
    page.tier_box.setCurrentIndex(page.tier_box.findData("large"))
    assert set(column(page.available, TierRole)) == {"large"}
    page.tier_box.setCurrentIndex(page.tier_box.findData("small"))
    page.quant_box.setCurrentIndex(page.quant_box.findData("Q8_0"))
    assert set(column(page.available, QuantRole)) == {"Q8_0"} and set(column(page.available, TierRole)) == {
        "small"
    }
    assert page.available.rowCount() == 4


def test_the_arithmetic_is_one_click_away(page):
    assert page.select("gemma-3-12b-instruct:Q4_K_M")
    assert page.fit_label.text() and not page.arithmetic.isVisibleTo(page)
    page.why.click()
    assert page.arithmetic.isVisibleTo(page) and "KV cache" in page.arithmetic.text()


def test_download_installs_then_delete_reclaims_the_disk(page, hub, qtbot):
    page.endpoint = hub.url
    assert page.select(KEY)
    page.buttons["download"].click()
    qtbot.waitUntil(lambda: page.model.row(KEY).state == "installed", timeout=20_000)
    # the list is re-read from disk in the background; on a loaded machine that can take a while
    qtbot.waitUntil(lambda: page.installed.rowCount() == 2, timeout=30_000)
    file = app_paths().models / load_catalog().get(SPEC_ID).file(QUANT).filename
    assert file.stat().st_size == 3_000_000 and "sha256 verified" in page.status.text()
    assert page.select(KEY) and page.tabs.currentIndex() == 0
    page.buttons["delete"].click()
    qtbot.waitUntil(lambda: "reclaimed" in page.status.text(), timeout=10_000)
    assert not file.exists()
    qtbot.waitUntil(lambda: page.installed.rowCount() == 1, timeout=10_000)


def test_pause_keeps_the_bytes_and_cancel_deletes_them(page, hub, qtbot):
    page.endpoint = hub.url
    hub.state.throttle_bps = 2_000_000
    source = HubFile.from_catalog(load_catalog().get(SPEC_ID), load_catalog().get(SPEC_ID).file(QUANT))
    folder = app_paths().models
    assert page.select(KEY)
    page.buttons["download"].click()
    qtbot.waitUntil(lambda: page.model.row(KEY).done > 300_000, timeout=10_000)
    assert page.progress.isVisibleTo(page) and page.buttons["pause"].isEnabled()
    page.buttons["pause"].click()
    qtbot.waitUntil(lambda: page.model.row(KEY).state == "paused", timeout=10_000)
    kept = partial_bytes(source, folder)
    assert kept > 300_000 and page.buttons["download"].text() == "Resume download"
    page.buttons["cancel"].click()
    qtbot.waitUntil(lambda: "cancelled" in page.status.text(), timeout=10_000)
    assert partial_bytes(source, folder) == 0 and page.model.row(KEY).state == "available"


def test_a_paused_download_resumes_where_it_stopped(page, hub, qtbot):
    page.endpoint = hub.url
    hub.state.throttle_bps = 2_000_000
    assert page.select(KEY)
    page.buttons["download"].click()
    qtbot.waitUntil(lambda: page.model.row(KEY).done > 300_000, timeout=10_000)
    page.buttons["pause"].click()
    qtbot.waitUntil(lambda: page.model.row(KEY).state == "paused", timeout=10_000)
    hub.state.throttle_bps = None
    page.buttons["download"].click()
    qtbot.waitUntil(lambda: page.model.row(KEY).state == "installed", timeout=20_000)
    ranges = [r[2] for r in hub.state.requests if r[0] == "GET"]
    assert ranges[0] == "" and ranges[-1].startswith("bytes=") and int(ranges[-1][6:-1]) > 300_000


def test_a_missing_file_on_the_hub_shows_the_sentence_on_the_row(page, hub, qtbot):
    page.endpoint = hub.url
    hub.state.status = 404
    assert page.select(KEY)
    page.buttons["download"].click()
    qtbot.waitUntil(lambda: page.model.row(KEY).state == "failed", timeout=10_000)
    index = page.model.index(next(i for i, r in enumerate(page.model.rows()) if r.key == KEY))
    assert "was not found on the Hub" in index.data(ErrorRole) and "not found" in page.status.text()


def test_drop_a_gguf_to_import_it_then_use_it(page, qtbot, scripted_gguf: Path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(scripted_gguf))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    page.dropEvent(drop)
    qtbot.waitUntil(lambda: "Imported" in page.status.text(), timeout=60_000)
    assert "Test riddle:" in page.status.text() and "lantern" in page.status.text()
    qtbot.waitUntil(lambda: page.installed.rowCount() == 2, timeout=10_000)
    key = next(r.key for r in page.model.rows() if r.key.startswith("import:"))
    assert page.select(key) and page.buttons["use"].isEnabled()
    page.buttons["use"].click()
    qtbot.waitUntil(lambda: "Riddles now come from" in page.status.text(), timeout=10_000)
    assert page.context.active_model().path == scripted_gguf.resolve()
    assert registry.load(app_paths()).active_key == key
    assert "It will run on: CPU" in page.status.text()


def test_a_broken_file_dropped_is_refused_with_a_sentence(page, qtbot, tmp_path: Path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 40)
    page.import_file(broken)
    qtbot.waitUntil(lambda: "not a usable GGUF" in page.status.text(), timeout=10_000)
    assert page.installed.rowCount() == 1


def test_downloads_switched_off_in_the_privacy_setting_fetch_nothing(page, hub, qtbot):
    page.endpoint = hub.url
    page.context.settings = page.context.settings.with_value("privacy.network", "news-only")
    assert page.select(KEY)
    page.buttons["download"].click()
    assert "switched off" in page.status.text()
    qtbot.wait(300)
    assert hub.state.requests == [] and page.model.row(KEY).state != "downloading"


def _riddle_once(context) -> threading.Thread:  # noqa: ANN001
    """One riddle on a worker thread, as the reader does: it loads the active model."""
    thread = threading.Thread(target=lambda: context.riddler().riddle(sample_articles()[0]), daemon=True)
    thread.start()
    return thread


def test_the_active_model_says_where_it_ran_once_loaded(make_window, qtbot, scripted_gguf: Path):
    window = make_window(model=scripted_gguf)
    window.show_page("models")
    page = window.page("models")
    qtbot.waitUntil(lambda: page.loaded, timeout=15_000)
    assert "loads with the first riddle" in page.running.text()
    _riddle_once(page.context).join(60)
    # llama.cpp's own count, read by the page's timer from the loaded model (this CPU build: no GPU)
    qtbot.waitUntil(lambda: "Active model runs on" in page.running.text(), timeout=5_000)
    text = page.running.text()  # the kernels that ran follow, when the worker names them
    assert "scripted.gguf: CPU only (2 layers)" in text and text.endswith(("(2 layers)", ")"))


def test_a_gpu_that_refused_the_model_is_said_on_the_models_page(
    make_window, qtbot, scripted_gguf: Path, tmp_path: Path, monkeypatch
):
    # This machine has no GPU: a wrapper around the real worker refuses GPU loads the way llama.cpp's
    # CUDA build does when the card is full (see tests/engine/test_gpu_fallback.py); the rest is real.
    gpu_tries = use_refusing_gpu_worker(tmp_path, monkeypatch)
    window = make_window(model=scripted_gguf)
    window.show_page("models")
    page = window.page("models")
    page.context.local_settings = replace(page.context.local_settings, n_gpu_layers=99)
    qtbot.waitUntil(lambda: page.loaded, timeout=15_000)
    _riddle_once(page.context).join(60)
    qtbot.waitUntil(lambda: "could not load" in page.running.text(), timeout=5_000)
    assert gpu_tries() == 1
    text = page.running.text()
    assert "CPU only (2 layers)" in text
    assert text.endswith(
        ". The GPU could not load this model (cudaMalloc failed: out of memory), so it runs on the CPU."
    )


def test_the_page_and_the_welcome_tour_share_the_one_downloads(make_window, qtbot):
    """One owner: the page's list is the Downloads' list, and the tour asks the same Downloads."""
    from desktop.downloads import downloads_of

    window = make_window()
    page = window.page("models")
    window.open_welcome()
    owner = downloads_of(window.context)
    assert window.context.downloads is owner
    assert page.downloads is owner and page.model is owner.model and window.welcome.downloads is owner
    source = Path(__file__).resolve().parents[2] / "desktop" / "pages" / "models.py"
    assert ".lock" not in source.read_text(encoding="utf-8")  # the page knows no lock-file names


def test_a_tab_switch_shows_that_tab_s_model_not_the_last_one(page):
    """Issue 21: the side panel kept the previous model's arithmetic after a tab switch."""
    assert page.select("gemma-3-12b-instruct:Q4_K_M")
    page.why.click()
    big = page.arithmetic.text()
    assert "KV cache" in big and page.title.text() == "Gemma 3 12B Instruct"
    page.tabs.setCurrentIndex(0)  # Installed: the bundled starter
    starter = page.model.row(page.installed.index(0, 0).data(RowRole).key)
    assert page.title.text() == starter.name and page.arithmetic.text() == starter.fit.arithmetic()
    assert page.arithmetic.text() != big


def test_the_side_panel_is_current_when_the_page_is_shown_again(make_window, qtbot):
    window = make_window()
    window.show_page("models")
    page = window.page("models")
    qtbot.waitUntil(lambda: page.loaded, timeout=15_000)
    assert page.select("gemma-3-12b-instruct:Q4_K_M")
    page.tabs.blockSignals(True)  # as if the panel had gone stale while another page was shown
    page.tabs.setCurrentIndex(0)
    page.tabs.blockSignals(False)
    window.show_page("reader")
    window.show_page("models")
    starter = page.model.row(page.installed.index(0, 0).data(RowRole).key)
    assert page.title.text() == starter.name and page.arithmetic.text() == starter.fit.arithmetic()


def test_the_fit_is_computed_for_the_context_length_setting(make_window, qtbot):
    window = make_window()
    context = window.context
    context.apply_settings(context.settings.with_value("inference.context_length", 8192))
    page = window.page("models")
    page.refresh()
    qtbot.waitUntil(
        # What is checked is the context the fit uses, not how fast: a full run's load took it past 15 s.
        lambda: page.loaded and "8,192 tokens" in (page.model.rows()[0].fit.arithmetic()),
        timeout=60_000,
    )
    assert all("8,192 tokens" in row.fit.arithmetic() for row in page.model.rows() if row.fit)

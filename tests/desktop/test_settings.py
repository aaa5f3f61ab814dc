"""The settings window over real files: what it shows, what Save writes, Reset, and the app's start
with a damaged settings file."""

from __future__ import annotations

import logging
import tomllib

import pytest
from PySide6.QtCore import QSize, QThreadPool
from PySide6.QtWidgets import QApplication, QComboBox, QDoubleSpinBox

from desktop.settings_dialog import SettingsDialog
from desktop.theme import LIGHT, apply_theme
from engine.logs import stop_logging
from engine.paths import app_paths
from engine.settings import SECTIONS, SETTINGS, load_settings


@pytest.fixture
def restore_look():
    yield
    app = QApplication.instance()
    apply_theme(app, "light", 100)
    app.setStyleSheet("")
    stop_logging()
    logging.getLogger().setLevel(logging.WARNING)


def _file() -> dict:
    return tomllib.loads(app_paths().settings_file.read_text())


def test_every_visible_setting_has_a_row_with_explanation_and_reset(make_window, qtbot):
    window = make_window()
    dialog = SettingsDialog(window.context, window)
    qtbot.addWidget(dialog)
    visible = [s for s in SETTINGS if s.visible]
    assert set(dialog.rows) == {s.key for s in visible}
    assert dialog.sections.count() == dialog.pages.count() == len(SECTIONS)
    for setting in visible:
        row = dialog.rows[setting.key]
        assert row.explanation.text().startswith(setting.explanation)
        assert row.editor.accessibleName() == setting.title
        assert not row.reset_button.isEnabled(), "everything starts at its default"
    assert "next time Riddlewire starts" in dialog.rows["storage.data_folder"].explanation.text()


def test_round_trip_through_the_window(make_window, qtbot):
    window = make_window()
    context = window.context
    heard = []
    context.settings_listeners.append(heard.append)
    dialog = SettingsDialog(context, window)
    qtbot.addWidget(dialog)
    device: QComboBox = dialog.rows["inference.device"].editor
    device.setCurrentIndex(device.findData("cpu"))
    temperature: QDoubleSpinBox = dialog.rows["sampling.temperature"].editor
    temperature.setValue(1.1)
    dialog.rows["news.refresh_on_start"].editor.setChecked(False)
    assert dialog.rows["inference.device"].reset_button.isEnabled()
    assert load_settings(app_paths().settings_file)["inference.device"] == "auto", (
        "nothing is kept before Save"
    )
    dialog.save_button.click()

    assert _file() == {
        "inference": {"device": "cpu"},
        "sampling": {"temperature": 1.1},
        "news": {"refresh_on_start": False},
    }
    assert context.settings["inference.device"] == "cpu" and len(heard) == 1

    again = SettingsDialog(context, window)
    qtbot.addWidget(again)
    assert (
        again.rows["inference.device"].value() == "cpu" and again.rows["sampling.temperature"].value() == 1.1
    )
    again.rows["inference.device"].reset_button.click()
    assert again.rows["inference.device"].value() == "auto"
    assert not again.rows["inference.device"].reset_button.isEnabled()
    again.save_button.click()
    assert "inference" not in _file() and _file()["sampling"] == {"temperature": 1.1}


def test_restore_all_defaults_and_cancel_keeps_the_file(make_window, qtbot):
    window = make_window()
    context = window.context
    context.apply_settings(
        context.settings.with_value("appearance.text_size", 130).with_value("privacy.network", "offline")
    )
    dialog = SettingsDialog(context, window)
    qtbot.addWidget(dialog)
    dialog.restore_all.click()
    assert dialog.draft.values == type(context.settings)().values
    dialog.reject()
    assert _file() == {"appearance": {"text_size": 130}, "privacy": {"network": "offline"}}


def test_an_engine_setting_change_reopens_the_model_on_the_next_riddle(make_window, qtbot, random_gguf):
    window = make_window(model=random_gguf)
    context = window.context
    context.riddler().backend.load()
    assert context.loaded_model() is not None
    context.apply_settings(context.settings.with_value("appearance.theme", "dark"))
    assert context.loaded_model() is not None, "a theme change keeps the model loaded"
    context.apply_settings(context.settings.with_value("inference.threads", 1))
    assert context.loaded_model() is None


def test_riddles_written_per_story_reach_the_reader_s_riddler(make_window, random_gguf):
    window = make_window(model=random_gguf)
    context = window.context
    assert context.riddler().best_of == 1
    context.apply_settings(context.settings.with_value("sampling.best_of", 2))
    assert context.riddler().best_of == 2


def test_a_damaged_settings_file_starts_the_app_with_defaults_and_a_notice(qtbot, restore_look):
    from desktop.app import build_window

    settings_file = app_paths().ensure().settings_file
    settings_file.write_text("theme = [unclosed\n")
    window = build_window(QApplication.instance())
    qtbot.addWidget(window)
    window.context.feed_refresher.stop()
    try:
        window.show()
        assert window.banner.isVisible() and "damaged" in window.banner.text.text()
        assert window.context.settings.values == type(window.context.settings)().values
        assert settings_file.with_name("settings.toml.damaged").read_text() == "theme = [unclosed\n"
        assert app_paths().logs.joinpath("riddlewire.log").read_text().count("damaged") >= 1
    finally:
        QThreadPool.globalInstance().waitForDone(5000)
        window.context.close()


def test_theme_and_text_size_apply_at_once_through_the_app(qtbot, restore_look):
    from desktop.app import build_window

    app = QApplication.instance()
    window = build_window(app)
    qtbot.addWidget(window)
    window.context.feed_refresher.stop()
    try:
        base = app.font().pointSizeF()
        context = window.context
        context.apply_settings(
            context.settings.with_value("appearance.theme", "dark").with_value("appearance.text_size", 150)
        )
        assert app.property("riddlewireTheme") == "dark"
        assert app.palette().window().color().name().lower() != LIGHT.window.lower()
        assert app.font().pointSizeF() == pytest.approx(base * 1.5, abs=0.2)
    finally:
        QThreadPool.globalInstance().waitForDone(5000)
        window.context.close()


def test_window_geometry_is_remembered(make_window, qtbot):
    """The offscreen screen is 800x800 and the window is wider than that at least, so only the height
    can be checked exactly; the default is 1100x720."""
    window = make_window()
    window.resize(QSize(window.minimumSizeHint().width(), 640))
    qtbot.waitUntil(lambda: window.height() == 640, timeout=2000)
    window.close()
    assert load_settings(app_paths().settings_file)["state.window_geometry"]
    window.context.settings = load_settings(app_paths().settings_file)
    reopened = type(window)(window.context)
    qtbot.addWidget(reopened)
    assert reopened.height() == 640

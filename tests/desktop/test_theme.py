"""The look, measured on rendered pixels (offscreen): disabled and pressed controls read as such in
both themes, the dark theme's unchecked box can be seen, and the text size setting reaches every
text in the window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.theme import DARK, LIGHT, Colors, apply_theme, mark


@pytest.fixture
def restore_look():
    yield
    app = QApplication.instance()
    apply_theme(app, "light", 100)
    app.setStyleSheet("")


def _lightness(color: QColor) -> float:
    return 0.2126 * color.red() + 0.7152 * color.green() + 0.0722 * color.blue()


def _contrast(image: QImage, background: str) -> float:
    """How far the most distinct pixel is from the background (text, border, tick)."""
    ground = _lightness(QColor(background))
    return max(
        abs(_lightness(image.pixelColor(x, y)) - ground)
        for x in range(image.width())
        for y in range(image.height())
    )


def _distinct(image: QImage, background: str, by: float = 60) -> int:
    """How many pixels stand out from the background by at least `by`."""
    ground = _lightness(QColor(background))
    return sum(
        abs(_lightness(image.pixelColor(x, y)) - ground) >= by
        for x in range(image.width())
        for y in range(image.height())
    )


def _middle(image: QImage) -> float:
    """The lightness a few pixels in from the left edge, halfway down: the button's own fill."""
    return _lightness(image.pixelColor(4, image.height() // 2))


def _shown(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QVBoxLayout(holder)
    for widget in widgets:
        layout.addWidget(widget)
    holder.show()
    QApplication.processEvents()
    return holder


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_disabled_and_pressed_buttons_look_different(qtbot, restore_look, colors: Colors):
    apply_theme(QApplication.instance(), colors.name)
    for role in ("", "primary"):
        normal, disabled, pressed = (mark(QPushButton("Hint"), role) for _ in range(3))
        disabled.setEnabled(False)
        holder = _shown(normal, disabled, pressed)
        qtbot.addWidget(holder)
        pressed.setDown(True)
        QApplication.processEvents()
        fill = colors.accent if role else colors.surface
        enabled_text = _contrast(normal.grab().toImage(), fill)
        disabled_text = _contrast(disabled.grab().toImage(), colors.window if not role else colors.soft)
        # Disabled: its words fade to well under half the contrast of an enabled button's, yet stay legible.
        assert 30 < disabled_text < 0.5 * enabled_text, (role, disabled_text, enabled_text)
        # Pressed: the fill itself changes, visibly.
        assert abs(_middle(pressed.grab().toImage()) - _middle(normal.grab().toImage())) > 15, role


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_an_unchecked_box_is_visible_in_both_themes(qtbot, restore_look, colors: Colors):
    apply_theme(QApplication.instance(), colors.name)
    unchecked, checked = QCheckBox(""), QCheckBox("")
    checked.setChecked(True)
    holder = _shown(unchecked, checked)
    qtbot.addWidget(holder)
    # Its border stands out, all round a box of a size to click (a dot would not do).
    assert _distinct(unchecked.grab().toImage(), colors.window) >= 40
    assert _distinct(checked.grab().toImage(), colors.window) >= 100  # filled, with its tick


def test_the_text_size_reaches_every_text_in_the_window(qtbot, restore_look):
    """Every label, button, field and list in every page (the riddle card included) and the
    diagnostics report grow with the Text size setting."""
    from desktop.app import build_window
    from desktop.diagnostics_dialog import DiagnosticsDialog

    app = QApplication.instance()
    window = build_window(app)
    qtbot.addWidget(window)
    window.context.feed_refresher.stop()
    kinds = (QLabel, QAbstractButton, QLineEdit, QComboBox)
    try:
        window.show()
        widgets = [w for kind in kinds for w in window.findChildren(kind)]
        before = {id(w): w.font().pointSizeF() for w in widgets}
        report_before = DiagnosticsDialog(window.context, window).report.font().pointSizeF()
        context = window.context
        context.apply_settings(context.settings.with_value("appearance.text_size", 150))
        QApplication.processEvents()
        unscaled = [
            f"{type(w).__name__} {w.objectName() or getattr(w, 'text', lambda: '')()!r}: "
            f"{before[id(w)]} -> {w.font().pointSizeF()}"
            for w in widgets
            if before[id(w)] > 0 and w.font().pointSizeF() < before[id(w)] * 1.4
        ]
        assert not unscaled, "\n".join(unscaled[:20])
        dialog = DiagnosticsDialog(context, window)
        qtbot.addWidget(dialog)
        assert dialog.report.font().pointSizeF() == pytest.approx(report_before * 1.5, abs=0.2)
    finally:
        QThreadPool.globalInstance().waitForDone(10_000)
        window.context.close()

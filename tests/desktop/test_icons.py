"""Icons instead of glyphs (issue 19): the thumbs showed as empty boxes on a stock Linux font set.
Every icon is a valid SVG in resources/icons, coloured from the theme at load, and no emoji or symbol
glyph is left in the desktop code's strings."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from desktop.icons import NAMES, icon, render, status_icon
from desktop.riddle_card import RiddleCard
from desktop.theme import DARK, LIGHT, apply_theme
from engine.paths import resource

DESKTOP = Path(__file__).resolve().parents[2] / "desktop"
# Emoji, pictographs, dingbats, miscellaneous symbols and geometric shapes: glyphs a system's fonts
# may lack. Arrows and dashes (in every common font) are allowed.
GLYPH_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x25A0, 0x25FF), (0xFE0F, 0xFE0F))


def _inked(image) -> list[QColor]:
    """The colours of the fully opaque pixels of an image."""
    return [
        image.pixelColor(x, y)
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() == 255
    ]


@pytest.mark.parametrize("name", NAMES)
def test_each_icon_is_a_drawing_in_the_colour_it_is_given(qapp, name):
    assert resource("icons", f"{name}.svg").is_file()
    inked = _inked(render(name, "#1F7A4D", 48))
    assert len(inked) > 40, f"{name} draws almost nothing"
    assert {c.name() for c in inked} == {"#1f7a4d"}


def test_icons_follow_the_theme(qapp):
    app = QApplication.instance()
    try:
        apply_theme(app, "light")
        light = icon("thumb-up").pixmap(32).toImage()
        apply_theme(app, "dark")
        dark = icon("thumb-up").pixmap(32).toImage()
        assert {c.name() for c in _inked(light)} == {QColor(LIGHT.text).name()}
        assert {c.name() for c in _inked(dark)} == {QColor(DARK.text).name()}
    finally:
        apply_theme(app, "light")


def test_the_card_shows_icons_not_glyphs_and_recolours_them(qapp, qtbot):
    app = QApplication.instance()
    card = RiddleCard()
    qtbot.addWidget(card)
    try:
        apply_theme(app, "light")
        for button in (card.thumbs_up, card.thumbs_down, card.favourite_button):
            assert button.text() == "" and not button.icon().isNull(), button.objectName()
        before = card.thumbs_up.icon().cacheKey()
        apply_theme(app, "dark")
        assert card.thumbs_up.icon().cacheKey() != before  # recoloured for the dark theme
        assert card.thumbs_up.icon().cacheKey() == icon("thumb-up").cacheKey()
    finally:
        apply_theme(app, "light")


def test_a_favourite_is_a_badge_on_the_state_icon(qapp):
    plain, starred = status_icon("solved", False), status_icon("solved", True)
    assert plain.cacheKey() != starred.cacheKey()
    assert _inked(plain.pixmap(32).toImage()) != _inked(starred.pixmap(32).toImage())


def test_no_emoji_or_symbol_glyphs_in_the_desktop_strings():
    found = []
    for path in sorted(DESKTOP.rglob("*.py")):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for token in tokens:
            if token.type != tokenize.STRING:
                continue
            for char in token.string:
                if any(lo <= ord(char) <= hi for lo, hi in GLYPH_RANGES):
                    found.append(
                        f"{path.relative_to(DESKTOP.parent)}:{token.start[0]} {char!r} U+{ord(char):04X}"
                    )
    assert found == []

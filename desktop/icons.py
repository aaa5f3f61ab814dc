"""The app's small icons (thumbs, stars, riddle states, next, streak): SVG files in resources/icons,
drawn in "currentColor" and coloured at load from the current theme, so one file serves light and dark.

They replace emoji and symbol glyphs, which a stock Linux font set may lack (the thumbs showed as
empty boxes, issue 19). Icons are cached per theme; call `icon()` again after a theme change."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop.theme import DARK, LIGHT, Colors
from engine.paths import resource

NAMES = (
    "thumb-up",
    "thumb-down",
    "star",
    "star-filled",
    "status-new",
    "status-solved",
    "status-revealed",
    "status-skipped",
    "next",
    "streak",
)
_SIZES = (16, 20, 24, 32, 48)


def current_colors() -> Colors:
    """The theme the application's palette now shows. The palette, not apply_theme's property, since
    widgets hear of a theme change when the palette is set, before the rest of apply_theme has run."""
    window = QGuiApplication.palette().color(QPalette.ColorRole.Window)
    for colors in (LIGHT, DARK):
        if window == QColor(colors.window):
            return colors
    return DARK if window.lightness() < 128 else LIGHT


def icon(name: str, role: str = "text") -> QIcon:
    """The named icon in the theme's colour for `role` (a Colors field: text, muted, accent, good...)."""
    colors = current_colors()
    return _icon(name, getattr(colors, role))


def svg_in(name: str, color: str) -> bytes:
    """The icon's SVG with its colour filled in."""
    path = resource("icons", f"{name}.svg")
    return path.read_text(encoding="utf-8").replace("currentColor", color).encode("utf-8")


def render(name: str, color: str, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(QByteArray(svg_in(name, color)))
    if not renderer.isValid():
        raise ValueError(f"resources/icons/{name}.svg is not a valid SVG")
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


STATUS_ROLE = {"new": "accent", "solved": "good", "revealed": "warn", "skipped": "muted"}


def status_icon(status: str, favourite: bool) -> QIcon:
    """A riddle's state in a list row: its state's mark, with a small star in the corner for a favourite.
    One square icon, so any list's icon size shows it whole."""
    colors = current_colors()
    role = STATUS_ROLE.get(status, "accent")
    name = f"status-{status}" if status in STATUS_ROLE else "status-new"
    return _status_icon(name, getattr(colors, role), colors.accent if favourite else "")


@cache
def _status_icon(name: str, color: str, star_color: str) -> QIcon:
    result = QIcon()
    for size in _SIZES:
        for scale in (1, 2):
            image = render(name, color, size * scale)
            if star_color:
                painter = QPainter(image)
                badge = size * scale * 5 // 8
                painter.drawImage(size * scale - badge, 0, render("star-filled", star_color, badge))
                painter.end()
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(scale)
            result.addPixmap(pixmap)
    return result


@cache
def _icon(name: str, color: str) -> QIcon:
    # Rendered at fixed sizes (and twice that for high-density screens) rather than through Qt's SVG
    # icon engine plugin, which a trimmed Qt install may lack.
    result = QIcon()
    for size in _SIZES:
        for scale in (1, 2):
            pixmap = QPixmap.fromImage(render(name, color, size * scale))
            pixmap.setDevicePixelRatio(scale)
            result.addPixmap(pixmap)
    return result

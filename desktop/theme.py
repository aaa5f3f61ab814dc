"""The look: one light and one dark palette, a type scale, and a style sheet that gives every
screen the same spacing, cards and buttons. "System" follows the desktop's colour scheme, live.

Screens opt in by role, not by colour: `mark(label, "heading")`, `mark(frame, "card")`,
`mark(button, "primary")`, `mark(label, "explanation")`, `mark(label, "notice")`. No other module
names a colour, so both themes stay consistent."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from engine.paths import resource

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


@dataclass(frozen=True)
class Colors:
    name: str
    window: str
    surface: str  # cards, inputs
    sidebar: str
    text: str
    muted: str  # explanations, secondary text
    accent: str
    on_accent: str
    border: str
    soft: str  # selected and hovered backgrounds
    good: str
    warn: str
    bad: str
    faint: str  # the text of disabled controls: plainly weaker than muted, still legible
    pressed: str  # a button's background while it is held down (a primary one: accent_pressed)
    accent_pressed: str


LIGHT = Colors(
    "light",
    window="#F4F5FA",
    surface="#FFFFFF",
    sidebar="#EAECF4",
    text="#1C1F2E",
    muted="#5C6177",
    accent="#5B47D6",
    on_accent="#FFFFFF",
    border="#D8DBE7",
    soft="#E7E3FB",
    good="#1F7A4D",
    warn="#9A5B00",
    bad="#B42318",
    faint="#A7ABBC",
    pressed="#D5CEF8",
    accent_pressed="#4633B8",
)
DARK = Colors(
    "dark",
    window="#14151B",
    surface="#1E2029",
    sidebar="#181920",
    text="#E7E8EF",
    muted="#A0A5B8",
    accent="#9D8CFF",
    on_accent="#14121F",
    border="#30333F",
    soft="#2B2745",
    good="#5BD49A",
    warn="#F2C14E",
    bad="#FF8A80",
    faint="#5E6273",
    pressed="#3A3461",
    accent_pressed="#7B68F0",
)

_base_point_size: list[float] = []  # the platform's own font size, remembered before any scaling


def resolve(theme: str) -> Colors:
    """ "light", "dark", or "system": the desktop's current scheme (light when it does not say)."""
    if theme == "dark":
        return DARK
    if theme == "light":
        return LIGHT
    scheme = QGuiApplication.styleHints().colorScheme()
    return DARK if scheme == Qt.ColorScheme.Dark else LIGHT


def apply_theme(app: QApplication, theme: str = "system", text_size: int = 100) -> Colors:
    """Style the whole application: palette, font size (percent of the platform's) and style sheet."""
    colors = resolve(theme)
    app.setStyle("Fusion")  # the same metrics on every platform, so the style sheet looks the same
    app.setPalette(palette(colors))
    if not _base_point_size:
        _base_point_size.append(app.font().pointSizeF() if app.font().pointSizeF() > 0 else 10.0)
    font = QFont(app.font())
    font.setPointSizeF(round(_base_point_size[0] * text_size / 100, 1))
    app.setFont(font)
    app.setStyleSheet(style_sheet(colors, font.pointSizeF()))
    app.setProperty("riddlewireTheme", colors.name)
    return colors


def palette(c: Colors) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: c.window,
        QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.surface,
        QPalette.ColorRole.AlternateBase: c.window,
        QPalette.ColorRole.Text: c.text,
        QPalette.ColorRole.Button: c.surface,
        QPalette.ColorRole.ButtonText: c.text,
        QPalette.ColorRole.Highlight: c.accent,
        QPalette.ColorRole.HighlightedText: c.on_accent,
        QPalette.ColorRole.ToolTipBase: c.surface,
        QPalette.ColorRole.ToolTipText: c.text,
        QPalette.ColorRole.PlaceholderText: c.muted,
        QPalette.ColorRole.Link: c.accent,
        QPalette.ColorRole.Mid: c.border,
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(c.faint))
    return p


def check_mark(c: Colors) -> str:
    """The tick of a checked box, in the theme's on-accent colour (a style sheet needs a file)."""
    return resource("theme", f"check-{c.name}.svg").as_posix()


def style_sheet(c: Colors, pt: float) -> str:
    # Disabled and pressed states must read as such in both themes: a disabled button loses its
    # fill and border (dashed, faint text), a pressed one darkens. The dark theme's unchecked box gets
    # a visible border: Fusion draws it a shade darker than the window, invisible on near-black.
    box = round(pt * 1.3 * 96 / 72)  # the box grows with the text; a style sheet sizes it in pixels
    return f"""
QMainWindow, QDialog {{ background: {c.window}; }}
QListView {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 10px; padding: 4px;
    outline: none; }}
QListView::item {{ padding: 6px 8px; border-radius: 6px; }}
QListView::item:selected {{ background: {c.soft}; color: {c.text}; }}
QListWidget#nav {{ background: {c.sidebar}; border: none; border-radius: 0; padding: 10px 8px;
    font-size: {pt * 1.05:.1f}pt; }}
QListWidget#nav::item {{ padding: 9px 12px; margin: 2px 0; border-radius: 8px; color: {c.text}; }}
QListWidget#nav::item:hover {{ background: {c.soft}; }}
QListWidget#nav::item:selected {{ background: {c.accent}; color: {c.on_accent}; }}
QFrame#riddleCard, QFrame[role="card"] {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 14px; }}
QFrame[role="card"][selected="true"] {{ border: 2px solid {c.accent}; background: {c.soft}; }}
QLabel[role="title"] {{ font-size: {pt * 1.9:.1f}pt; font-weight: 600; }}
QLabel[role="heading"] {{ font-size: {pt * 1.3:.1f}pt; font-weight: 600; }}
QLabel[role="explanation"] {{ color: {c.muted}; font-size: {pt * 0.92:.1f}pt; }}
QLabel[role="notice"] {{ background: {c.soft}; border-radius: 8px; padding: 8px 12px; }}
QLabel[role="good"] {{ color: {c.good}; font-weight: 600; }}
QLabel[role="warn"] {{ color: {c.warn}; font-weight: 600; }}
QLabel[role="bad"] {{ color: {c.bad}; font-weight: 600; }}
QPushButton {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 8px;
    padding: 6px 14px; }}
QPushButton:hover {{ border-color: {c.accent}; }}
QPushButton:pressed, QPushButton:checked {{ background: {c.pressed}; border-color: {c.accent}; }}
QPushButton:disabled {{ color: {c.faint}; background: {c.window}; border: 1px dashed {c.border}; }}
QPushButton[role="primary"] {{ background: {c.accent}; color: {c.on_accent}; border-color: {c.accent};
    font-weight: 600; }}
QPushButton[role="primary"]:pressed {{ background: {c.accent_pressed}; border-color: {c.accent_pressed}; }}
QPushButton[role="primary"]:disabled {{ background: {c.soft}; color: {c.faint};
    border: 1px dashed {c.border}; }}
QPushButton[role="flat"] {{ background: transparent; border: none; color: {c.accent}; padding: 2px 6px; }}
QPushButton[role="flat"]:pressed {{ color: {c.accent_pressed}; }}
QPushButton[role="flat"]:disabled {{ color: {c.faint}; border: none; }}
QCheckBox:disabled, QRadioButton:disabled, QLabel:disabled {{ color: {c.faint}; }}
QCheckBox::indicator {{ width: {box}px; height: {box}px; border: 2px solid {c.muted};
    border-radius: 4px; background: {c.surface}; }}
QCheckBox::indicator:hover {{ border-color: {c.accent}; }}
QCheckBox::indicator:checked {{ background: {c.accent}; border-color: {c.accent};
    image: url("{check_mark(c)}"); }}
QCheckBox::indicator:disabled {{ border-color: {c.border}; background: {c.window}; }}
QCheckBox::indicator:checked:disabled {{ background: {c.border}; }}
QLineEdit, QPlainTextEdit, QTextBrowser {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 6px; padding: 4px 6px; }}
QProgressBar {{ background: {c.sidebar}; border: none; border-radius: 5px; text-align: center;
    min-height: 10px; }}
QProgressBar::chunk {{ background: {c.accent}; border-radius: 5px; }}
QScrollArea {{ border: none; background: transparent; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QStatusBar {{ color: {c.muted}; }}
"""


def mark(widget: QWidget, role: str) -> QWidget:
    """Give a widget a role the style sheet knows (see the module docstring)."""
    widget.setProperty("role", role)
    return widget


def app_icon() -> QIcon:
    """The window and application icon, in every size drawn by scripts/make_icons.py."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = resource("icons", f"riddlewire-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    return icon

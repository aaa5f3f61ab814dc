"""Render resources/icons/riddlewire.svg (drawn by hand for Riddlewire) into the PNG sizes that
window managers, installers and the .desktop file ask for. Run after changing the SVG:

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    return image


def main() -> None:
    _app = QGuiApplication.instance() or QGuiApplication([])
    svg = ICONS / "riddlewire.svg"
    for size in SIZES:
        target = ICONS / f"riddlewire-{size}.png"
        if not render(svg, size).save(str(target)):
            raise SystemExit(f"could not write {target}")
        print(target.relative_to(ICONS.parent.parent))


if __name__ == "__main__":
    main()

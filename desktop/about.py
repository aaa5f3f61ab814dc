"""Help → About: what Riddlewire is, its version, and every licence that applies: Riddlewire's own,
the bundled Gemma model's terms, and each bundled package's licence text."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.ops import BackgroundOp
from desktop.theme import app_icon, mark
from engine import __version__
from engine.licences import Licence, dependency_licences, own_licences


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("About Riddlewire"))
        self.resize(860, 600)
        self.licences: list[Licence] = []

        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(72, 72))
        name = mark(QLabel(self.tr("Riddlewire {version}").format(version=__version__)), "title")
        tagline = mark(
            QLabel(
                self.tr(
                    "Today's news as riddles, made by a language model on your own computer. "
                    "Your history and your news stay here."
                )
            ),
            "explanation",
        )
        tagline.setWordWrap(True)
        header_text = QVBoxLayout()
        header_text.addWidget(name)
        header_text.addWidget(tagline)
        header = QHBoxLayout()
        header.addWidget(icon)
        header.addLayout(header_text, 1)

        self.list = QListWidget()
        self.list.setFixedWidth(280)
        self.list.setAccessibleName(self.tr("Licences"))
        self.list.currentRowChanged.connect(self._show)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setAccessibleName(self.tr("Licence text"))
        body = QHBoxLayout()
        body.addWidget(self.list)
        body.addWidget(self.text, 1)

        about_qt = QPushButton(self.tr("About Qt"))
        about_qt.clicked.connect(lambda: QApplication.aboutQt())
        close = mark(QPushButton(self.tr("Close")), "primary")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(about_qt)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(mark(QLabel(self.tr("Licences")), "heading"))
        layout.addLayout(body, 1)
        layout.addLayout(buttons)

        self._add(own_licences())
        self.list.setCurrentRow(0)
        self.op = BackgroundOp(lambda _c, _r: dependency_licences(), on_success=self._add).start()

    def _add(self, licences: list[Licence]) -> None:
        for licence in licences:
            self.licences.append(licence)
            item = QListWidgetItem(f"{licence.name} {licence.version} · {licence.licence}")
            item.setToolTip(item.text())
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{licence.name}, {licence.licence}")
            self.list.addItem(item)

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.licences):
            return
        licence = self.licences[row]
        link = (
            f'<p><a href="{html.escape(licence.homepage, quote=True)}">'
            f"{html.escape(licence.homepage)}</a></p>"
            if licence.homepage.startswith(("https://", "http://"))
            else ""
        )
        text = licence.text or self.tr(
            "This package ships no licence file of its own; its licence is {name}. "
            "The full text is at the address above."
        ).format(name=licence.licence)
        self.text.setHtml(
            f"<h3>{html.escape(licence.name)} {html.escape(licence.version)}</h3>"
            f"<p><b>{html.escape(licence.licence)}</b></p>{link}"
            f"<pre style='white-space: pre-wrap'>{html.escape(text)}</pre>"
        )

"""Text that never widens the window: labels that wrap even inside long unbroken words, links elided
to the width they are given, and buttons whose long text wraps instead of setting a minimum width.

Qt sizes a word-wrapped label no narrower than its longest word, and a push button no narrower than
its whole text; one 300-character link or headline in a riddle's article then pushed the main window
past the screen (issue 19). Everything here asks for a small minimum width and lays its text out in
whatever width the layout gives it."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

BREAK = "\u200b"  # zero-width space: a place a line may break, invisible when it does not
_RUN = 18  # characters of an unbroken run between two break points
_LONG_WORD = re.compile(rf"\S{{{_RUN + 1},}}")
_MIN_CHARS = 12  # the narrowest a wrapping label asks to be, in average characters


def breakable(text: str) -> str:
    """The text with invisible break points inside words longer than _RUN characters (links, long
    compounds, hostile model output). Qt's word wrap never breaks inside a word, and QLabel has no
    wrap-anywhere mode, so this is the way to let such a word wrap at all. Copying a selection of a
    broken word keeps the zero-width spaces; `plain()` takes them out again."""
    return _LONG_WORD.sub(lambda m: BREAK.join(_chunks(m.group(0))), text)


def plain(text: str) -> str:
    return text.replace(BREAK, "")


def _chunks(word: str) -> list[str]:
    return [word[i : i + _RUN] for i in range(0, len(word), _RUN)]


class WrappingLabel(QLabel):
    """A word-wrapped plain-text label that wraps inside long words and asks only for a narrow
    minimum width, so no text it is given can widen the window around it."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        # Untrusted text (riddles, headlines, summaries): never rendered as HTML.
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._text = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._text = text
        super().setText(breakable(text))

    def text(self) -> str:
        """The text as given, without the invisible break points."""
        return self._text

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        natural = super().minimumSizeHint()
        return QSize(
            min(natural.width(), self.fontMetrics().averageCharWidth() * _MIN_CHARS), natural.height()
        )


class ElidedLink(QLabel):
    """A web link shown on one line, elided in the middle to the label's width (the full address is
    its tooltip): a long link never sets the width of what holds it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._url: QUrl | None = None

    def set_link(self, url: QUrl | None) -> None:
        self._url = url
        self.setToolTip(url.toDisplayString() if url is not None else "")
        self._show()

    def link(self) -> QUrl | None:
        return self._url

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._show()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.fontMetrics().averageCharWidth() * 40, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.fontMetrics().averageCharWidth() * 8, super().minimumSizeHint().height())

    def _show(self) -> None:
        if self._url is None:
            super().setText("")
            return
        width = max(self.width() - 4, self.fontMetrics().averageCharWidth() * 8)
        shown = self.fontMetrics().elidedText(
            self._url.toDisplayString(), Qt.TextElideMode.ElideMiddle, width
        )
        href = html.escape(self._url.toString(QUrl.ComponentFormattingOption.FullyEncoded), quote=True)
        super().setText(f'<a href="{href}">{html.escape(shown, quote=True)}</a>')


class WrappingButton(QPushButton):
    """A push button whose text wraps over as many lines as its width needs (a headline to pick):
    QPushButton itself never wraps and will not shrink below its whole text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = WrappingLabel()
        self.caption.setObjectName("caption")
        self.caption.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.caption)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)
        self.updateGeometry()

    def caption_text(self) -> str:
        return self.caption.text()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.layout().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.layout().minimumSize()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self.layout().totalHeightForWidth(width)

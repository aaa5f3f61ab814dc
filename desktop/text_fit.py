"""Text that never widens the window: labels that wrap even inside long unbroken words, links elided
to the width they are given, and buttons whose long text wraps instead of setting a minimum width.

Qt sizes a word-wrapped label no narrower than its longest word, and a push button no narrower than
its whole text; one 300-character link or headline in a riddle's article then pushed the main window
past the screen (issue 19). Everything here asks for a small minimum width and lays its text out in
whatever width the layout gives it."""

from __future__ import annotations

import html
import re

import shiboken6
from PySide6.QtCore import QPoint, QRect, QSize, Qt, QUrl
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QLayoutItem, QPushButton, QSizePolicy, QWidget

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
        # A status set by a background op can arrive after a restore rebuilt the page and Qt deleted
        # this label (History's backup/restore test): nothing is shown any more, so nothing to do.
        if shiboken6.isValid(self):
            super().setText(breakable(text))

    def text(self) -> str:
        """The text as given, without the invisible break points."""
        return self._text

    def clear(self) -> None:
        self._text = ""
        super().clear()

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


class FlowLayout(QLayout):
    """Widgets in a row that wraps onto the next line when the width runs out, like words in a
    paragraph: a row of buttons at a large text size then never widens what holds it. Qt ships no
    flow layout among its widgets (only as an example), hence this one."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 8) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt's name
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt's name
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt's name
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        shown = [item.sizeHint() for item in self._items if not item.isEmpty()]
        width = sum(s.width() for s in shown) + self.spacing() * max(len(shown) - 1, 0)
        margins = self.contentsMargins()
        height = max((s.height() for s in shown), default=0)
        return QSize(width + margins.left() + margins.right(), height + margins.top() + margins.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt's name
        """The widest single item: everything else can go on another line."""
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, place: bool) -> int:
        """Lay the items out in lines (each item centred in its line's height); the height used."""
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        lines: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        x = area.x()
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint().boundedTo(QSize(area.width(), item.sizeHint().height()))
            if lines[-1] and x + hint.width() > area.right() + 1:
                lines.append([])
                x = area.x()
            lines[-1].append((item, hint))
            x += hint.width() + self.spacing()
        y = area.y()
        for line in lines:
            height = max((hint.height() for _item, hint in line), default=0)
            x = area.x()
            for item, hint in line:
                if place:
                    item.setGeometry(QRect(QPoint(x, y + (height - hint.height()) // 2), hint))
                x += hint.width() + self.spacing()
            y += height + self.spacing()
        used = y - self.spacing() if any(lines) else y
        return used - rect.y() + margins.bottom()

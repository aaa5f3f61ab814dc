"""The reader: today's riddles in a list, the selected one in a card; Reveal shows the answer, the
headline, the source and a link. "Riddle the news" makes riddles in the background."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.ops import BackgroundOp
from desktop.pages import PageSpec
from desktop.riddle_list import RiddleListModel, RiddleRole
from engine.progress import Progress
from engine.riddles import StoredRiddle
from engine.riddling import RiddleRun, riddle_pending


def safe_link(url: str) -> QUrl | None:
    """Only web links open, and only in the system browser: never file:, javascript: or data:."""
    qurl = QUrl(url)
    return qurl if qurl.isValid() and qurl.scheme() in ("http", "https") else None


class RiddleCard(QFrame):
    """The selected riddle: text, hints one at a time, and Reveal."""

    revealed = Signal(int)  # riddle id

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("riddleCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._stored: StoredRiddle | None = None
        self._hints_shown = 0

        self.riddle_text = QLabel(self.tr("Pick a riddle from the list."))
        self.riddle_text.setWordWrap(True)
        self.riddle_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.riddle_text.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.riddle_text.setFont(font)
        self.riddle_text.setAccessibleName(self.tr("Riddle text"))

        self.hints = QLabel()
        self.hints.setWordWrap(True)
        self.hint_button = QPushButton(self.tr("Hint"))
        self.hint_button.setShortcut("H")
        self.hint_button.clicked.connect(self.show_hint)
        self.reveal_button = QPushButton(self.tr("Reveal"))
        self.reveal_button.setShortcut("R")
        self.reveal_button.setAccessibleName(self.tr("Reveal the answer"))
        self.reveal_button.clicked.connect(self.reveal)

        self.answer = QLabel()
        self.answer.setWordWrap(True)
        bold = QFont(self.answer.font())
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.3)
        self.answer.setFont(bold)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.source = QLabel()
        self.link = QLabel()
        self.link.setTextFormat(Qt.TextFormat.RichText)
        self.link.setOpenExternalLinks(False)
        self.link.linkActivated.connect(self.open_link)
        self.answer_panel = QWidget()
        answer_layout = QVBoxLayout(self.answer_panel)
        answer_layout.setContentsMargins(0, 12, 0, 0)
        for widget in (self.answer, self.headline, self.source, self.link):
            answer_layout.addWidget(widget)
        self.answer_panel.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.hint_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(12)
        layout.addWidget(self.riddle_text)
        layout.addWidget(self.hints)
        layout.addLayout(buttons)
        layout.addWidget(self.answer_panel)
        layout.addStretch(1)
        self._set_enabled(False)

    def show_riddle(self, stored: StoredRiddle | None) -> None:
        self._stored = stored
        self._hints_shown = 0
        self.hints.clear()
        self.answer_panel.hide()
        self._set_enabled(stored is not None)
        self.riddle_text.setText(stored.riddle.text if stored else self.tr("Pick a riddle from the list."))
        if stored is not None and stored.status in ("solved", "revealed"):
            self._fill_answer(stored)

    def show_hint(self) -> None:
        if self._stored is None or self._hints_shown >= len(self._stored.riddle.hints):
            return
        self._hints_shown += 1
        shown = self._stored.riddle.hints[: self._hints_shown]
        self.hints.setText("\n".join(self.tr("Hint {n}: {text}").format(n=i + 1, text=h) for i, h in enumerate(shown)))
        self.hint_button.setEnabled(self._hints_shown < len(self._stored.riddle.hints))

    def reveal(self) -> None:
        if self._stored is None:
            return
        self._fill_answer(self._stored)
        self.revealed.emit(self._stored.id)

    def _fill_answer(self, stored: StoredRiddle) -> None:
        article = stored.article
        self.answer.setText(self.tr("Answer: {answer}").format(answer=stored.riddle.answer))
        self.headline.setText(article.title)
        self.source.setText(self.tr("Source: {source}").format(source=article.source))
        link = safe_link(article.link)
        if link is not None:
            shown = link.toDisplayString()
            self.link.setText(f'<a href="{link.toString(QUrl.ComponentFormattingOption.FullyEncoded)}">'
                              f"{_escape(shown[:80])}</a>")
        else:
            self.link.setText("")
        self.answer_panel.show()

    def open_link(self, url: str) -> None:
        link = safe_link(url)
        if link is not None:
            QDesktopServices.openUrl(link)

    def _set_enabled(self, enabled: bool) -> None:
        self.hint_button.setEnabled(enabled)
        self.reveal_button.setEnabled(enabled)


class ReaderPage(QWidget):
    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self.op: BackgroundOp | None = None

        self.riddle_button = QPushButton(self.tr("Riddle the news"))
        self.riddle_button.setAccessibleName(self.tr("Make riddles from the news"))
        self.riddle_button.clicked.connect(self.riddle_news)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.riddle_button)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.status, 2)

        self.model = RiddleListModel()
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setAlternatingRowColors(True)
        self.list.setAccessibleName(self.tr("Riddles"))
        self.list.selectionModel().selectionChanged.connect(self._selected)
        self.card = RiddleCard()
        self.card.revealed.connect(self._mark_revealed)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(self.card)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

    # -- history -------------------------------------------------------------------------------
    def load_history(self, then_riddle_if_empty: bool = True) -> None:
        def loaded(riddles: list[StoredRiddle]) -> None:
            self.model.set_riddles(riddles)
            if riddles:
                self.list.setCurrentIndex(self.model.index(0))
                self.status.setText(self.tr("{n} riddles in your history.").format(n=len(riddles)))
            elif then_riddle_if_empty:
                self.riddle_news()

        BackgroundOp(lambda _c, _r: self.context.store.riddles(limit=500), on_success=loaded,
                     on_failure=self._failed).start()

    # -- generation ----------------------------------------------------------------------------
    def riddle_news(self) -> None:
        if self.op is not None and not self.op.done:
            return
        context = self.context

        def op(cancel, report) -> RiddleRun:  # noqa: ANN001
            report(Progress("model", 0, 0, "Preparing the model…"))
            riddler = context.riddler()
            return riddle_pending(context.store, riddler, limit=20, progress=report, cancel=cancel)

        self._busy(True)
        self.op = BackgroundOp(
            op, on_success=self._riddled, on_failure=self._failed, on_progress=self._progressed,
            on_cancelled=self._cancelled,
        ).start()

    def cancel(self) -> None:
        if self.op is not None:
            self.op.cancel()
            self.status.setText(self.tr("Stopping…"))

    def _progressed(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
        else:
            self.progress.setRange(0, 0)
        if progress.message:
            self.status.setText(progress.message)
        if isinstance(progress.item, StoredRiddle):
            self.model.add_riddle(progress.item)
            if not self.list.currentIndex().isValid():
                self.list.setCurrentIndex(self.model.index(0))

    def _riddled(self, run: RiddleRun) -> None:
        self._busy(False)
        made = len(run.stored)
        text = self.tr("{n} new riddles.").format(n=made) if made else self.tr("No new articles to riddle.")
        if run.failed:
            text += " " + self.tr("{n} articles could not be riddled.").format(n=len(run.failed))
        self.status.setText(text)

    def _cancelled(self) -> None:
        self._busy(False)
        self.status.setText(self.tr("Stopped. The riddles made so far are kept."))

    def _failed(self, error: BaseException) -> None:
        from desktop.ops import failure_sentence

        self._busy(False)
        self.status.setText(failure_sentence(error))

    def _busy(self, busy: bool) -> None:
        self.riddle_button.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)

    # -- selection -----------------------------------------------------------------------------
    def _selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        self.card.show_riddle(indexes[0].data(RiddleRole) if indexes else None)

    def _mark_revealed(self, riddle_id: int) -> None:
        def op(_c, _r) -> StoredRiddle:  # noqa: ANN001
            current = self.context.store.riddle(riddle_id)
            if current.status in ("solved", "revealed"):
                return current
            self.context.store.set_status(riddle_id, "revealed")
            return self.context.store.riddle(riddle_id)

        BackgroundOp(op, on_success=self.model.replace, on_failure=self._failed).start()


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)


PAGE = PageSpec(key="reader", title="Riddles", order=10, factory=ReaderPage)

"""Blind rating, from the Evaluate page: one queued riddle at a time (engine.evaluate.ratings), its
four headlines, riddle and hints, never its arm or model. Keys mark it: A (the answer names the
story), S (the story is identifiable), G (a good riddle), R reveals the answer and the story, Enter
keeps the marks and shows the next. The arms are named only once everything is rated."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.context import AppContext
from desktop.ops import BackgroundOp, failure_sentence
from engine.evaluate import ratings

_MARKS = {Qt.Key.Key_A: "answer", Qt.Key.Key_S: "story", Qt.Key.Key_G: "good"}


class RatingDialog(QDialog):
    def __init__(self, context: AppContext, batch: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Rate riddles blind"))
        self.context, self.batch = context, batch
        self.item: ratings.BlindItem | None = None
        self.op: BackgroundOp | None = None
        self.left = QLabel()
        self.headlines = QLabel()
        self.riddle = QLabel()
        self.reveal_label = QLabel()
        for label in (self.headlines, self.riddle, self.reveal_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.marks = {
            "answer": QCheckBox(self.tr("&A  the answer names the story")),
            "story": QCheckBox(self.tr("&S  the story is identifiable from riddle and hints")),
            "good": QCheckBox(self.tr("&G  a good riddle (coherent, fair, playful, guessable)")),
        }
        self.reveal_button = QPushButton(self.tr("&Reveal answer"))
        self.reveal_button.clicked.connect(self.reveal)
        self.save_button = QPushButton(self.tr("Keep and next (Enter)"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        for widget in (self.left, self.headlines, self.riddle, self.reveal_label, *self.marks.values()):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.resize(640, 480)
        self.load_next()

    # -- keys --------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        if key in _MARKS and self.item is not None:
            box = self.marks[_MARKS[key]]
            box.setChecked(not box.isChecked())
        elif key == Qt.Key.Key_R:
            self.reveal()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save()
        else:
            super().keyPressEvent(event)

    # -- the queue ---------------------------------------------------------------------------------
    def load_next(self) -> None:
        store, batch = self.context.store, self.batch
        self.op = BackgroundOp(
            lambda _c, _r: store.run(ratings.next_item, batch),
            on_success=self.show_item,
            on_failure=self._failed,
        ).start()

    def show_item(self, item: ratings.BlindItem | None) -> None:
        self.item = item
        for box in self.marks.values():
            box.setChecked(False)
            box.setEnabled(item is not None)
        self.reveal_label.clear()
        self.save_button.setEnabled(item is not None)
        self.reveal_button.setEnabled(item is not None)
        if item is None:
            self.left.setText(self.tr("Everything queued has been rated."))
            self.headlines.clear()
            self.riddle.clear()
            self._show_report()
            return
        self.left.setText(self.tr("{n} left to rate").format(n=item.left))
        self.headlines.setText(
            self.tr("Which headline is it?")
            + "\n"
            + "\n".join(f"{chr(65 + i)}. {title}" for i, title in enumerate(item.options))
        )
        hints = "\n".join(
            self.tr("Hint {n}: {hint}").format(n=n, hint=h) for n, h in enumerate(item.hints, start=1)
        )
        self.riddle.setText(self.tr("Riddle: {riddle}").format(riddle=item.riddle) + "\n" + hints)

    def reveal(self) -> None:
        if self.item is not None:
            self.reveal_label.setText(
                self.tr("Answer: {answer}\nStory: {letter}. {title}").format(
                    answer=self.item.answer, letter=chr(65 + self.item.answer_index), title=self.item.title
                )
            )

    def save(self) -> None:
        if self.item is None or (self.op is not None and not self.op.done):
            return
        marks = {name: box.isChecked() for name, box in self.marks.items()}
        store, item_id = self.context.store, self.item.id
        self.save_button.setEnabled(False)
        self.op = BackgroundOp(
            lambda _c, _r: store.run(ratings.mark, item_id, **marks),
            on_success=lambda _none: self.load_next(),
            on_failure=self._failed,
        ).start()

    def _show_report(self) -> None:
        """Only now, with nothing left to rate, are the arms named."""
        store, batch = self.context.store, self.batch
        self.op = BackgroundOp(
            lambda _c, _r: ratings.report_text(store.run(ratings.report, batch)),
            on_success=self.status.setText,
            on_failure=self._failed,
        ).start()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(failure_sentence(error))
        self.save_button.setEnabled(self.item is not None)

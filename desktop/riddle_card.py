"""The card of one riddle: read it, guess it (free text or one of four headlines), take hints one at
a time, reveal, skip, rate it and keep it as a favourite.

The card only shows and asks; it never touches the history. Each action is a signal, and the page
answers with `show_entry` / `show_verdict` once the history has recorded it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.icons import icon
from desktop.text_fit import ElidedLink, FlowLayout, WrappingButton, WrappingLabel
from engine.answers import Verdict
from engine.store.history import HistoryEntry

FINISHED = ("solved", "revealed")
STREAK_MOMENT_MS = 8000  # how long the streak moment stays
_SIZES = {"riddle": 1.5, "answer": 1.3}  # relative to the card's base font


def safe_link(url: str) -> QUrl | None:
    """Only web links open, and only in the system browser: never file:, javascript: or data:."""
    qurl = QUrl(url)
    return qurl if qurl.isValid() and qurl.scheme() in ("http", "https") else None


def _label(name: str, accessible: str, selectable: bool = False) -> WrappingLabel:
    # Riddles and headlines are untrusted text: Qt's AutoText would render "<img src=...>" in them as
    # HTML (tests/robustness/test_hostile_output.py), so WrappingLabel is plain text; the link label
    # alone is rich text, built from an escaped address. Every label wraps, even inside a long word.
    label = WrappingLabel()
    label.setObjectName(name)
    label.setAccessibleName(accessible)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _button(text: str, name: str, accessible: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    button.setToolTip(tip)
    return button


def _app_point_size() -> float:
    size = QApplication.font().pointSizeF()
    return size if size > 0 else 10.0


class RiddleCard(QFrame):
    guessed = Signal(int, str, str)  # riddle id, guess, mode ("text" | "choice")
    hint_taken = Signal(int)
    revealed = Signal(int)
    skipped = Signal(int)
    rated = Signal(int, int, str)  # riddle id, rating (-1, 0, 1), comment
    commented = Signal(int, str)  # riddle id, comment (the rating stays as it is)
    favourite_set = Signal(int, bool)
    next_wanted = Signal(int)  # the riddle just finished: on to the next one not yet played

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("riddleCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.entry: HistoryEntry | None = None
        self.choices: tuple[str, ...] = ()
        self.base_point_size = _app_point_size()
        self._build_riddle()
        self._build_guess()
        self._build_answer()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(10)
        for part in (
            self.meta_row,
            self.riddle_text,
            self.hints,
            self.actions_row,
            self.guess_row,
            self.verdict,
            self.moment_row,
            self.choices_panel,
            self.answer_panel,
        ):
            if isinstance(part, QWidget):
                layout.addWidget(part)
            else:
                layout.addLayout(part)
        layout.addStretch(1)
        self.text_scale = 1.0
        self.set_text_scale(1.0)
        self.show_entry(None)

    # -- building ------------------------------------------------------------------------------
    def _build_riddle(self) -> None:
        tr = self.tr
        self.meta = _label("riddleMeta", tr("Riddle state"))
        self.meta.setProperty("role", "explanation")
        self.riddle_text = _label("riddleText", tr("Riddle text"), selectable=True)
        self.hints = _label("hints", tr("Hints"))
        self.hint_button = _button(
            tr("Hint (−1)"),
            "hintButton",
            tr("Show a hint, for a point"),
            tr("Show the next hint: a solve is then worth a point less (H)"),
        )
        self.hint_button.setShortcut("H")
        self.hint_button.clicked.connect(self._hint)
        self.reveal_button = _button(
            tr("Reveal"), "revealButton", tr("Reveal the answer"), tr("Reveal the answer (R)")
        )
        self.reveal_button.setShortcut("R")
        self.reveal_button.clicked.connect(self.reveal)
        self.skip_button = _button(
            tr("Skip"), "skipButton", tr("Skip this riddle"), tr("Skip to the next riddle (S)")
        )
        self.skip_button.setShortcut("S")
        self.skip_button.clicked.connect(self._skip)
        self.favourite_button = _button("", "favouriteButton", tr("Favourite"), tr("Keep as a favourite (F)"))
        self.favourite_button.setCheckable(True)
        self.favourite_button.setShortcut("F")
        self.favourite_button.clicked.connect(self._favourite)
        self.next_button = _button(
            tr("Next riddle"), "nextButton", tr("Next riddle"), tr("On to the next riddle not played yet")
        )
        self.next_button.setProperty("role", "primary")
        self.next_button.clicked.connect(self._next)
        self.guess_count = QLabel()  # a short count: it never wraps, and never needs to
        self.guess_count.setObjectName("guessCount")
        self.guess_count.setAccessibleName(tr("Guesses made"))
        self.guess_count.setProperty("role", "explanation")
        # The actions wrap onto a second line rather than widen the card at a large text size.
        self.actions_row = FlowLayout()
        for widget in (
            self.next_button,
            self.hint_button,
            self.reveal_button,
            self.skip_button,
            self.guess_count,
        ):
            self.actions_row.addWidget(widget)
        self.meta_row = QHBoxLayout()
        self.meta_row.addWidget(self.meta, 1)
        self.meta_row.addWidget(self.favourite_button, 0, Qt.AlignmentFlag.AlignTop)
        self.moment = _label("streakMoment", tr("Streak"))
        self.moment.setProperty("role", "good")
        self.moment_icon = QLabel()
        self.moment_row = QWidget()
        row = QHBoxLayout(self.moment_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.moment_icon)
        row.addWidget(self.moment, 1)
        self.moment_row.hide()
        self._moment_timer = QTimer(self)
        self._moment_timer.setSingleShot(True)
        self._moment_timer.timeout.connect(self.moment_row.hide)

    def _build_guess(self) -> None:
        tr = self.tr
        self.guess_edit = QLineEdit()
        self.guess_edit.setObjectName("guessEdit")
        self.guess_edit.setPlaceholderText(tr("Your guess: who or what is it? (G to type, Enter to check)"))
        self.guess_edit.setAccessibleName(tr("Your guess"))
        self.guess_edit.setMaxLength(200)
        self.guess_edit.returnPressed.connect(self._guess_text)
        self.guess_button = _button(
            tr("Guess"), "guessButton", tr("Check the guess"), tr("Check your guess (Enter)")
        )
        self.guess_button.clicked.connect(self._guess_text)
        self.guess_row = QHBoxLayout()
        self.guess_row.addWidget(self.guess_edit, 1)
        self.guess_row.addWidget(self.guess_button)
        self.verdict = _label("verdict", tr("Verdict"))

        self.choices_panel = QWidget()
        self.choices_panel.setObjectName("choices")
        grid = QGridLayout(self.choices_panel)
        grid.setContentsMargins(0, 4, 0, 4)
        title = _label("choicesTitle", tr("Multiple choice"))
        title.setText(tr("Or pick the headline it is about (1–4):"))
        grid.addWidget(title, 0, 0, 1, 2)
        self.choice_buttons: list[WrappingButton] = []
        for i in range(4):
            button = WrappingButton()
            button.setObjectName(f"choice{i + 1}")
            button.setAccessibleName(tr("Headline {n}").format(n=i + 1))
            button.clicked.connect(lambda _checked=False, n=i: self._guess_choice(n))
            self.choice_buttons.append(button)
            grid.addWidget(button, 1 + i // 2, i % 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    def _build_answer(self) -> None:
        tr = self.tr
        self.answer = _label("answer", tr("Answer"), selectable=True)
        self.headline = _label("headline", tr("Headline"), selectable=True)
        self.source = _label("source", tr("Source"))
        self.summary = _label("summary", tr("Summary"), selectable=True)
        self.summary.setProperty("role", "explanation")
        self.link = ElidedLink()
        self.link.setObjectName("link")
        self.link.setAccessibleName(tr("Link to the article"))
        self.link.setOpenExternalLinks(False)
        self.link.linkActivated.connect(self.open_link)
        # The story's other outlets (issue 19: one riddle per story), listed once the riddle is played.
        self.outlets = QWidget()
        self.outlets.setObjectName("outlets")
        self._outlet_rows = QVBoxLayout(self.outlets)
        self._outlet_rows.setContentsMargins(0, 4, 0, 0)
        self._outlets: dict[int, tuple] = {}  # riddle id -> engine.store.clusters.Outlet rows
        # Icons, not emoji: a stock Linux font set has no thumbs glyphs (they showed as empty boxes).
        self.thumbs_up = _button("", "thumbsUp", tr("Good riddle"), tr("A good riddle (U)"))
        self.thumbs_down = _button("", "thumbsDown", tr("Poor riddle"), tr("A poor riddle (D)"))
        for button, key, value in ((self.thumbs_up, "U", 1), (self.thumbs_down, "D", -1)):
            button.setCheckable(True)
            button.setShortcut(key)
            button.clicked.connect(lambda _checked=False, v=value: self._rate(v))
        self.comment = QLineEdit()
        self.comment.setObjectName("comment")
        self.comment.setPlaceholderText(tr("What made it good or poor? (optional, Enter to save)"))
        self.comment.setAccessibleName(tr("Comment on the riddle"))
        self.comment.setMaxLength(1000)
        self.comment.returnPressed.connect(self._save_comment)
        rating = QHBoxLayout()
        rating.addWidget(self.thumbs_up)
        rating.addWidget(self.thumbs_down)
        rating.addWidget(self.comment, 1)
        self.answer_panel = QWidget()
        self.answer_panel.setObjectName("answerPanel")
        layout = QVBoxLayout(self.answer_panel)
        layout.setContentsMargins(0, 12, 0, 0)
        self.maker = _label("maker", self.tr("The model that made this riddle"))
        self.maker.setProperty("role", "explanation")
        self._makers: dict[int, str] = {}  # riddle id -> its model, named only once it is played (arena)
        for widget in (
            self.answer,
            self.headline,
            self.source,
            self.summary,
            self.link,
            self.outlets,
            self.maker,
        ):
            layout.addWidget(widget)
        layout.addLayout(rating)

    # -- showing -------------------------------------------------------------------------------
    def show_entry(self, entry: HistoryEntry | None, choices: tuple[str, ...] | None = None) -> None:
        """Show a riddle as the history has it. Choices are kept when the same riddle is shown again."""
        same = entry is not None and self.entry is not None and entry.id == self.entry.id
        self.entry = entry
        if choices is not None:
            self.choices = choices
        elif not same:
            self.choices = ()
        if not same:
            self.guess_edit.clear()
            self.verdict.clear()
            self.moment_row.hide()
            self.comment.setText(entry.play.comment if entry else "")
        if entry is None:
            self.riddle_text.setText(self.tr("Pick a riddle from the list."))
            self.meta.clear()
            self.hints.clear()
        else:
            self.riddle_text.setText(entry.stored.riddle.text)
            self.meta.setText(self._meta_text(entry))
            self._show_hints(entry)
        self.guess_count.setText(self._guesses_text(entry))
        self._show_choices(entry, reset=not same)
        self._show_play_state(entry)

    def show_verdict(self, verdict: Verdict, guess: str, mode: str) -> None:
        text = {
            Verdict.RIGHT: self.tr("Right! It is {answer}."),
            Verdict.CLOSE: self.tr("Close: “{guess}” is part of it. Keep going."),
            Verdict.WRONG: self.tr("Not “{guess}”. Try again, take a hint, or pick a headline.")
            if mode == "text"
            else self.tr("Not that headline. Try another."),
        }[verdict]
        answer = self.entry.stored.riddle.answer if self.entry else ""
        self.verdict.setText(text.format(answer=answer, guess=guess[:60]))
        self.verdict.setProperty(
            "role", {Verdict.RIGHT: "good", Verdict.CLOSE: "warn", Verdict.WRONG: "bad"}[verdict]
        )
        self.verdict.style().unpolish(self.verdict)
        self.verdict.style().polish(self.verdict)
        if verdict is not Verdict.RIGHT and mode == "choice" and guess in self.choices:
            self.choice_buttons[self.choices.index(guess)].setEnabled(False)

    def name_maker(self, riddle_id: int, model: str) -> None:
        """The model that made a riddle, for the arena: said on the card once the riddle is played,
        never before (the arena is blind)."""
        self._makers[riddle_id] = model
        if self.entry is not None and self.entry.id == riddle_id and self.entry.stored.status in FINISHED:
            self._fill_answer(self.entry)

    def show_streak(self, streak: int) -> None:
        """The moment a streak grows: said on the card for a few seconds."""
        self.moment.setText(self.tr("Streak of %n! That is %n solved in a row.", "", streak))
        side = round(self.base_point_size * self.text_scale * 1.8)
        self.moment_icon.setPixmap(icon("streak", "warn").pixmap(side, side))
        self.moment_row.show()
        self._moment_timer.start(STREAK_MOMENT_MS)

    def _guesses_text(self, entry: HistoryEntry | None) -> str:
        if entry is None:
            return ""
        made = entry.play.wrong_guesses + (1 if entry.stored.status == "solved" else 0)
        return self.tr("Guessed %n time(s)", "", made) if made else self.tr("No guesses yet")

    def _meta_text(self, entry: HistoryEntry) -> str:
        stored, play = entry.stored, entry.play
        difficulty = {"easy": self.tr("Easy"), "medium": self.tr("Medium"), "hard": self.tr("Hard")}.get(
            stored.riddle.difficulty, stored.riddle.difficulty
        )
        state = {
            "new": self.tr("not played yet"),
            "solved": self.tr("solved, %n point(s)", "", play.points),
            "revealed": self.tr("revealed"),
            "skipped": self.tr("skipped"),
        }.get(stored.status, stored.status)
        return f"{difficulty} · {state} · {stored.article.source}"

    def _show_hints(self, entry: HistoryEntry) -> None:
        hints = entry.stored.riddle.hints
        shown = len(hints) if entry.stored.status in FINISHED else min(entry.play.hints_used, len(hints))
        self.hints.setText(
            "\n".join(
                self.tr("Hint {n}: {text}").format(n=i + 1, text=h) for i, h in enumerate(hints[:shown])
            )
        )
        self.hint_button.setEnabled(entry.stored.status not in FINISHED and shown < len(hints))

    def _show_choices(self, entry: HistoryEntry | None, reset: bool) -> None:
        playable = entry is not None and entry.stored.status not in FINISHED and len(self.choices) >= 2
        self.choices_panel.setVisible(playable)
        for i, button in enumerate(self.choice_buttons):
            text = self.choices[i] if i < len(self.choices) else ""
            button.set_caption(f"{i + 1}. {text}" if text else "")  # plain text: "&" stays "&"
            button.setToolTip(text)
            button.setVisible(bool(text))
            if reset:
                button.setEnabled(True)

    def _show_play_state(self, entry: HistoryEntry | None) -> None:
        finished = entry is not None and entry.stored.status in FINISHED
        playing = entry is not None and not finished
        for widget in (self.guess_edit, self.guess_button, self.reveal_button):
            widget.setEnabled(playing)
        self.skip_button.setEnabled(entry is not None and entry.stored.status == "new")
        self.next_button.setVisible(finished)
        self.favourite_button.setEnabled(entry is not None)
        self.favourite_button.setChecked(entry is not None and entry.stored.favourite)
        self._show_icons()
        if not playing:
            self.hint_button.setEnabled(False)
        if finished:
            self._fill_answer(entry)
        else:
            self.answer_panel.hide()

    def _fill_answer(self, entry: HistoryEntry) -> None:
        article = entry.stored.article
        self.answer.setText(self.tr("Answer: {answer}").format(answer=entry.stored.riddle.answer))
        self.headline.setText(article.title)
        self.source.setText(self.tr("Source: {source}").format(source=article.source))
        self.summary.setText(article.brief(400))
        self.link.set_link(safe_link(article.link))
        self._fill_outlets(entry)
        maker = self._makers.get(entry.id, "")
        self.maker.setText(self.tr("Made by {model}").format(model=maker) if maker else "")
        self.maker.setVisible(bool(maker))
        self.thumbs_up.setChecked(entry.stored.rating == 1)
        self.thumbs_down.setChecked(entry.stored.rating == -1)
        self._show_icons()
        self.answer_panel.show()

    def set_outlets(self, riddle_id: int, outlets: tuple) -> None:
        """Every outlet of the riddle's story (engine.store.clusters.cluster_outlets), shown once played."""
        self._outlets[riddle_id] = outlets
        if self.entry is not None and self.entry.id == riddle_id:
            self._fill_outlets(self.entry)

    def outlets_text(self) -> str:
        return "\n".join(label.text() for label in self.outlets.findChildren(QLabel))

    def _fill_outlets(self, entry: HistoryEntry) -> None:
        while (item := self._outlet_rows.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.setParent(None)
                widget.deleteLater()
        others = [o for o in self._outlets.get(entry.id, ()) if o.article_id != entry.stored.article.id]
        if others:
            heading = _label("outletsHeading", self.tr("Also told by"))
            heading.setText(self.tr("Also told by:"))
            self._outlet_rows.addWidget(heading)
        for outlet in others:
            line = _label("outlet", self.tr("Another outlet's headline"), selectable=True)
            line.setText(f"{outlet.source or self.tr('Another outlet')}: {outlet.title}")
            link = ElidedLink()
            link.setAccessibleName(self.tr("Link to this outlet's article"))
            link.setOpenExternalLinks(False)
            link.set_link(safe_link(outlet.link))
            link.linkActivated.connect(self.open_link)
            self._outlet_rows.addWidget(line)
            self._outlet_rows.addWidget(link)
        self.outlets.setVisible(bool(others))

    def _show_icons(self) -> None:
        """The buttons' icons in the current theme's colours (again after a theme change)."""
        self.next_button.setIcon(icon("next", "on_accent"))
        favourite = self.favourite_button.isChecked()
        self.favourite_button.setIcon(icon("star-filled", "accent") if favourite else icon("star"))
        self.thumbs_up.setIcon(icon("thumb-up", "good" if self.thumbs_up.isChecked() else "text"))
        self.thumbs_down.setIcon(icon("thumb-down", "bad" if self.thumbs_down.isChecked() else "text"))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.PaletteChange:  # a theme change
            self._show_icons()
        elif event.type() == QEvent.Type.StyleChange and _app_point_size() != self.base_point_size:
            # The text-size setting changed the application's font. The card's own fonts are set
            # explicitly (for its zoom), so Qt does not pass the change on: follow it here.
            self.base_point_size = _app_point_size()
            self.set_text_scale(self.text_scale)
        return super().event(event)

    def set_text_scale(self, scale: float) -> None:
        """Text size of the card, relative to the application's font (the page's zoom)."""
        self.text_scale = scale
        self.base_point_size = _app_point_size()
        base = self.base_point_size * scale
        side = round(base * 1.8)
        for button in (self.favourite_button, self.thumbs_up, self.thumbs_down):
            button.setIconSize(QSize(side, side))
        # Every text of the card follows its zoom: once any style sheet applies, Qt no longer passes a
        # parent's font down, so the sizes are set here, by the card's own style sheet. Disabled buttons
        # look disabled in both themes (a dashed border, not only a paler text).
        self.setStyleSheet(
            f"QWidget {{ font-size: {base:.1f}pt; }}\n"
            f"QLabel#riddleText {{ font-size: {base * _SIZES['riddle']:.1f}pt; }}\n"
            f"QLabel#answer {{ font-size: {base * _SIZES['answer']:.1f}pt; font-weight: bold; }}\n"
            f'QLabel[role="explanation"] {{ font-size: {base * 0.92:.1f}pt; }}\n'
            "QPushButton:disabled { border-style: dashed; }"
        )
        for widget in (self, self.guess_edit, self.comment, *self.choice_buttons):
            font = QFont(widget.font())
            font.setPointSizeF(base)
            widget.setFont(font)
        for widget, factor, bold in (
            (self.riddle_text, _SIZES["riddle"], False),
            (self.answer, _SIZES["answer"], True),
        ):
            font = QFont(widget.font())
            font.setPointSizeF(base * factor)
            font.setBold(bold)
            widget.setFont(font)

    # -- actions -------------------------------------------------------------------------------
    def focus_guess(self) -> None:
        if self.guess_edit.isEnabled():
            self.guess_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.guess_edit.selectAll()

    def show_hint(self) -> None:
        self._hint()

    def reveal(self) -> None:
        if self.entry is not None and self.entry.stored.status not in FINISHED:
            self.revealed.emit(self.entry.id)

    def choose(self, number: int) -> None:
        """Pick choice `number` (1-4), as the 1-4 keys do."""
        if 1 <= number <= len(self.choice_buttons) and self.choice_buttons[number - 1].isEnabled():
            self._guess_choice(number - 1)

    def _hint(self) -> None:
        if self.entry is not None and self.hint_button.isEnabled():
            self.hint_taken.emit(self.entry.id)

    def _next(self) -> None:
        if self.entry is not None:
            self.next_wanted.emit(self.entry.id)

    def _skip(self) -> None:
        if self.entry is not None:
            self.skipped.emit(self.entry.id)

    def _favourite(self) -> None:
        if self.entry is not None:
            self.favourite_set.emit(self.entry.id, not self.entry.stored.favourite)

    def _guess_text(self) -> None:
        text = self.guess_edit.text().strip()
        if self.entry is not None and text and self.guess_edit.isEnabled():
            self.guessed.emit(self.entry.id, text, "text")

    def _guess_choice(self, index: int) -> None:
        if self.entry is not None and index < len(self.choices) and self.choices_panel.isVisible():
            self.guessed.emit(self.entry.id, self.choices[index], "choice")

    def _rate(self, value: int) -> None:
        if self.entry is None or not self.answer_panel.isVisible():
            return
        pressed, other = (
            (self.thumbs_up, self.thumbs_down) if value == 1 else (self.thumbs_down, self.thumbs_up)
        )
        if pressed.isChecked():
            other.setChecked(False)
        self._show_icons()
        rating = value if pressed.isChecked() else 0  # pressing it again takes it back
        self.rated.emit(self.entry.id, rating, self.comment.text())

    def _save_comment(self) -> None:
        if self.entry is not None:
            self.commented.emit(self.entry.id, self.comment.text())

    def open_link(self, url: str) -> None:
        link = safe_link(url)
        if link is not None:
            QDesktopServices.openUrl(link)

"""The reader: the day's game. Riddles in a list (newest first, loaded page by page), the selected
one in a card to guess, hint, reveal, skip, rate and favourite; the day's score and streak above.
"Riddle the news" makes riddles in the background.

Keys: N / P (or Alt+→ / Alt+←) next and previous, G guess, Enter check, 1–4 pick a headline,
H hint, R reveal, S skip, F favourite, U / D thumbs, Esc back to the list, Ctrl+= / Ctrl+- / Ctrl+0
text size."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QItemSelection, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListView,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.ops import BackgroundOp, failure_sentence
from desktop.pages import PageSpec
from desktop.riddle_card import RiddleCard, safe_link
from desktop.riddle_list import RiddleListModel, RiddleRole, history_events, history_pool
from desktop.text_fit import WrappingLabel
from engine import arena
from engine.active_model import open_riddler
from engine.answers import Verdict
from engine.batching import riddle_articles_batched, riddle_pending_batched
from engine.errors import Cancelled, EngineError
from engine.game import DayScore
from engine.progress import Progress
from engine.riddles import StoredRiddle
from engine.riddling import DEFAULT_SAMPLING, RiddleRun
from engine.settings import sampling
from engine.store import Store
from engine.store import play as plays
from engine.store.clusters import cluster_outlets
from engine.store.history import HistoryEntry, HistoryFilter, RiddleLine, entry, lines

__all__ = ["PAGE", "ReaderPage", "safe_link"]  # safe_link: the feeds page opens links the same way

log = logging.getLogger(__name__)
TEXT_SCALES = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0)
CONFIRM_REVEAL_AT = 3  # a reveal that would end a streak this long asks first


def _overview(store: Store) -> tuple[int, DayScore]:
    return store.count_riddles(), plays.score_of_day(store)


def _card_view(
    store: Store, riddle_id: int, in_arena: bool
) -> tuple[HistoryEntry, tuple[str, ...], str, tuple]:
    maker = arena.model_of(store, riddle_id) if in_arena else ""
    shown = entry(store, riddle_id)
    outlets = cluster_outlets(store, shown.stored.article.id)  # the story's outlets, for after a play
    return shown, plays.headline_choices(store, riddle_id), maker, outlets


def _arena_play(store: Store, riddle_id: int) -> tuple[arena.Ratings | None, str]:
    return arena.record_play(store, riddle_id), arena.model_of(store, riddle_id)


class ReaderPage(QWidget):
    riddles_made = Signal(int)  # a generation finished with this many new riddles (the tray listens)
    text_scale_changed = Signal(float)

    def __init__(self, context: AppContext):
        super().__init__()
        self.setObjectName("readerPage")
        self.context = context
        self.op: BackgroundOp | None = None
        self.text_scale = 1.0
        self.score = DayScore()
        self.confirm_reveal: QMessageBox | None = None  # open while a reveal waits for a yes
        self.arena = False  # whether the list now deals the arena (the setting is on and today has one)
        self._arena_setting = bool(context.settings["game.arena"])
        self._no_arena_said = False
        self._announce = True
        self._arena_counted: dict[int, tuple[str, int]] = {}  # riddle id -> (status, rating) last counted
        context.settings_listeners.append(self._settings_changed)
        self._riddle_if_empty = False  # set by load_history
        self._wanted: int | None = None  # the riddle the card should show once loaded
        self._build_bar()
        self.model = RiddleListModel()
        self.model.page_loaded.connect(self._page_loaded)
        self.model.failed.connect(self.status.setText)
        self.list = QListView()
        self.list.setObjectName("riddleList")
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.list.setAccessibleName(self.tr("Riddles"))
        self.list.selectionModel().selectionChanged.connect(self._selected)
        self.card = RiddleCard()
        self._connect_card()
        self.list.setMinimumWidth(240)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        # The card scrolls when its riddle, hints and answer are taller than the window; it never
        # scrolls sideways, since nothing in it may be wider than the space it is given.
        self.card_scroll = QScrollArea()
        self.card_scroll.setObjectName("cardScroll")
        self.card_scroll.setWidget(self.card)
        self.card_scroll.setWidgetResizable(True)
        self.card_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        splitter = QSplitter()
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.list)
        splitter.addWidget(self.card_scroll)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([380, 620])
        layout = QVBoxLayout(self)
        layout.addLayout(self.bar)
        layout.addWidget(self.score_label)
        layout.addWidget(splitter, 1)
        self._build_keys()
        events = history_events()
        events.replaced.connect(lambda: self.load_history(then_riddle_if_empty=False))
        events.changed.connect(self.model.replace)

    def _build_bar(self) -> None:
        self.riddle_button = QPushButton(self.tr("Riddle the news"))
        self.riddle_button.setObjectName("riddleButton")
        self.riddle_button.setProperty("role", "primary")
        self.riddle_button.setAccessibleName(self.tr("Make riddles from the news"))
        self.riddle_button.clicked.connect(self.riddle_news)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = WrappingLabel()
        self.status.setObjectName("readerStatus")
        self.status.setAccessibleName(self.tr("Status"))
        self.score_label = WrappingLabel()
        self.score_label.setObjectName("score")
        self.score_label.setAccessibleName(self.tr("Today's score"))
        self.bar = QHBoxLayout()
        self.bar.addWidget(self.riddle_button)
        self.bar.addWidget(self.progress, 1)
        self.bar.addWidget(self.cancel_button)
        self.bar.addWidget(self.status, 2)

    def _connect_card(self) -> None:
        store = self.context.store
        self.card.guessed.connect(self.guess)
        self.card.hint_taken.connect(lambda rid: self._play(lambda: store.run(plays.take_hint, rid)))
        self.card.revealed.connect(self.reveal)
        self.card.next_wanted.connect(lambda _rid: self.next_riddle())
        self.card.skipped.connect(self.skip)
        self.card.rated.connect(
            lambda rid, rating, comment: self._play(
                lambda: store.run(plays.rate, rid, rating, comment), then=self._rated
            )
        )
        self.card.commented.connect(
            lambda rid, comment: self._play(lambda: store.run(plays.comment, rid, comment), then=self._rated)
        )
        self.card.favourite_set.connect(
            lambda rid, on: self._play(lambda: store.run(plays.set_favourite, rid, on))
        )

    def _build_keys(self) -> None:
        keys: list[tuple[str, list[str], Callable[[], Any]]] = [
            (self.tr("Next riddle"), ["N", "Alt+Right"], lambda: self.move(1)),
            (self.tr("Previous riddle"), ["P", "Alt+Left"], lambda: self.move(-1)),
            (self.tr("Type a guess"), ["G", "Ctrl+G"], self.card.focus_guess),
            *[
                (
                    self.tr("Pick headline {n}").format(n=n),
                    [str(n)],
                    lambda _checked=False, n=n: self.card.choose(n),
                )
                for n in range(1, 5)
            ],
            (
                self.tr("Back to the list"),
                ["Escape"],
                lambda: self.list.setFocus(Qt.FocusReason.ShortcutFocusReason),
            ),
            (self.tr("Larger text"), ["Ctrl+=", "Ctrl++"], lambda: self.step_text_scale(1)),
            (self.tr("Smaller text"), ["Ctrl+-"], lambda: self.step_text_scale(-1)),
            (self.tr("Normal text size"), ["Ctrl+0"], lambda: self.set_text_scale(1.0)),
        ]
        self.key_actions: dict[str, QAction] = {}
        for text, shortcuts, slot in keys:
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.triggered.connect(slot)
            self.addAction(action)
            self.key_actions[text] = action

    # -- history -------------------------------------------------------------------------------
    def load_history(
        self, then_riddle_if_empty: bool = True, arena_if_on: bool = True, announce: bool = True
    ) -> None:
        """Show the newest riddles first; older ones load as the list scrolls. With the Arena setting on,
        the day's riddles of two or more models, unlabelled (engine/arena.py)."""
        self._riddle_if_empty = then_riddle_if_empty
        self._announce = announce  # say how many riddles the history holds, once loaded
        store = self.context.store
        self.arena = arena_if_on and bool(self.context.settings["game.arena"])
        if self.arena:
            self.model.load(lambda before, limit: store.run(arena.arena_lines, before, limit))
        else:
            self.model.load(lambda before, limit: store.run(lines, HistoryFilter(), before, limit))

    def _settings_changed(self, settings: Any) -> None:  # noqa: ANN401 - engine.settings.Settings
        wanted = bool(settings["game.arena"])
        if wanted != self._arena_setting:
            self._arena_setting = wanted
            self.load_history(then_riddle_if_empty=False)

    def _page_loaded(self, added: int, first: bool) -> None:
        if not first:
            return
        if self.arena and not self.model.rowCount():
            self._no_arena_said = True  # said once the full list is in
            self.load_history(self._riddle_if_empty, arena_if_on=False, announce=self._announce)
            return
        if self.model.rowCount() and not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.model.index(0))
        elif not self.model.rowCount() and self._riddle_if_empty:
            self.riddle_news()
        self.refresh_score(announce_count=self._announce and not self._no_arena_said)
        if self._no_arena_said:
            self._no_arena_said = False
            self.status.setText(
                self.tr(
                    "No arena today: it needs riddles of today from two or more models. Showing all riddles."
                )
            )

    def refresh_score(self, announce_count: bool = False, solved: int | None = None) -> None:
        """Show the day's score; after a solve (of riddle `solved`), mark the moment the streak grows."""

        def shown(result: tuple[int, DayScore]) -> None:
            total, before = result[0], self.score
            self.score = result[1]
            self.score_label.setText(self._score_text(self.score))
            if announce_count and total:
                self.status.setText(self.tr("%n riddle(s) in your history.", "", total))
            grew = self.score.streak > before.streak and self.score.streak >= 2
            if solved is not None and grew and self._showing(solved):
                self.card.show_streak(self.score.streak)

        BackgroundOp(
            lambda _c, _r: self.context.store.run(_overview),
            on_success=shown,
            on_failure=self._say_failure,
            pool=history_pool(),
        ).start()

    def _score_text(self, score: DayScore) -> str:
        points = self.tr("%n point(s)", "", score.points)
        return self.tr("Today: {points} · {solved} solved · streak {streak} (best {best})").format(
            points=points, solved=score.solved, streak=score.streak, best=score.best_streak
        )

    # -- playing -------------------------------------------------------------------------------
    def guess(self, riddle_id: int, text: str, mode: str) -> None:
        def judged(result: plays.GuessResult) -> None:
            self._show(result.entry, solved=result.verdict is Verdict.RIGHT)
            if self._showing(riddle_id):
                self.card.show_verdict(result.verdict, text, mode)

        self._play(lambda: self.context.store.run(plays.guess, riddle_id, text, mode), then=judged)

    def skip(self, riddle_id: int) -> None:
        self._play(lambda: self.context.store.run(plays.skip, riddle_id))
        self.move(1)

    def _play(self, call: Callable[[], Any], then: Callable[[Any], None] | None = None) -> None:
        """Record a play in the history (on the database thread), then show what it now holds."""
        BackgroundOp(
            lambda _c, _r: call(),
            on_success=then or self._show,
            on_failure=self._say_failure,
            pool=history_pool(),
        ).start()

    def reveal(self, riddle_id: int) -> None:
        """Reveal the answer; when that would end a streak of CONFIRM_REVEAL_AT or more, ask first."""
        if self.score.streak < CONFIRM_REVEAL_AT:
            self._play(lambda: self.context.store.run(plays.reveal, riddle_id))
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Reveal the answer?"),
            self.tr("Revealing ends your streak of %n solved in a row.", "", self.score.streak),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        reveal = box.addButton(self.tr("Reveal"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(self.tr("Keep guessing"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            self.confirm_reveal = None
            if box.clickedButton() is reveal:
                self._play(lambda: self.context.store.run(plays.reveal, riddle_id))
            box.deleteLater()

        box.finished.connect(answered)
        self.confirm_reveal = box
        box.open()

    def _show(self, updated: HistoryEntry, solved: bool = False) -> None:
        line = RiddleLine.of(updated.stored)
        self.model.replace(line)
        history_events().changed.emit(line)
        if self._showing(updated.id):
            self.card.show_entry(updated)
        self.refresh_score(solved=updated.id if solved else None)
        if self.arena:
            self._count_in_arena(updated)

    def _count_in_arena(self, updated: HistoryEntry) -> None:
        """A finished play (or a changed thumb on one) is evidence for its model; then name the model."""
        state = (updated.stored.status, updated.stored.rating)
        if updated.stored.status not in arena.FINISHED or self._arena_counted.get(updated.id) == state:
            return
        self._arena_counted[updated.id] = state

        def counted(result: tuple[arena.Ratings | None, str]) -> None:
            ratings, model = result
            self.card.name_maker(updated.id, model)
            if ratings is not None:
                self.status.setText(self.tr("Arena, {line}.").format(line=ratings.line()))

        BackgroundOp(
            lambda _c, _r: self.context.store.run(_arena_play, updated.id),
            on_success=counted,
            on_failure=self._say_failure,
            pool=history_pool(),
        ).start()

    def _rated(self, updated: HistoryEntry) -> None:
        self._show(updated)
        self.status.setText(self.tr("Thanks: your rating is kept with the riddle."))

    def _showing(self, riddle_id: int) -> bool:
        return self.card.entry is not None and self.card.entry.id == riddle_id

    # -- navigation ----------------------------------------------------------------------------
    def move(self, step: int) -> None:
        current = self.list.currentIndex()
        row = (current.row() + step) if current.isValid() else 0
        if 0 <= row < self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(row))
        elif row >= self.model.rowCount() and self.model.canFetchMore():
            self.model.fetchMore()

    def next_riddle(self) -> None:
        """On to the next riddle not yet solved or revealed: in the arena, the next one dealt (so no
        model is over-shown); else further down the list first, then from the top; the next row when
        every loaded riddle is played (older pages may still hold some)."""
        if self.arena:
            BackgroundOp(
                lambda _c, _r: self.context.store.run(arena.arena_queue),
                on_success=self._deal,
                on_failure=self._say_failure,
                pool=history_pool(),
            ).start()
            return
        self._next_in_list()

    def _deal(self, queue: list[int]) -> None:
        row = self.model.row_of(queue[0]) if queue else None
        if row is None:
            self._next_in_list()
        else:
            self.list.setCurrentIndex(self.model.index(row))

    def _next_in_list(self) -> None:
        current = self.list.currentIndex().row() if self.list.currentIndex().isValid() else -1
        rows = self.model.rowCount()
        for row in [*range(current + 1, rows), *range(0, max(current, 0))]:
            if self.model.line_at(row).status not in ("solved", "revealed"):
                self.list.setCurrentIndex(self.model.index(row))
                return
        self.move(1)

    def _selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        line: RiddleLine | None = indexes[0].data(RiddleRole) if indexes else None
        if line is None:
            self.card.show_entry(None)
            return
        self._wanted = line.id

        def loaded(view: tuple[HistoryEntry, tuple[str, ...], str, tuple]) -> None:
            shown, choices, maker, outlets = view
            self.card.set_outlets(shown.id, outlets)
            if self._wanted == shown.id:  # the reader may have moved on meanwhile
                self.card.show_entry(shown, choices)
                if maker:
                    self.card.name_maker(shown.id, maker)  # said only once the riddle is played

        in_arena = self.arena
        BackgroundOp(
            lambda _c, _r: self.context.store.run(_card_view, line.id, in_arena),
            on_success=loaded,
            on_failure=self._say_failure,
            pool=history_pool(),
        ).start()

    # -- text size -----------------------------------------------------------------------------
    def set_text_scale(self, scale: float) -> None:
        """The page's zoom (1.0 = the application's text size); the settings page may persist it."""
        self.text_scale = max(TEXT_SCALES[0], min(TEXT_SCALES[-1], scale))
        self._apply_text_scale()
        self.text_scale_changed.emit(self.text_scale)

    def _apply_text_scale(self) -> None:
        self.card.set_text_scale(self.text_scale)
        font = self.list.font()
        font.setPointSizeF(self.card.base_point_size * self.text_scale)
        self.list.setFont(font)

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.StyleChange
            and self._list_point_size() != self.list.font().pointSizeF()
        ):
            self._apply_text_scale()  # the text-size setting changed the application's font
        return super().event(event)

    def _list_point_size(self) -> float:
        size = QApplication.font().pointSizeF()
        return round((size if size > 0 else 10.0) * self.text_scale, 2)

    def step_text_scale(self, step: int) -> None:
        nearest = min(range(len(TEXT_SCALES)), key=lambda i: abs(TEXT_SCALES[i] - self.text_scale))
        self.set_text_scale(TEXT_SCALES[max(0, min(len(TEXT_SCALES) - 1, nearest + step))])

    # -- generation ----------------------------------------------------------------------------
    def riddle_news(self) -> None:
        if self.op is not None and not self.op.done:
            return
        context = self.context

        in_arena = bool(context.settings["game.arena"])

        def op(cancel, report) -> RiddleRun:  # noqa: ANN001
            report(Progress("model", 0, 0, "Preparing the model…"))
            riddler = context.riddler()
            run = riddle_pending_batched(context.store, riddler, limit=20, progress=report, cancel=cancel)
            if in_arena and run.stored:
                run = self._riddle_for_arena(run, report, cancel)
            return run

        self._busy(True)
        self.op = BackgroundOp(
            op,
            on_success=self._riddled,
            on_failure=self._failed,
            on_progress=self._progressed,
            on_cancelled=self._cancelled,
        ).start()

    def _riddle_for_arena(self, run: RiddleRun, report: Callable[[Progress], None], cancel: Any) -> RiddleRun:  # noqa: ANN401
        """The same news riddled by a rival model too (background thread), so the arena has riddles of
        two models about the same day. The rival's worker is closed when it is done."""
        context = self.context
        articles = [stored.article for stored in run.stored]
        for choice in arena.rivals(context.paths, context.active_model()):
            report(Progress("model", 0, 0, f"Riddling the same news with {choice.name} for the arena…"))
            try:
                rival, model = open_riddler(
                    choice,
                    context.engine_settings(choice),
                    sampling=sampling(context.settings, DEFAULT_SAMPLING),
                )
                try:
                    more = riddle_articles_batched(
                        context.store, articles, rival, progress=report, cancel=cancel
                    )
                finally:
                    model.close()
            except Cancelled:
                raise
            except EngineError as error:  # the active model's riddles are kept; the arena waits
                log.warning("the arena's rival %s could not riddle: %s", choice.name, error)
                failed = [(article, f"{choice.name}: {error.sentence}") for article in articles]
                run = RiddleRun(run.stored, (*run.failed, *failed))
                continue
            run = RiddleRun((*run.stored, *more.stored), (*run.failed, *more.failed))
        return run

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
        # In the arena the list is dealt (one riddle per story, unlabelled): it is dealt again at the end.
        if isinstance(progress.item, StoredRiddle) and not self.arena:
            self.model.add_line(RiddleLine.of(progress.item))
            if not self.list.currentIndex().isValid():
                self.list.setCurrentIndex(self.model.index(0))

    def _riddled(self, run: RiddleRun) -> None:
        self._busy(False)
        made = len(run.stored)
        text = self.tr("%n new riddle(s).", "", made) if made else self.tr("No new articles to riddle.")
        if run.failed:
            text += " " + self.tr("%n article(s) could not be riddled.", "", len(run.failed))
        self.status.setText(text)
        if made:
            self.riddles_made.emit(made)
            history_events().added.emit(made)
        if made and (self.arena or self.context.settings["game.arena"]):
            self.load_history(
                then_riddle_if_empty=False, announce=False
            )  # the new riddles, dealt for the arena

    def _cancelled(self) -> None:
        self._busy(False)
        self.status.setText(self.tr("Stopped. The riddles made so far are kept."))

    def _failed(self, error: BaseException) -> None:
        self._busy(False)
        self._say_failure(error)

    def _say_failure(self, error: BaseException) -> None:
        self.status.setText(failure_sentence(error))

    def _busy(self, busy: bool) -> None:
        self.riddle_button.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)


PAGE = PageSpec(key="reader", title="Riddles", order=10, factory=ReaderPage)

"""The history: every riddle ever made, browsed by day, source and model, searched in full text, with
its provenance and the outlets that told its story (desktop/history_clusters.py, where a wrong match
is split out); export to CSV or JSON; backup and restore of the whole history file.

The list pages in as it scrolls and all queries run on the database thread, so a history of
100,000 riddles opens and scrolls without a stall."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.history_clusters import StoryOutlets
from desktop.ops import BackgroundOp, failure_sentence
from desktop.pages import PageSpec
from desktop.riddle_list import RiddleListModel, RiddleRole, history_events, history_pool
from engine.store import backup as backups
from engine.store import export as exports
from engine.store import history
from engine.store.history import Facets, HistoryEntry, HistoryFilter

_SEARCH_PAUSE_MS = 200  # wait for a pause in typing before searching


class HistoryPage(QWidget):
    def __init__(self, context: AppContext):
        super().__init__()
        self.setObjectName("historyPage")
        self.context = context
        self.op: BackgroundOp | None = None  # the running export, backup or restore
        self._stale = True  # load on first show, not at app start
        self._build_filters()
        self.count_label = QLabel()
        self.count_label.setObjectName("historyCount")
        self.count_label.setAccessibleName(self.tr("Riddles found"))
        self.model = RiddleListModel()
        self.model.failed.connect(self._say)
        self.list = QListView()
        self.list.setObjectName("historyList")
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.list.setAccessibleName(self.tr("History"))
        self.list.selectionModel().selectionChanged.connect(self._selected)
        self.details = QTextBrowser()
        self.details.setObjectName("historyDetails")
        self.details.setAccessibleName(self.tr("Riddle details"))
        self.details.setOpenExternalLinks(True)  # QTextBrowser opens only what we render: http(s) links
        self.story = StoryOutlets(context.store)  # the selected riddle's outlets, when several told it
        self.story.said.connect(self._say)
        self.story.split_done.connect(self._story_split)
        side = QWidget()
        details_and_story = QVBoxLayout(side)
        details_and_story.setContentsMargins(0, 0, 0, 0)
        details_and_story.addWidget(self.details, 3)
        details_and_story.addWidget(self.story, 2)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([560, 440])
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._build_file_actions()
        self.status = QLabel()
        self.status.setObjectName("historyStatus")
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Status"))
        layout = QVBoxLayout(self)
        layout.addLayout(self.filters)
        layout.addWidget(self.count_label)
        layout.addWidget(splitter, 1)
        layout.addLayout(self.file_row)
        layout.addWidget(self.status)
        events = history_events()
        events.added.connect(self._history_changed)
        events.replaced.connect(self._history_changed)
        events.changed.connect(self.model.replace)  # a riddle played in the reader

    def _build_filters(self) -> None:
        tr = self.tr
        self.search = QLineEdit()
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText(tr("Search riddles, answers, headlines and summaries (Ctrl+F)"))
        self.search.setAccessibleName(tr("Search the history"))
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(_SEARCH_PAUSE_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        self.day = self._combo("historyDay", tr("Day"))
        self.source = self._combo("historySource", tr("Source"))
        self.model_file = self._combo("historyModel", tr("Model"))
        self.favourites = QCheckBox(tr("Favourites"))
        self.favourites.setObjectName("historyFavourites")
        self.favourites.setAccessibleName(tr("Only favourites"))
        self.favourites.toggled.connect(self.apply_filter)
        self.several_outlets = QCheckBox(tr("Several outlets"))
        self.several_outlets.setObjectName("historySeveralOutlets")
        self.several_outlets.setAccessibleName(tr("Only stories told by several outlets"))
        self.several_outlets.setToolTip(tr("Only riddles whose story was told by two or more of your feeds"))
        self.several_outlets.toggled.connect(self.apply_filter)
        self.filters = QHBoxLayout()
        self.filters.addWidget(self.search, 3)
        for widget in (self.day, self.source, self.model_file, self.favourites, self.several_outlets):
            self.filters.addWidget(widget)
        find = QAction(tr("Search the history"), self)
        find.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Find) or [QKeySequence("Ctrl+F")])
        find.triggered.connect(lambda: self.search.setFocus(Qt.FocusReason.ShortcutFocusReason))
        self.addAction(find)

    def _combo(self, name: str, accessible: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setAccessibleName(accessible)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.currentIndexChanged.connect(self.apply_filter)
        return combo

    def _build_file_actions(self) -> None:
        tr = self.tr
        self.export_csv_button = QPushButton(tr("Export CSV…"))
        self.export_json_button = QPushButton(tr("Export JSON…"))
        self.backup_button = QPushButton(tr("Back up…"))
        self.restore_button = QPushButton(tr("Restore…"))
        self.export_csv_button.clicked.connect(lambda: self._ask_export("csv"))
        self.export_json_button.clicked.connect(lambda: self._ask_export("json"))
        self.backup_button.clicked.connect(self._ask_backup)
        self.restore_button.clicked.connect(self._ask_restore)
        self.file_row = QHBoxLayout()
        for button, name, accessible in (
            (self.export_csv_button, "exportCsv", tr("Export the shown riddles as CSV")),
            (self.export_json_button, "exportJson", tr("Export the shown riddles as JSON")),
            (self.backup_button, "backupHistory", tr("Back up the whole history")),
            (self.restore_button, "restoreHistory", tr("Restore the history from a backup")),
        ):
            button.setObjectName(name)
            button.setAccessibleName(accessible)
            self.file_row.addWidget(button)
        self.file_row.addStretch(1)

    # -- loading -------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _history_changed(self, *_args: object) -> None:
        self._stale = True
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Reload what the history can be browsed by, then the list."""
        self._stale = False
        BackgroundOp(
            lambda _c, _r: self.context.store.run(history.facets),
            on_success=self._show_facets,
            on_failure=self._failed,
            pool=history_pool(),
        ).start()

    def _show_facets(self, facets: Facets) -> None:
        self._fill(self.day, self.tr("Every day"), [(d.isoformat(), d, n) for d, n in facets.days])
        self._fill(
            self.source,
            self.tr("Every source"),
            [(s or self.tr("(no source)"), s, n) for s, n in facets.sources],
        )
        self._fill(
            self.model_file,
            self.tr("Every model"),
            [(m or self.tr("(unknown)"), m, n) for m, n in facets.models],
        )
        self.apply_filter()

    def _fill(self, combo: QComboBox, everything: str, items: list[tuple[str, object, int]]) -> None:
        """Refill a filter, keeping the chosen item when it still exists."""
        chosen = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for label, value, count in items:
            combo.addItem(f"{label} ({count})", value)
        index = combo.findData(chosen) if chosen is not None else 0
        combo.setCurrentIndex(max(0, index))
        combo.blockSignals(False)

    def current_filter(self) -> HistoryFilter:
        day = self.day.currentData()
        return HistoryFilter(
            query=self.search.text().strip(),
            day=day if isinstance(day, date) else None,
            source=self.source.currentData() or "",
            model=self.model_file.currentData() or "",
            favourites=self.favourites.isChecked(),
            several_outlets=self.several_outlets.isChecked(),
        )

    def apply_filter(self) -> None:
        self._search_timer.stop()
        where, store = self.current_filter(), self.context.store
        self.model.load(lambda before, limit: store.run(history.lines, where, before, limit))
        self.details.clear()
        self.story.clear()

        def counted(n: int) -> None:
            if where == self.current_filter():
                self.count_label.setText(self.tr("%n riddle(s)", "", n))

        BackgroundOp(
            lambda _c, _r: store.run(history.count, where),
            on_success=counted,
            on_failure=self._failed,
            pool=history_pool(),
        ).start()

    # -- details -------------------------------------------------------------------------------
    def _selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        riddle_id = indexes[0].data(RiddleRole).id

        def shown(item: HistoryEntry) -> None:
            current = self.list.currentIndex().data(RiddleRole)
            if current is not None and current.id == item.id:
                self.details.setHtml(self.details_html(item))
                self.story.show_entry(item)

        BackgroundOp(
            lambda _c, _r: self.context.store.run(history.entry, riddle_id),
            on_success=shown,
            on_failure=self._failed,
            pool=history_pool(),
        ).start()

    def _story_split(self, _article_id: int) -> None:
        if self.several_outlets.isChecked():
            self.apply_filter()  # the riddle's story may no longer be told by several outlets

    # -- files ---------------------------------------------------------------------------------
    def _ask_export(self, fmt: str) -> None:
        name = f"riddlewire-history.{fmt}"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export the history"), str(Path.home() / name), f"{fmt.upper()} (*.{fmt})"
        )
        if path:
            self.export_to(Path(path), fmt)

    def _ask_backup(self) -> None:
        name = f"riddlewire-backup-{date.today().isoformat()}.sqlite3"
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Back up the history"),
            str(Path.home() / name),
            self.tr("Riddlewire history (*.sqlite3)"),
        )
        if path:
            self.backup_to(Path(path))

    def _ask_restore(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Restore the history"),
            str(Path.home()),
            self.tr("Riddlewire history (*.sqlite3 *.db);;All files (*)"),
        )
        if not path:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Restore the history?"),
            self.tr(
                "Your history will be replaced by the backup. A copy of it as it is now is kept first, "
                "in the backups folder beside the history."
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.restore_from(Path(path))

    def export_to(self, path: Path, fmt: str) -> None:
        where, store = self.current_filter(), self.context.store
        self._file_op(
            lambda: store.run(exports.export, path, fmt, where),
            lambda n: self.tr("%n riddle(s) exported to {path}.", "", n).format(path=path),
        )

    def backup_to(self, path: Path) -> None:
        store = self.context.store
        self._file_op(
            lambda: store.run(backups.backup, path),
            lambda saved: self.tr("History backed up to {path}.").format(path=saved),
        )

    def restore_from(self, path: Path) -> None:
        store = self.context.store

        def restored(report: backups.RestoreReport) -> str:
            history_events().replaced.emit()
            return self.tr(
                "Restored %n riddle(s) from {name}. Your previous history is kept in {copy}.",
                "",
                report.riddles,
            ).format(name=path.name, copy=report.safety_copy)

        self._file_op(lambda: store.run(backups.restore, path), restored)

    def _file_op(self, call: Callable[[], Any], sentence: Callable[[Any], str]) -> None:
        def done(result: object) -> None:
            self._file_buttons(True)
            self._say(sentence(result))

        self._file_buttons(False)
        self._say(self.tr("Working…"))
        self.op = BackgroundOp(lambda _c, _r: call(), on_success=done, on_failure=self._failed).start()

    def _file_buttons(self, enabled: bool) -> None:
        for button in (
            self.export_csv_button,
            self.export_json_button,
            self.backup_button,
            self.restore_button,
        ):
            button.setEnabled(enabled)

    def _failed(self, error: BaseException) -> None:
        self._file_buttons(True)
        self._say(failure_sentence(error))

    def _say(self, sentence: str) -> None:
        self.status.setText(sentence)

    def details_html(self, item: HistoryEntry) -> str:
        """A riddle with its article and provenance. The answer, the headline, the link and the summary
        show once the riddle has been played: each of them gives the answer away."""
        stored, article, p = item.stored, item.stored.article, item.stored.provenance
        e, tr = html.escape, self.tr
        played = stored.status in ("solved", "revealed")
        hidden = "<i>" + e(tr("hidden until you solve or reveal it")) + "</i>"
        answer = e(stored.riddle.answer) if played else hidden
        headline = e(article.title) if played else hidden
        link = (
            f'<a href="{e(article.link)}">{e(article.link[:80])}</a>'
            if played and article.link.startswith(("https://", "http://"))
            else ("" if played else hidden)
        )
        state = e(stored.status) + (
            e(tr(", %n point(s)", "", item.play.points)) if stored.status == "solved" else ""
        )
        rows = [
            (tr("Answer"), answer),
            (tr("Headline"), headline),
            (tr("Source"), e(article.source)),
            (tr("Published"), e(article.published.strftime("%Y-%m-%d %H:%M"))),
            (tr("Link"), link),
            (tr("State"), state),
            (tr("Model"), e(f"{p.model_file} ({p.size_tier})" + (f" + {p.adapter}" if p.adapter else ""))),
            (tr("Ran with"), e(p.kernels or tr("not recorded"))),
            (tr("Made"), e(p.road or tr("not recorded"))),
            (tr("Quality checks"), e(p.quality or tr("nothing flagged"))),
            (tr("Model hash"), e(p.model_sha256[:16])),
            (tr("Pipeline"), e(p.pipeline)),
            (tr("Sampling"), e(p.sampling)),
            (tr("Tokens"), e(tr("{i} in, {o} out").format(i=p.prompt_tokens, o=p.completion_tokens))),
            (
                tr("Speed"),
                e(
                    tr("{s:.2f} s, {r:.1f} tokens/s, first token {f:.2f} s").format(
                        s=p.latency_s, r=p.tokens_per_s, f=p.first_token_s
                    )
                ),
            ),
            (tr("Made at"), e(p.created_at)),
        ]
        table = "".join(f"<tr><td><b>{e(label)}</b></td><td>{value}</td></tr>" for label, value in rows)
        summary = f"<p>{e(article.brief(400))}</p>" if played else ""
        return (
            f"<p style='font-size:large'>{e(stored.riddle.text)}</p>"
            f"<table cellspacing=4>{table}</table>{summary}"
        )


PAGE = PageSpec(key="history", title="History", order=20, factory=HistoryPage)

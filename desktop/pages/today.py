"""Today: what went on in the news today, learnt through the game. For each story solved or revealed
today, its headline, a one-line summary, the answer and the outlets that carried it; exported as
Markdown on request. The digest itself is engine.today's; this page only shows it."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.ops import BackgroundOp, failure_sentence
from desktop.pages import PageSpec
from desktop.riddle_card import safe_link
from desktop.riddle_list import history_events, history_pool
from desktop.text_fit import WrappingLabel, breakable
from desktop.theme import mark
from engine.today import Digest, Outlet, TodayStory, digest, export_markdown


class StoryCard(QFrame):
    """One story of the day: headline, one line, answer and how it was played, outlets."""

    def __init__(self, story: TodayStory) -> None:
        super().__init__()
        mark(self, "card")
        self.setObjectName("todayStory")
        self.story = story
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        self.headline = mark(WrappingLabel(story.headline), "heading")
        self.headline.setAccessibleName(self.tr("Headline"))
        self.summary = WrappingLabel(story.one_line)
        self.summary.setAccessibleName(self.tr("Summary"))
        how = (
            self.tr("solved, %n point(s)", "", story.points)
            if story.status == "solved"
            else self.tr("revealed")
        )
        self.answer = mark(
            WrappingLabel(self.tr("Answer: {answer} ({how})").format(answer=story.answer, how=how)),
            "explanation",
        )
        self.outlets = QLabel(self._outlets_html(story.outlets))
        self.outlets.setObjectName("outlets")
        self.outlets.setAccessibleName(self.tr("Outlets"))
        self.outlets.setTextFormat(Qt.TextFormat.RichText)  # built from escaped text only
        self.outlets.setWordWrap(True)
        self.outlets.setOpenExternalLinks(False)
        self.outlets.linkActivated.connect(self._open)
        for widget in (self.headline, self.summary, self.answer, self.outlets):
            layout.addWidget(widget)

    def _outlets_html(self, outlets: tuple[Outlet, ...]) -> str:
        parts = []
        for outlet in outlets:
            name = html.escape(breakable(outlet.source or self.tr("source")), quote=True)
            link = safe_link(outlet.link) if outlet.link else None
            href = (
                html.escape(link.toString(QUrl.ComponentFormattingOption.FullyEncoded), quote=True)
                if link
                else ""
            )
            parts.append(f'<a href="{href}">{name}</a>' if link else name)
        return self.tr("Carried by: {outlets}").format(outlets=" · ".join(parts))

    def _open(self, url: str) -> None:
        link = safe_link(url)
        if link is not None:
            QDesktopServices.openUrl(link)


class TodayPage(QWidget):
    def __init__(self, context: AppContext):
        super().__init__()
        self.setObjectName("todayPage")
        self.context = context
        self.digest: Digest | None = None
        self.op: BackgroundOp | None = None
        self.title = mark(QLabel(), "title")
        self.totals = mark(WrappingLabel(), "explanation")
        self.totals.setObjectName("todayTotals")
        self.status = WrappingLabel()
        self.status.setObjectName("todayStatus")
        self.status.setAccessibleName(self.tr("Status"))
        self.export_button = QPushButton(self.tr("Export as Markdown…"))
        self.export_button.setObjectName("exportToday")
        self.export_button.setAccessibleName(self.tr("Export today's digest as Markdown"))
        self.export_button.clicked.connect(self._ask_export)
        self.stories = QWidget()
        self.stories_layout = QVBoxLayout(self.stories)
        self.stories_layout.setContentsMargins(0, 0, 0, 0)
        self.stories_layout.setSpacing(12)
        scroll = QScrollArea()
        scroll.setWidget(self.stories)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addLayout(header)
        layout.addWidget(self.totals)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        history_events().changed.connect(self._history_changed)
        history_events().replaced.connect(self._history_changed)

    # -- loading -------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh()  # what was played since it was last shown

    def _history_changed(self, *_args: object) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        store = self.context.store
        BackgroundOp(
            lambda _c, _r: store.run(digest),
            on_success=self.show_digest,
            on_failure=self._failed,
            pool=history_pool(),
        ).start()

    def show_digest(self, day_digest: Digest) -> None:
        self.digest = day_digest
        self.title.setText(self.tr("Today, {day}").format(day=_long_date(day_digest.day)))
        while self.stories_layout.count():
            item = self.stories_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if day_digest.stories:
            self.totals.setText(
                self.tr("%n riddle(s) played today", "", len(day_digest.stories))
                + " · "
                + self.tr("%n solved", "", day_digest.solved)
                + " · "
                + self.tr("%n point(s)", "", day_digest.points)
            )
        else:
            self.totals.setText(
                self.tr("No stories yet today. Solve or reveal a riddle, and its story is told here.")
            )
        for story in day_digest.stories:
            self.stories_layout.addWidget(StoryCard(story))
        self.stories_layout.addStretch(1)
        self.export_button.setEnabled(bool(day_digest.stories))

    # -- export --------------------------------------------------------------------------------
    def _ask_export(self) -> None:
        name = f"riddlewire-{date.today().isoformat()}.md"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export today's digest"), str(Path.home() / name), self.tr("Markdown (*.md)")
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        if self.digest is None:
            return
        day_digest = self.digest
        self.export_button.setEnabled(False)

        def done(written: Path) -> None:
            self.export_button.setEnabled(True)
            self.status.setText(self.tr("Today's digest saved to {path}.").format(path=written))

        def failed(error: BaseException) -> None:
            self.export_button.setEnabled(True)
            self._failed(error)

        self.op = BackgroundOp(
            lambda _c, _r: export_markdown(day_digest, path), on_success=done, on_failure=failed
        ).start()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(failure_sentence(error))


def _long_date(day: date) -> str:
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


PAGE = PageSpec(key="today", title="Today", order=15, factory=TodayPage)

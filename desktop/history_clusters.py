"""The story of the riddle selected in History (issue 19, one story once): every outlet that told it,
each with its headline and link, and a "Not the same story" button that splits a wrongly matched
article out into a story of its own. Nothing is deleted by a split (engine.store.clusters.split).

Headlines give a riddle's answer away, so as in the details above, an unplayed riddle shows only
which outlets told its story; their headlines, links and the split buttons come once it is solved or
revealed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from desktop.ops import BackgroundOp, failure_sentence
from desktop.riddle_card import safe_link
from desktop.riddle_list import history_pool
from desktop.text_fit import ElidedLink, WrappingLabel
from engine.store.clusters import Outlet, SplitResult, cluster_outlets, split
from engine.store.history import HistoryEntry

PLAYED = ("solved", "revealed")


class StoryOutlets(QScrollArea):
    """Shown under a riddle's details when its story is told by two or more outlets."""

    said = Signal(str)  # a sentence for the page's status line
    split_done = Signal(int)  # the article split out: the page may refresh what it lists

    def __init__(self, store) -> None:  # noqa: ANN001 - a Store or the app's StoreProxy
        super().__init__()
        self.setObjectName("historyStory")
        self.setAccessibleName(self.tr("The story's outlets"))
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.store = store
        self.entry: HistoryEntry | None = None
        self.outlets: tuple[Outlet, ...] = ()
        self.split_buttons: dict[int, QPushButton] = {}  # article id -> its "Not the same story"
        self.op: BackgroundOp | None = None  # the running split
        rows = QWidget()
        self._rows = QVBoxLayout(rows)
        self.setWidget(rows)
        self.setVisible(False)

    # -- showing -------------------------------------------------------------------------------
    def show_entry(self, entry: HistoryEntry) -> None:
        """Load and show the story of the riddle `entry` (off the UI thread)."""
        self.entry = entry
        article_id = entry.stored.article.id

        def loaded(outlets: tuple[Outlet, ...]) -> None:
            if self.entry is not None and self.entry.stored.article.id == article_id:
                self._fill(outlets)

        BackgroundOp(
            lambda _c, _r: self.store.run(cluster_outlets, article_id),
            on_success=loaded,
            on_failure=lambda error: self.said.emit(failure_sentence(error)),
            pool=history_pool(),
        ).start()

    def clear(self) -> None:
        self.entry = None
        self._fill(())

    def text(self) -> str:
        """Everything the panel shows, for tests and screen readers' sake."""
        return "\n".join(label.text() for label in self.findChildren(WrappingLabel))

    def _fill(self, outlets: tuple[Outlet, ...]) -> None:
        while (item := self._rows.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.setParent(None)
                widget.deleteLater()
        self.outlets, self.split_buttons = outlets, {}
        entry = self.entry
        if entry is None or len(outlets) < 2:
            self.setVisible(False)
            return
        played = entry.stored.status in PLAYED
        heading = self.tr("This story was told by %n outlet(s):", "", len(outlets))
        if not played:
            names = ", ".join(o.source or self.tr("(no source)") for o in outlets)
            heading = f"{heading} {names}. " + self.tr(
                "Their headlines and links show, and a wrong match can be split, once you solve or "
                "reveal the riddle."
            )
        self._rows.addWidget(_label(heading, "storyHeading"))
        if played:
            for outlet in outlets:
                self._add_row(outlet, mine=outlet.article_id == entry.stored.article.id)
        self._rows.addStretch(1)
        self.setVisible(True)

    def _add_row(self, outlet: Outlet, mine: bool) -> None:
        source = outlet.source or self.tr("(no source)")
        suffix = self.tr(" (this riddle's article)") if mine else ""
        row = QGridLayout()  # headline and its button side by side, the link under the headline
        row.setColumnStretch(0, 1)
        row.setContentsMargins(0, 6, 0, 6)
        row.addWidget(_label(f"{source}: {outlet.title}{suffix}", "storyOutlet"), 0, 0)
        link = ElidedLink()
        link.setObjectName("storyOutletLink")
        link.setAccessibleName(self.tr("Link to this outlet's article"))
        link.setOpenExternalLinks(True)  # only http(s) links are ever set (safe_link)
        link.set_link(safe_link(outlet.link))
        row.addWidget(link, 1, 0)
        button = QPushButton(self.tr("Not the same story"))
        button.setObjectName("splitOutlet")
        button.setAccessibleName(self.tr("Split {source}'s article from this story").format(source=source))
        button.setToolTip(
            self.tr("Make this article a story of its own. Nothing is deleted, and it never rejoins.")
        )
        button.clicked.connect(lambda _checked=False, o=outlet: self.split_out(o))
        self.split_buttons[outlet.article_id] = button
        row.addWidget(button, 0, 1, 2, 1, Qt.AlignmentFlag.AlignTop)
        holder = QWidget()
        holder.setLayout(row)
        self._rows.addWidget(holder)

    # -- splitting -----------------------------------------------------------------------------
    def split_out(self, outlet: Outlet) -> None:
        """Split `outlet`'s article out of the story on the database thread, then show the story
        again and say what happened."""
        entry = self.entry
        if entry is None or (self.op is not None and not self.op.done):
            return
        for button in self.split_buttons.values():
            button.setEnabled(False)
        self.said.emit(self.tr("Splitting “{title}” from the story…").format(title=outlet.title))

        def done(result: SplitResult) -> None:
            self.said.emit(self._sentence(outlet, result, entry))
            self.split_done.emit(result.article_id)
            self._reload(entry)

        def failed(error: BaseException) -> None:
            self.said.emit(failure_sentence(error))
            self._reload(entry)  # show the story as it now is; nothing was changed

        self.op = BackgroundOp(
            lambda _c, _r: self.store.run(split, outlet.article_id),
            on_success=done,
            on_failure=failed,
            pool=history_pool(),
        ).start()

    def _reload(self, entry: HistoryEntry) -> None:
        if self.entry is not None and self.entry.id == entry.id:
            self.show_entry(entry)

    def _sentence(self, outlet: Outlet, result: SplitResult, entry: HistoryEntry) -> str:
        source = outlet.source or self.tr("(no source)")
        stays = self.tr("The story stays with %n other outlet(s)", "", result.left_behind)
        if outlet.article_id == entry.stored.article.id:
            return self.tr(
                "This riddle's article (“{title}”, {source}) now stands alone; its riddle and article "
                "are kept. {stays} and can get a riddle of its own."
            ).format(title=outlet.title, source=source, stays=stays)
        return self.tr("“{title}” ({source}) now stands alone; its article is kept. {stays}.").format(
            title=outlet.title, source=source, stays=stays
        )


def _label(text: str, name: str) -> WrappingLabel:
    # Headlines are untrusted text: WrappingLabel shows plain text only, and wraps inside long words.
    label = WrappingLabel(text)
    label.setObjectName(name)
    return label

"""The Feeds page: your subscriptions with how each last refresh went, add (with autodiscovery),
rename, file under a category, remove, OPML import/export, refresh now, mute filters, and a preview
of a feed's stored articles that loads nothing from the network and runs nothing."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.feed_refresher import FeedRefresher
from desktop.ops import BackgroundOp, failure_sentence
from desktop.pages import PageSpec
from desktop.pages.reader import safe_link
from engine.articles import Article
from engine.feeds.discover import find_feed
from engine.feeds.opml import read_opml, write_opml
from engine.feeds.state import FAILED, NOT_MODIFIED, OK, UNCHANGED, Feed
from engine.ingest import RefreshReport
from engine.paths import resource
from engine.progress import Progress
from engine.store.feeds import (
    add_feed,
    add_mute,
    add_subscriptions,
    feed_articles,
    list_feeds,
    mute_rules,
    remove_feed,
    remove_mute,
    rename_feed,
    set_category,
    subscriptions,
)

COLUMNS = ("Feed", "Category", "Last refresh", "New", "Status")
NAME, CATEGORY, WHEN, NEW, STATUS = range(len(COLUMNS))


class InertBrowser(QTextBrowser):
    """Shows article text; fetches no resource of any kind (no images, no stylesheets, not even
    file: ones) and opens only http(s) links, in the system browser."""

    def __init__(self) -> None:
        super().__init__()
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._open)

    def loadResource(self, kind: int, _url: QUrl) -> QImage | QByteArray:  # noqa: N802 - Qt's name
        # An empty answer is not enough: Qt then reads local image files itself. A blank pixel is.
        if kind == QTextDocument.ResourceType.ImageResource.value:
            blank = QImage(1, 1, QImage.Format.Format_ARGB32)
            blank.fill(Qt.GlobalColor.transparent)
            return blank
        return QByteArray()

    def _open(self, url: QUrl) -> None:
        link = safe_link(url.toString())
        if link is not None:
            QDesktopServices.openUrl(link)


class FeedsPage(QWidget):
    def __init__(self, context) -> None:  # noqa: ANN001 - AppContext
        super().__init__()
        self.context = context
        self.feeds: list[Feed] = []
        self._filling = False
        self._refreshing = False
        self.refresher = getattr(context, "feed_refresher", None) or FeedRefresher(context, parent=self)
        self.refresher.started.connect(lambda: self._busy(True))
        self.refresher.progressed.connect(self._progressed)
        self.refresher.finished.connect(self._refreshed)
        self.refresher.failed.connect(self._refresh_failed)
        self.refresher.cancelled.connect(lambda: self._busy(False))

        layout = QVBoxLayout(self)
        layout.addLayout(self._add_bar())
        layout.addLayout(self._action_bar())
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._table())
        splitter.addWidget(self._lower_panel())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        self.reload()

    # -- layout --------------------------------------------------------------------------------
    def _add_bar(self) -> QHBoxLayout:
        self.address = QLineEdit()
        self.address.setPlaceholderText(self.tr("Paste a feed's address, or a news site's page"))
        self.address.setAccessibleName(self.tr("Feed or site address"))
        self.address.returnPressed.connect(self.add_from_address)
        self.add_button = QPushButton(self.tr("Add feed"))
        self.add_button.clicked.connect(self.add_from_address)
        self.suggested_button = QPushButton(self.tr("Add the suggested feeds"))
        self.suggested_button.setToolTip(self.tr("Subscribe to a handful of major world-news feeds"))
        self.suggested_button.clicked.connect(lambda: self.import_file(resource("feeds.opml")))
        bar = QHBoxLayout()
        bar.addWidget(self.address, 1)
        bar.addWidget(self.add_button)
        bar.addWidget(self.suggested_button)
        return bar

    def _action_bar(self) -> QHBoxLayout:
        self.refresh_button = QPushButton(self.tr("Refresh now"))
        self.refresh_button.clicked.connect(lambda: self.refresher.refresh_now())
        self.cancel_button = QPushButton(self.tr("Stop"))
        self.cancel_button.clicked.connect(self.refresher.stop)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.clicked.connect(self.remove_selected)
        import_button, export_button = (
            QPushButton(self.tr("Import OPML…")),
            QPushButton(self.tr("Export OPML…")),
        )
        import_button.clicked.connect(self._choose_import)
        export_button.clicked.connect(self._choose_export)
        self.progress = QProgressBar()
        self.status = QLabel()
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        for widget in (
            self.refresh_button,
            self.cancel_button,
            self.remove_button,
            import_button,
            export_button,
        ):
            bar.addWidget(widget)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.status, 2)
        self._busy(False)
        return bar

    def _table(self) -> QTableWidget:
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setAccessibleName(self.tr("Your feeds"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(STATUS, QHeaderView.ResizeMode.Stretch)
        for column in (CATEGORY, WHEN, NEW):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._edited)
        self.table.itemSelectionChanged.connect(self._show_preview)
        return self.table

    def _lower_panel(self) -> QWidget:
        self.preview = InertBrowser()
        self.preview.setAccessibleName(self.tr("Latest articles of the selected feed"))
        self.mute_input = QLineEdit()
        self.mute_input.setPlaceholderText(self.tr("A word, or a source's name or site"))
        mute_word, mute_source = QPushButton(self.tr("Mute word")), QPushButton(self.tr("Mute source"))
        mute_word.clicked.connect(lambda: self.mute("keyword", self.mute_input.text()))
        mute_source.clicked.connect(lambda: self.mute("source", self.mute_input.text()))
        self.mutes = QListWidget()
        self.mutes.setAccessibleName(self.tr("Mute filters"))
        unmute = QPushButton(self.tr("Unmute"))
        unmute.clicked.connect(self.unmute_selected)
        side = QWidget()
        column = QVBoxLayout(side)
        column.addWidget(QLabel(self.tr("Never riddle articles with…")))
        column.addWidget(self.mute_input)
        row = QHBoxLayout()
        row.addWidget(mute_word)
        row.addWidget(mute_source)
        column.addLayout(row)
        column.addWidget(self.mutes, 1)
        column.addWidget(unmute)
        panel = QSplitter()
        panel.addWidget(self.preview)
        panel.addWidget(side)
        panel.setStretchFactor(0, 3)
        panel.setStretchFactor(1, 1)
        return panel

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        store = self.context.store
        BackgroundOp(
            lambda _c, _r: (store.run(list_feeds), store.run(mute_rules)),
            on_success=self._loaded,
            on_failure=self._failed,
        ).start()

    def _loaded(self, loaded: tuple) -> None:  # noqa: ANN001
        feeds, rules = loaded
        selected = self.selected_feed()
        self.feeds = feeds
        self._filling = True
        # Rows are refilled in place: a kept selection would now sit on another feed (or a removed
        # one's preview would stay). It is cleared, and the same feed is selected again if it is left.
        self.table.clearSelection()
        self.table.setRowCount(len(feeds))
        for row, feed in enumerate(feeds):
            for column, (text, tip) in enumerate(self._cells(feed)):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if column not in (NAME, CATEGORY):
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, item)
            if selected is not None and feed.id == selected.id:
                self.table.selectRow(row)
        self._filling = False
        self.suggested_button.setVisible(not feeds)
        self.mutes.clear()
        for rule in rules:
            item = QListWidgetItem(
                self.tr("{kind}: {pattern}").format(kind=self.tr(rule.kind), pattern=rule.pattern)
            )
            item.setData(Qt.ItemDataRole.UserRole, rule.id)
            self.mutes.addItem(item)

    def _cells(self, feed: Feed) -> list[tuple[str, str]]:
        when = _local_time(feed.last_fetched) if feed.last_fetched else self.tr("never")
        status = {
            OK: self.tr("OK"),
            NOT_MODIFIED: self.tr("No change"),
            UNCHANGED: self.tr("No change"),
            FAILED: feed.last_error,
            "": self.tr("Not refreshed yet"),
        }.get(feed.last_status, feed.last_status)
        if feed.last_status == OK and feed.last_warning:
            status = feed.last_warning
        return [
            (feed.name, feed.url),
            (feed.category, ""),
            (when, feed.last_fetched),
            (str(feed.last_new) if feed.last_fetched else "", ""),
            (status, status),
        ]

    def selected_feed(self) -> Feed | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return self.feeds[min(rows)] if rows and min(rows) < len(self.feeds) else None

    # -- actions -------------------------------------------------------------------------------
    def add_from_address(self) -> None:
        address = self.address.text().strip()
        if not address:
            self.status.setText(self.tr("Paste a feed's address first."))
            return
        if "://" not in address:
            address = "https://" + address
        store = self.context.store

        def op(_c, _r) -> Feed:  # noqa: ANN001 - the network first, then the one database thread
            found = find_feed(address)
            return store.run(add_feed, found.url, found.title, "", found.parsed.site)

        self.add_button.setEnabled(False)
        self.status.setText(self.tr("Looking for the feed at {address}…").format(address=address))
        BackgroundOp(op, on_success=self._added, on_failure=self._failed).start()

    def _added(self, feed: Feed) -> None:
        self.add_button.setEnabled(True)
        self.address.clear()
        self.status.setText(self.tr("Subscribed to {name}.").format(name=feed.name))
        self.reload()
        self.refresher.refresh_now([feed.id])

    def remove_selected(self) -> None:
        feed = self.selected_feed()
        if feed is None:
            self.status.setText(self.tr("Select a feed to remove."))
            return
        self._store_then_reload(
            remove_feed,
            feed.id,
            done=self.tr("Unsubscribed from {name}; its articles and riddles are kept.").format(
                name=feed.name
            ),
        )

    def import_file(self, path: Path) -> None:
        store = self.context.store

        def op(_c, _r) -> tuple[int, int]:  # noqa: ANN001
            subs = read_opml(Path(path).read_bytes())
            return len(store.run(add_subscriptions, subs)), len(subs)

        def imported(counts: tuple[int, int]) -> None:
            self.status.setText(
                self.tr("Subscribed to %n new feed(s) ({known} you already had).", "", counts[0]).format(
                    known=counts[1] - counts[0]
                )
            )
            self.reload()

        BackgroundOp(op, on_success=imported, on_failure=self._failed).start()

    def export_file(self, path: Path) -> None:
        store = self.context.store

        def op(_c, _r) -> int:  # noqa: ANN001
            subs = store.run(subscriptions)
            Path(path).write_bytes(write_opml(subs))
            return len(subs)

        BackgroundOp(
            op,
            on_success=lambda n: self.status.setText(
                self.tr("Wrote %n feed(s) to {path}.", "", n).format(path=path)
            ),
            on_failure=self._failed,
        ).start()

    def mute(self, kind: str, pattern: str) -> None:
        self.mute_input.clear()
        self._store_then_reload(
            add_mute, kind, pattern, done=self.tr("Muted. New articles that match are not kept or riddled.")
        )

    def unmute_selected(self) -> None:
        item = self.mutes.currentItem()
        if item is not None:
            self._store_then_reload(
                remove_mute, item.data(Qt.ItemDataRole.UserRole), done=self.tr("Unmuted.")
            )

    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() not in (NAME, CATEGORY) or item.row() >= len(self.feeds):
            return
        feed = self.feeds[item.row()]
        change = rename_feed if item.column() == NAME else set_category
        self._store_then_reload(change, feed.id, item.text(), done="")

    def _store_then_reload(self, function, *args, done: str) -> None:  # noqa: ANN001
        store = self.context.store

        def finished(_result) -> None:  # noqa: ANN001
            if done:
                self.status.setText(done)
            self.reload()

        BackgroundOp(
            lambda _c, _r: store.run(function, *args), on_success=finished, on_failure=self._failed
        ).start()

    def _choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import feeds"), "", self.tr("OPML (*.opml *.xml)")
        )
        if path:
            self.import_file(Path(path))

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export feeds"), "riddlewire-feeds.opml", self.tr("OPML (*.opml)")
        )
        if path:
            self.export_file(Path(path))

    # -- preview -------------------------------------------------------------------------------
    def _show_preview(self) -> None:
        feed = self.selected_feed()
        if feed is None:
            self.preview.clear()
            return
        store = self.context.store
        BackgroundOp(
            lambda _c, _r: store.run(feed_articles, feed.url),
            on_failure=self._failed,
            on_success=lambda articles: self._fill_preview(feed, articles),
        ).start()

    def _fill_preview(self, feed: Feed, articles: list[Article]) -> None:
        if not articles:
            self.preview.setPlainText(self.tr("No stored articles from {name} yet.").format(name=feed.name))
            return
        self.preview.setHtml("".join(_article_html(a, self.tr("Open in your browser")) for a in articles))

    # -- refresh -------------------------------------------------------------------------------
    def _progressed(self, progress: Progress) -> None:
        self.progress.setRange(0, max(progress.total, 1))
        self.progress.setValue(progress.done)
        if progress.message:
            self.status.setText(progress.message)

    def _refreshed(self, report: RefreshReport) -> None:
        self._busy(False)
        text = (
            self.tr("%n feed(s) checked", "", len(report.outcomes))
            + ", "
            + self.tr("%n new article(s).", "", report.new)
        )
        if report.failed:
            text += " " + self.tr("%n could not be read: see the Status column.", "", len(report.failed))
        self.status.setText(text)
        self.reload()
        self._show_preview()

    def _refresh_failed(self, sentence: str) -> None:
        self._busy(False)
        self.status.setText(sentence)

    def _failed(self, error: BaseException) -> None:
        self.add_button.setEnabled(True)
        self.status.setText(failure_sentence(error))

    def busy(self) -> bool:
        """A refresh is running (the window leaves the status line alone meanwhile)."""
        return self._refreshing

    def _busy(self, busy: bool) -> None:
        self._refreshing = busy
        self.refresh_button.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)


def _article_html(article: Article, open_text: str) -> str:
    """Our own markup around plain text: article text is escaped, so nothing in it is ever markup."""
    link = safe_link(article.link)
    anchor = (
        f'<p><a href="{_escape(link.toString())}">{_escape(open_text)}</a></p>' if link is not None else ""
    )
    when = _local_time(article.published.isoformat())
    return (
        f"<h3>{_escape(article.title)}</h3><p><i>{_escape(article.source)} · {_escape(when)}</i></p>"
        f"<p>{_escape(article.summary[:1200]).replace(chr(10), '<br>')}</p>{anchor}<hr>"
    )


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


PAGE = PageSpec(key="feeds", title="Feeds", order=30, factory=FeedsPage)

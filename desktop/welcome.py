"""The welcome tour on first launch (and from Help → Welcome tour): (1) riddles are already being
made from sample news with the bundled model, so there is something to play at once; (2) pick a
model size, explained in words, with the one that suits this computer pre-selected; its download
runs in the background while the user plays, and the app switches to it once it is verified;
(3) pick news sources from the suggested feeds, or import an OPML file. Every step can be skipped."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.downloads import downloads_of
from desktop.ops import BackgroundOp, failure_sentence
from desktop.theme import mark
from engine.active_model import ModelChoice
from engine.catalog import Catalog, load_catalog
from engine.feeds.opml import Subscription, read_opml
from engine.feeds.state import Feed
from engine.first_run import SizeOffer, make_active, size_offers
from engine.hardware import Machine, detect
from engine.model_registry import catalog_key
from engine.model_registry import load as load_registry
from engine.paths import resource
from engine.progress import Progress
from engine.settings import downloads_allowed
from engine.store.feeds import add_subscriptions, list_feeds

SUGGESTED_FEEDS = resource("feeds.opml")
_VERDICT_ROLE = {"fits": "good", "tight": "warn", "wont_fit": "bad"}


class SizeCard(QFrame):
    """One size tier as a card: a radio button and its facts in words."""

    def __init__(self, offer: SizeOffer, group: QButtonGroup):
        super().__init__()
        mark(self, "card")
        self.offer = offer
        tier = {
            "tiny": self.tr("Tiny"),
            "small": self.tr("Small"),
            "medium": self.tr("Medium"),
            "large": self.tr("Large"),
        }[offer.tier]
        self.radio = QRadioButton(f"{tier} — {offer.spec.name}")
        self.radio.setAccessibleName(self.tr("{tier} model").format(tier=tier))
        group.addButton(self.radio)
        self.radio.toggled.connect(lambda on: (self.setProperty("selected", on), self.style().polish(self)))
        title = QHBoxLayout()
        title.addWidget(self.radio, 1)
        if offer.recommended:
            title.addWidget(mark(QLabel(self.tr("Recommended for this computer")), "good"))
        verdict = mark(QLabel(self.tr(offer.fit.badge)), _VERDICT_ROLE[offer.fit.verdict])
        verdict.setToolTip(offer.fit.arithmetic())
        facts = QHBoxLayout()
        facts.setSpacing(14)
        facts.addWidget(QLabel(self.tr(offer.size)))
        facts.addWidget(verdict)
        facts.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(3)
        layout.addLayout(title)
        layout.addLayout(facts)
        for line in (offer.speed, offer.quality):
            text = mark(QLabel(self.tr(line)), "explanation")
            text.setWordWrap(True)
            layout.addWidget(text)

    def mousePressEvent(self, event) -> None:  # noqa: ANN001, N802 - the whole card picks the size
        self.radio.setChecked(True)
        super().mousePressEvent(event)


class WelcomeDialog(QDialog):
    switched = Signal(str)  # the sentence announcing the model now in use
    said = Signal(str)  # every progress sentence, for the window's status bar while the tour is closed

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None = None,
        *,
        catalog: Catalog | None = None,
        machine: Machine | None = None,
    ):
        super().__init__(parent)
        self.context = context
        self.catalog = catalog or load_catalog()
        self.cards: list[SizeCard] = []
        self.feed_boxes: list[tuple[QCheckBox, Subscription]] = []
        self.download_op: BackgroundOp | None = None
        self.download_offer: SizeOffer | None = None  # the size being downloaded, to switch to when done
        # The app's one owner of downloads (the Models page shows the same download). Bound methods:
        # Qt drops them with this dialog, while the Downloads stays.
        self.downloads = downloads_of(context)
        self.downloads.progressed.connect(self._download_progress)
        self.downloads.installed.connect(self._downloaded)
        self.downloads.failed.connect(self._download_failed)
        self.downloads.paused.connect(self._download_paused)
        self.setWindowTitle(self.tr("Welcome to Riddlewire"))
        self.setModal(False)  # the reader stays usable: play while the tour and the download go on
        self.resize(760, 640)

        self.steps = QStackedWidget()
        self.steps.addWidget(self._play_step())
        self.steps.addWidget(self._size_step())
        self.steps.addWidget(self._news_step())
        self.step_label = mark(QLabel(), "explanation")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress_text = mark(QLabel(), "explanation")
        self.progress_text.setWordWrap(True)
        for widget in (self.progress, self.progress_text):
            widget.hide()

        self.skip_button = mark(QPushButton(self.tr("Skip the tour")), "flat")
        self.skip_button.clicked.connect(self.reject)
        self.back_button = QPushButton(self.tr("Back"))
        self.back_button.clicked.connect(lambda: self.go(self.steps.currentIndex() - 1))
        self.next_button = mark(QPushButton(), "primary")
        self.next_button.setMinimumWidth(200)  # its longest text, so the buttons do not jump between steps
        self.next_button.clicked.connect(self.next_step)
        buttons = QHBoxLayout()
        buttons.addWidget(self.skip_button)
        buttons.addWidget(self.step_label)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        layout.addLayout(buttons)
        self.machine = machine
        self._shown = False
        self._feeds_asked = 0  # readings of the subscriptions asked for; only the newest is shown
        self.go(0)
        self._load_offers(machine)
        self._load_feeds()

    # -- step 1: play now ---------------------------------------------------------------------------
    def _play_step(self) -> QWidget:
        page = _page(
            self.tr("Riddles are on their way"),
            self.tr(
                "Riddlewire turns the day's news into riddles, with a language model that runs on this "
                "computer. Nothing you play leaves it."
            ),
            self.tr(
                "Right now it is riddling a bundle of sample news with its small built-in model, so you can "
                "start playing in the main window straight away: pick a riddle, ask for a hint, reveal the "
                "answer."
            ),
            self.tr("Two quick choices make it yours: how big a model to use, and which news to follow."),
        )
        page.layout().addStretch(1)  # three short paragraphs at the top, not spread over the dialog
        return page

    # -- step 2: model size -------------------------------------------------------------------------
    def _size_step(self) -> QWidget:
        self.machine_text = mark(QLabel(self.tr("Looking at this computer…")), "explanation")
        self.machine_text.setWordWrap(True)
        self.cards_box = QVBoxLayout()
        self.cards_box.setSpacing(10)
        self.size_group = QButtonGroup(self)
        self.size_group.buttonToggled.connect(lambda *_: self._update_buttons())
        scroll = _scrolling(self.cards_box)
        page = _page(
            self.tr("Pick your model size"),
            self.tr(
                "Bigger models write better riddles but need more memory and take longer. You can "
                "keep playing while a new one downloads; Riddlewire switches when it is ready."
            ),
        )
        page.layout().addWidget(self.machine_text)
        page.layout().addWidget(scroll, 1)
        return page

    def _load_offers(self, machine: Machine | None) -> None:
        context, catalog = self.context, self.catalog
        n_ctx, device = (
            int(context.settings["inference.context_length"]),
            str(context.settings["inference.device"]),
        )
        override = context.model_override

        def op(_cancel, _report) -> tuple[Machine, list[SizeOffer], str]:  # noqa: ANN001
            found = machine or detect(context.paths.models)
            current = override.path.name if override else Path(load_registry(context.paths).active.path).name
            return (
                found,
                size_offers(catalog, found, context.paths.models, n_ctx=n_ctx, device=device),
                current,
            )

        BackgroundOp(
            op,
            on_success=self._show_offers,
            on_failure=lambda e: self.machine_text.setText(failure_sentence(e)),
        ).start()

    def _show_offers(self, found: tuple[Machine, list[SizeOffer], str]) -> None:
        machine, offers, current = found
        self.machine_text.setText(self.tr("This computer: {summary}").format(summary=machine.summary()))
        for card in self.cards:  # a restarted tour shows the sizes as they are now
            self.size_group.removeButton(card.radio)
            card.deleteLater()
        self.cards.clear()
        in_use = next((o for o in offers if o.file.filename == current), None)
        for offer in offers:
            card = SizeCard(offer, self.size_group)
            self.cards.append(card)
            self.cards_box.addWidget(card)
            # A first run pre-selects the recommendation; a later visit shows the size in use.
            preselect = (
                offer is in_use if in_use is not None and not in_use.spec.bundled else offer.recommended
            )
            card.radio.setChecked(preselect)
        self._update_buttons()

    def chosen(self) -> SizeOffer | None:
        return next((card.offer for card in self.cards if card.radio.isChecked()), None)

    def card(self, tier: str) -> SizeCard:
        return next(card for card in self.cards if card.offer.tier == tier)

    def use_chosen_size(self) -> None:
        offer = self.chosen()
        if offer is None or (self.download_op is not None and not self.download_op.done):
            return
        paths = self.context.paths
        if offer.spec.bundled:
            BackgroundOp(
                lambda _c, _r: make_active(paths, offer, None),
                on_success=lambda choice: self._switched(offer, choice),
                on_failure=lambda e: self._say(failure_sentence(e)),
            ).start()
        else:
            self.start_download(offer)

    def start_download(self, offer: SizeOffer) -> None:
        """Download (or, if already there, just verify) the offer's file, then make it active."""
        endpoint = str(self.context.settings["privacy.hub_endpoint"]) or None
        self.download_offer = offer
        self.progress.setValue(0)
        self.progress.show()
        self._say(
            self.tr(
                "Downloading {name} in the background. Keep playing: Riddlewire switches to it when "
                "it is ready."
            ).format(name=offer.spec.name)
        )
        self.download_op = self.downloads.start(offer.spec, offer.file, endpoint=endpoint)

    def _ours(self, key: str) -> bool:
        offer = self.download_offer
        return offer is not None and key == catalog_key(offer.spec, offer.file)

    def _download_progress(self, key: str, progress: Progress) -> None:
        if not self._ours(key):
            return
        if progress.total:
            self.progress.setValue(int(progress.done * 1000 / progress.total))
        if progress.message:
            self._say(progress.message)

    def _downloaded(self, key: str, _model: object) -> None:
        """On disk, verified and registered: make it the active model (off the UI thread), then switch."""
        if not self._ours(key):
            return
        offer, paths = self.download_offer, self.context.paths
        BackgroundOp(
            lambda _c, _r: make_active(paths, offer, None),
            on_success=lambda choice: self._switched(offer, choice),
            on_failure=lambda e: self._say(failure_sentence(e)),
        ).start()

    def _download_failed(self, key: str, sentence: str) -> None:
        if not self._ours(key):
            return
        self.progress.hide()
        self._say(sentence + " " + self.tr("You keep playing with the model you have."))

    def _download_paused(self, key: str) -> None:
        if self._ours(key):
            self._say(
                self.tr("Download paused. It continues from where it stopped when you pick the size again.")
            )

    def _switched(self, offer: SizeOffer, choice: ModelChoice) -> None:
        """The picked model is on disk, verified and active: riddle with it from now on, and say so."""
        self.context.use_model(choice)
        self.progress.hide()
        sentence = self.tr("Riddlewire now uses {name} ({tier}). New riddles come from it.").format(
            name=offer.spec.name, tier=offer.tier
        )
        self._say(sentence)
        self.switched.emit(sentence)

    def stop_download(self) -> None:
        offer = self.download_offer
        if offer is not None:
            self.downloads.pause(catalog_key(offer.spec, offer.file))

    # -- step 3: news -------------------------------------------------------------------------------
    def _news_step(self) -> QWidget:
        self.feeds_box = QVBoxLayout()
        scroll = _scrolling(self.feeds_box)
        import_button = QPushButton(self.tr("Import an OPML file…"))
        import_button.setToolTip(self.tr("Bring your subscriptions from another feed reader."))
        import_button.clicked.connect(self.import_opml)
        page = _page(
            self.tr("Pick your news"),
            self.tr(
                "Riddlewire fetches these feeds straight from their sites; nothing else is sent. "
                "Change them any time on the Feeds page."
            ),
        )
        page.layout().addWidget(scroll, 1)
        page.layout().addWidget(import_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.add_feed_choices(read_opml(SUGGESTED_FEEDS.read_bytes()), checked=True)
        return page

    def add_feed_choices(self, subscriptions: list[Subscription], checked: bool) -> None:
        known = {sub.url for _box, sub in self.feed_boxes}
        category = None
        for sub in subscriptions:
            if sub.url in known:
                continue
            if sub.category != category:
                category = sub.category
                self.feeds_box.addWidget(mark(QLabel(category or self.tr("Other")), "heading"))
            box = QCheckBox(sub.title or sub.url)
            box.setChecked(checked)
            box.setToolTip(sub.url)
            self.feed_boxes.append((box, sub))
            self.feeds_box.addWidget(box)

    def import_opml(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import subscriptions"), "", self.tr("OPML files (*.opml *.xml)")
        )
        if path:
            self.import_opml_file(path)

    def import_opml_file(self, path: str) -> None:
        try:
            with open(path, "rb") as handle:
                self.add_feed_choices(read_opml(handle.read(5 * 1024 * 1024 + 1)), checked=True)
        except OSError as error:
            self._say(self.tr("That file could not be read ({why}).").format(why=error.strerror))
        except Exception as error:  # noqa: BLE001 - FeedError and friends carry their sentence
            self._say(failure_sentence(error))

    def _load_feeds(self) -> None:
        """Read the subscriptions as they are now (off the UI thread). On a first run the suggestions
        stay ticked; only the newest reading counts (an older one may arrive later)."""
        self._feeds_asked += 1
        if not self.context.settings["state.welcome_done"]:
            return
        store, ticket = self.context.store, self._feeds_asked
        BackgroundOp(
            lambda _c, _r: store.run(list_feeds),
            on_success=lambda feeds: self._show_feeds(feeds) if ticket == self._feeds_asked else None,
            on_failure=lambda e: self._say(failure_sentence(e)),
        ).start()

    def _show_feeds(self, feeds: list[Feed]) -> None:
        """Once the tour has been done, its choices are the current subscriptions: a feed removed since
        is unticked (so Done never subscribes it again), and feeds added elsewhere are listed, ticked."""
        subscribed = {feed.url for feed in feeds}
        for box, sub in self.feed_boxes:
            box.setChecked(sub.url in subscribed)
        self.add_feed_choices([Subscription(f.url, f.title, f.category, f.site) for f in feeds], checked=True)

    def chosen_feeds(self) -> list[Subscription]:
        return [sub for box, sub in self.feed_boxes if box.isChecked()]

    def subscribe(self) -> None:
        chosen, store = self.chosen_feeds(), self.context.store
        if chosen:
            BackgroundOp(
                lambda _c, _r: store.run(add_subscriptions, chosen),
                on_success=self._subscribed,
                on_failure=lambda e: self._say(failure_sentence(e)),
            ).start()

    def _subscribed(self, added: list) -> None:
        self._say(self.tr("{n} news sources added.").format(n=len(added)))
        refresher = self.context.feed_refresher
        if added and refresher is not None:
            refresher.refresh_now()  # their news turns into riddles as soon as it arrives

    # -- navigation ---------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        """Help → Welcome tour shows the same dialog again: it starts over at step 1, with the sizes
        and the feeds read again."""
        super().showEvent(event)
        if event.spontaneous():
            return  # the window system restoring it, not the tour being opened
        if self._shown:
            self.restart()
        self._shown = True

    def restart(self) -> None:
        self.go(0)
        if self.download_op is None or self.download_op.done:
            self.progress.hide()
            self.progress_text.clear()
            self.progress_text.hide()
        self._load_offers(self.machine)
        self._load_feeds()

    def go(self, index: int) -> None:
        self.steps.setCurrentIndex(max(0, min(index, self.steps.count() - 1)))
        self._update_buttons()

    def next_step(self) -> None:
        index = self.steps.currentIndex()
        if index == 1:
            self.use_chosen_size()
        if index == self.steps.count() - 1:
            self.subscribe()
            self.accept()
            return
        self.go(index + 1)

    def _update_buttons(self) -> None:
        index = self.steps.currentIndex()
        self.step_label.setText(self.tr("Step {n} of {total}").format(n=index + 1, total=self.steps.count()))
        self.back_button.setEnabled(index > 0)
        if index == 1:
            offer = self.chosen()
            needs_download = offer is not None and not offer.installed
            self.next_button.setText(
                self.tr("Download and continue") if needs_download else self.tr("Continue")
            )
            blocked = needs_download and not downloads_allowed(self.context.settings)
            self.next_button.setEnabled(not blocked)
            if blocked:
                self._say(self.tr("Model downloads are turned off in Settings → Privacy and network."))
        else:
            self.next_button.setEnabled(True)
            self.next_button.setText(self.tr("Done") if index == self.steps.count() - 1 else self.tr("Next"))

    def _say(self, sentence: str) -> None:
        self.progress_text.setText(sentence)
        self.progress_text.show()
        self.said.emit(sentence)


def _page(title: str, *paragraphs: str) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(10)
    layout.addWidget(mark(QLabel(title), "title"))
    for text in paragraphs:
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
    return page


def _scrolling(rows: QVBoxLayout) -> QScrollArea:
    """A scroll area holding `rows` at the top (the size cards, the feed choices)."""
    inner = QWidget()
    column = QVBoxLayout(inner)
    column.setContentsMargins(0, 0, 0, 0)
    column.addLayout(rows)
    column.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(inner)
    return scroll

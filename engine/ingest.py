"""Ingest: news from the web into the history. Fetch, parse, dedupe and write, in one place.

This is the only module that imports both engine.feeds (pure: fetch, parse, dedupe, mute, OPML; it
knows no database) and engine.store (SQLite; it knows no network). Keeping the meeting point here is
what keeps the two packages from importing each other (tests/test_layering.py holds that).

Refreshing feeds: fetch and parse in parallel on a bounded pool, store the results one at a time.
Network and parsing run on worker threads and touch no database; each finished fetch is handed to
the store in the calling thread (through the app's one database thread when `db` is a StoreProxy).
A feed that fails, hangs or floods becomes a FAILED outcome with its own sentence; the rest go on.

Full text (off unless "news.full_text" is on): for stored articles whose feed gave only a line or
two, fetch the page and keep its paragraphs (engine.feeds.extract.article_text)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from engine.errors import EngineError, FeedError
from engine.feeds.extract import MAX_PAGE_BYTES, SHORT_SUMMARY_CHARS, article_text
from engine.feeds.fetch import DEFAULT_LIMITS, FetchLimits, fetch, new_client
from engine.feeds.parse import parse_feed
from engine.feeds.state import FAILED, NOT_MODIFIED, OK, UNCHANGED, Feed, FeedOutcome, SavedOutcome
from engine.progress import CancelToken, Progress, ProgressCallback, throttled
from engine.store import Store
from engine.store.clusters import assign_new_articles
from engine.store.feeds import (
    articles_needing_text,
    list_feeds,
    mute_rules,
    save_outcome,
    set_article_text,
)

log = logging.getLogger(__name__)
WORKERS = 8  # parallel fetches: enough to hide network latency, few enough to be polite and light


class StoreRunner(Protocol):
    def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class RefreshReport:
    outcomes: tuple[SavedOutcome, ...]

    @property
    def new(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def muted(self) -> int:
        return sum(o.muted for o in self.outcomes)

    @property
    def failed(self) -> tuple[SavedOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == FAILED)

    def sentence(self) -> str:
        text = f"{len(self.outcomes)} feeds checked, {self.new} new articles"
        if self.muted:
            text += f", {self.muted} muted"
        if self.failed:
            text += f"; {len(self.failed)} could not be read"
        return text + "."


def refresh(
    db: Store | StoreRunner,
    feed_ids: Iterable[int] | None = None,
    *,
    limits: FetchLimits = DEFAULT_LIMITS,
    workers: int = WORKERS,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> RefreshReport:
    """Refresh all feeds (or the given ones) and store what is new. Blocks; call it off the UI thread."""
    run = db.run  # a Store or the app's StoreProxy: both run fn(store, ...) on their own terms
    feeds = run(list_feeds)
    if feed_ids is not None:
        wanted = set(feed_ids)
        feeds = [f for f in feeds if f.id in wanted]
    rules = run(mute_rules)
    report = throttled(progress)
    saved: list[SavedOutcome] = []
    report(Progress("feeds", 0, len(feeds), "Checking your feeds…"))
    names = {feed.id: feed.name for feed in feeds}
    for outcome in fetch_all(feeds, limits=limits, workers=workers, cancel=cancel):
        result = run(save_outcome, outcome, rules)
        saved.append(result)
        report(Progress("feeds", len(saved), len(feeds), _progress_line(names[outcome.feed_id], result)))
    run(assign_new_articles)  # one story across outlets, one cluster (issue 19): after all are written
    return RefreshReport(tuple(saved))


def fetch_all(
    feeds: list[Feed],
    *,
    limits: FetchLimits = DEFAULT_LIMITS,
    workers: int = WORKERS,
    cancel: CancelToken | None = None,
    client: httpx.Client | None = None,
) -> Iterator[FeedOutcome]:
    """Outcomes in the order fetches finish. No more than `workers` feeds are in flight at once."""
    cancel = cancel or CancelToken()
    stop = CancelToken()  # ours: ends in-flight downloads without touching the caller's token
    own = client is None
    client = client or new_client(limits, max_connections=workers)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="riddlewire-feed")
    pending = list(reversed(feeds))
    running: set[Future[FeedOutcome]] = set()
    try:
        while pending or running:
            if cancel.cancelled:
                stop.cancel()
                cancel.raise_if_cancelled()
            while pending and len(running) < workers:
                running.add(pool.submit(check_feed, pending.pop(), client, limits, stop))
            done, running = wait(running, timeout=0.25, return_when=FIRST_COMPLETED)
            yield from (future.result() for future in done)
    finally:
        # On cancel or an early exit, downloads stop at their next chunk; nobody waits for them.
        stop.cancel()
        pool.shutdown(wait=not running, cancel_futures=True)
        if own and not running:
            client.close()


def check_feed(feed: Feed, client: httpx.Client, limits: FetchLimits, cancel: CancelToken) -> FeedOutcome:
    """Fetch and parse one feed. Never raises (except Cancelled): a failure is an outcome."""
    fetched_at = datetime.now(UTC)
    stamp = fetched_at.isoformat(timespec="seconds")
    try:
        response = fetch(
            feed.url,
            etag=feed.etag,
            last_modified=feed.last_modified,
            client=client,
            limits=limits,
            cancel=cancel,
        )
        if response.not_modified:
            return FeedOutcome(feed.id, feed.url, NOT_MODIFIED, stamp)
        body_hash = hashlib.sha256(response.body).hexdigest()
        if body_hash == feed.body_hash:  # the server ignores conditional GET but sent the same bytes
            return FeedOutcome(feed.id, feed.url, UNCHANGED, stamp)
        parsed = parse_feed(
            response.body,
            feed_url=feed.url,
            fetched_at=fetched_at,
            headers={**response.headers, "content-location": response.url},
        )
    except EngineError as error:
        if cancel.cancelled:
            raise
        return FeedOutcome(feed.id, feed.url, FAILED, stamp, error=error.sentence)
    except Exception:  # noqa: BLE001 - a parser bug on one hostile feed must not stop the others
        log.exception("feed %s broke the parser", feed.url)
        return FeedOutcome(
            feed.id,
            feed.url,
            FAILED,
            stamp,
            error=f"{feed.name} could not be read: its content broke the feed reader (the details are in the "
            "log); it was skipped.",
        )
    return FeedOutcome(
        feed.id,
        feed.url,
        OK,
        stamp,
        etag=response.etag,
        last_modified=response.last_modified,
        body_hash=body_hash,
        title=parsed.title,
        site=parsed.site,
        articles=parsed.articles,
        warning=parsed.warning,
    )


def _progress_line(name: str, saved: SavedOutcome) -> str:
    if saved.status == FAILED:
        return saved.error
    if saved.status in (NOT_MODIFIED, UNCHANGED):
        return f"{name}: no change."
    return f"{name}: {saved.new} new."


@dataclass(frozen=True)
class FullTextReport:
    filled: int
    failed: tuple[tuple[str, str], ...]  # (link, sentence)


def fill_full_text(
    store: Store | StoreRunner,
    limit: int = 50,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    client: httpx.Client | None = None,
) -> FullTextReport:
    """Fetch and keep the full text of stored, not yet riddled articles whose summary is short."""
    report = progress or (lambda _p: None)
    todo = store.run(articles_needing_text, SHORT_SUMMARY_CHARS, limit)
    own = client is None
    client = client or new_client()
    filled, failed = 0, []
    try:
        for done, (article_id, link, summary) in enumerate(todo, start=1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                page = fetch(link, max_bytes=MAX_PAGE_BYTES, client=client, cancel=cancel)
                text = article_text(page.body.decode("utf-8", "replace"))
            except FeedError as error:
                failed.append((link, error.sentence))
                continue
            if len(text) > len(summary):
                store.run(set_article_text, article_id, text)
                filled += 1
            report(Progress("full text", done, len(todo), f"Read {done} of {len(todo)} article pages"))
    finally:
        if own:
            client.close()
    return FullTextReport(filled, tuple(failed))

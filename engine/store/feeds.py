"""Feed, article-ingest and mute queries. Each function takes a Store first, so the app can run it
on its one database thread (`context.store.run(fn, ...)`) and the CLI can call it directly."""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from datetime import UTC, datetime

from engine.articles import Article
from engine.errors import FeedError
from engine.feeds.dedupe import SAME_STORY_WINDOW, title_key, unique_articles
from engine.feeds.fetch import check_address
from engine.feeds.mute import MuteRule, is_muted
from engine.feeds.opml import Subscription
from engine.feeds.state import FAILED, OK, Feed, FeedOutcome, SavedOutcome
from engine.store import Store, article_from_row

_FEED_COLUMNS = tuple(f.name for f in fields(Feed))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- subscriptions ---------------------------------------------------------------------------------
def list_feeds(store: Store) -> list[Feed]:
    rows = store.db.query(f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds ORDER BY category, title, url")
    return [_feed(row) for row in rows]


def get_feed(store: Store, url_or_id: str | int) -> Feed:
    """A feed by id or by its exact address; FeedError with a sentence when there is none."""
    column = "id" if str(url_or_id).isdigit() else "url"
    rows = list(
        store.db.query(f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds WHERE {column} = ?", [url_or_id])
    )
    if not rows:
        raise FeedError(f"You are not subscribed to {url_or_id}. `riddlewire feeds list` shows your feeds.")
    return _feed(rows[0])


def add_feed(store: Store, url: str, title: str = "", category: str = "", site: str = "") -> Feed:
    url = url.strip()
    check_address(url)
    if store.db.execute("SELECT 1 FROM feeds WHERE url = ?", [url]).fetchone():
        raise FeedError(f"You are already subscribed to {url}.")
    with store.db.conn:
        store.db.execute(
            "INSERT INTO feeds (url, title, category, site, added_at) VALUES (?, ?, ?, ?, ?)",
            [url, title.strip(), category.strip(), site, _now()],
        )
    return get_feed(store, url)


def add_subscriptions(store: Store, subscriptions: list[Subscription]) -> list[Feed]:
    """Subscribe to each one not already present (OPML import); returns the feeds added."""
    known = {row[0] for row in store.db.execute("SELECT url FROM feeds").fetchall()}
    added = []
    for sub in subscriptions:
        if sub.url not in known:
            added.append(add_feed(store, sub.url, sub.title, sub.category, sub.site))
            known.add(sub.url)
    return added


def subscriptions(store: Store) -> list[Subscription]:
    return [Subscription(f.url, f.title, f.category, f.site) for f in list_feeds(store)]


def rename_feed(store: Store, feed_id: int, title: str) -> Feed:
    return _update(store, feed_id, title=title.strip())


def set_category(store: Store, feed_id: int, category: str) -> Feed:
    return _update(store, feed_id, category=category.strip())


def remove_feed(store: Store, feed_id: int) -> Feed:
    """Unsubscribe. Articles already read stay in the history, with their riddles."""
    feed = get_feed(store, feed_id)
    with store.db.conn:
        store.db.execute("DELETE FROM feeds WHERE id = ?", [feed_id])
    return feed


def _update(store: Store, feed_id: int, **changes: str) -> Feed:
    get_feed(store, feed_id)
    with store.db.conn:
        store.db["feeds"].update(feed_id, changes)
    return get_feed(store, feed_id)


def _feed(row: dict) -> Feed:
    return Feed(
        **{
            name: row[name] if row[name] is not None else Feed.__dataclass_fields__[name].default
            for name in _FEED_COLUMNS
        }
    )


# -- refresh results -------------------------------------------------------------------------------
def save_outcome(store: Store, outcome: FeedOutcome, rules: tuple[MuteRule, ...] = ()) -> SavedOutcome:
    """Record one fetch in one transaction: the feed's state, and its new articles (deduplicated
    against each other and the history, mutes applied)."""
    if outcome.status != OK:
        error = outcome.error if outcome.status == FAILED else ""
        with store.db.conn:
            _record_state(store.db.conn, outcome, last_new=0, last_error=error)
        return SavedOutcome(outcome.feed_id, outcome.status, error=error)
    fill_title_keys(store)
    unique = unique_articles(outcome.articles)
    kept = [a for a in unique if not is_muted(a, rules)]
    with store.db.conn:
        fresh = [a for a in kept if not _already_stored(store.db.conn, a)]
        _insert_articles(store.db.conn, fresh, outcome.fetched_at)
        _record_state(store.db.conn, outcome, last_new=len(fresh), last_error="")
    return SavedOutcome(
        outcome.feed_id,
        OK,
        new=len(fresh),
        seen=len(outcome.articles) - len(unique) + len(kept) - len(fresh),
        muted=len(unique) - len(kept),
    )


def _already_stored(conn: sqlite3.Connection, article: Article) -> bool:
    if conn.execute("SELECT 1 FROM articles WHERE key = ?", [article.key]).fetchone():
        return True
    fingerprint = title_key(article.title)
    if not fingerprint:
        return False
    window = [
        (article.published - SAME_STORY_WINDOW).isoformat(),
        (article.published + SAME_STORY_WINDOW).isoformat(),
    ]
    return (
        conn.execute(
            "SELECT 1 FROM articles WHERE title_key = ? AND published BETWEEN ? AND ? LIMIT 1",
            [fingerprint, *window],
        ).fetchone()
        is not None
    )


def _insert_articles(conn: sqlite3.Connection, articles: list[Article], fetched_at: str) -> None:
    # Like Store.save_articles, plus the fingerprint in the same INSERT: a later UPDATE would make
    # the full-text triggers re-index every row, which tripled the cost of a refresh.
    conn.executemany(
        "INSERT OR IGNORE INTO articles (key, title, link, source, feed_url, published, author, summary, "
        "guid, fetched_at, title_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                a.key,
                a.title,
                a.link,
                a.source,
                a.feed_url,
                a.published.isoformat(),
                a.author,
                a.summary,
                a.guid,
                fetched_at,
                title_key(a.title),
            )
            for a in articles
        ],
    )


def _record_state(conn: sqlite3.Connection, outcome: FeedOutcome, *, last_new: int, last_error: str) -> None:
    changes: dict[str, object] = {
        "last_fetched": outcome.fetched_at,
        "last_status": outcome.status,
        "last_error": last_error,
        "last_new": last_new,
    }
    if outcome.status == OK:
        changes |= {
            "etag": outcome.etag,
            "last_modified": outcome.last_modified,
            "body_hash": outcome.body_hash,
            "last_warning": outcome.warning,
        }
        if outcome.site:
            changes["site"] = outcome.site
    assignments = ", ".join(f"{column} = ?" for column in changes)  # column names are ours, never input
    conn.execute(f"UPDATE feeds SET {assignments} WHERE id = ?", [*changes.values(), outcome.feed_id])
    if outcome.title:  # a feed the user has not named takes the name the feed gives itself
        conn.execute(
            "UPDATE feeds SET title = ? WHERE id = ? AND title = ''", [outcome.title, outcome.feed_id]
        )


def fill_title_keys(store: Store) -> int:
    """Fingerprint articles stored without one (older rows, or rows saved by other code paths)."""
    rows = store.db.execute("SELECT id, title FROM articles WHERE title_key IS NULL").fetchall()
    if rows:
        with store.db.conn:
            store.db.conn.executemany(
                "UPDATE articles SET title_key = ? WHERE id = ?",
                [(title_key(title or ""), article_id) for article_id, title in rows],
            )
    return len(rows)


def feed_articles(store: Store, feed_url: str, limit: int = 30) -> list[Article]:
    """The newest stored articles of one feed (the Feeds page preview)."""
    rows = store.db.query(
        "SELECT * FROM articles WHERE feed_url = ? ORDER BY published DESC, id DESC LIMIT ?",
        [feed_url, limit],
    )
    return [article_from_row(row) for row in rows]


# -- mutes -----------------------------------------------------------------------------------------
def mute_rules(store: Store) -> tuple[MuteRule, ...]:
    rows = store.db.execute("SELECT id, kind, pattern FROM mutes ORDER BY kind, pattern").fetchall()
    return tuple(MuteRule(kind, pattern, id=rule_id) for rule_id, kind, pattern in rows)


def add_mute(store: Store, kind: str, pattern: str) -> MuteRule:
    rule = MuteRule(kind, pattern.strip())
    if not rule.pattern:
        raise FeedError("Type a word or a source to mute.")
    with store.db.conn:
        store.db.execute(
            "INSERT OR IGNORE INTO mutes (kind, pattern, added_at) VALUES (?, ?, ?)",
            [rule.kind, rule.pattern, _now()],
        )
    return next(r for r in mute_rules(store) if (r.kind, r.pattern) == (rule.kind, rule.pattern))


def remove_mute(store: Store, rule_id: int) -> None:
    with store.db.conn:
        store.db.execute("DELETE FROM mutes WHERE id = ?", [rule_id])


# -- full text (engine/ingest.py) -------------------------------------------------------------------
def articles_needing_text(store: Store, short_chars: int, limit: int) -> list[tuple[int, str, str]]:
    """(id, link, summary) of unriddled web articles whose summary is shorter than short_chars."""
    rows = store.db.execute(
        "SELECT id, link, summary FROM articles WHERE length(coalesce(summary, '')) < ? "
        "AND (link LIKE 'http://%' OR link LIKE 'https://%') "
        "AND id NOT IN (SELECT article_id FROM riddles) ORDER BY published DESC LIMIT ?",
        [short_chars, limit],
    ).fetchall()
    return [(row[0], row[1], row[2] or "") for row in rows]


def set_article_text(store: Store, article_id: int, text: str) -> None:
    with store.db.conn:
        store.db.execute("UPDATE articles SET summary = ? WHERE id = ?", [text, article_id])

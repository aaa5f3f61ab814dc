"""The history database: SQLite through sqlite-utils, WAL mode, numbered migrations, one writer.

A Store owns one connection. The desktop app keeps one Store on a single database thread (the one
writer); the CLI and tests use one directly. Rows are made from frozen Articles and Riddles only."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout
from sqlite_utils import Database

from engine.articles import Article
from engine.errors import StoreError
from engine.riddles import Provenance, Riddle, StoredRiddle
from engine.store.connection import connect
from engine.store.migrations import MIGRATION_SET, apply_all, migration_names, pending_migrations

STATUSES = ("new", "solved", "revealed", "skipped")
_PREPARE_WAIT_S = 60  # a first open runs ~60 migrations: a second or two, longer on a loaded machine


class Store:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = connect(self.path)
            self.db = Database(conn)
            # NORMAL in WAL mode survives any process crash; only an OS crash could lose the last commit.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._refuse_newer_schema()
            self._prepare()
        except Timeout as exc:
            raise StoreError(
                f"The history database {self.path} is being upgraded by another Riddlewire that has not "
                "finished for a minute. Close it, or wait, and try again; nothing was changed."
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"The history database {self.path} cannot be opened ({exc}). "
                "Restore a backup or move the file away to start a new history."
            ) from exc

    def run(self, function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        """function(self, *args): the same call shape as the app's StoreProxy.run, so engine code that
        takes "a store" works with either (query modules are functions `fn(store, ...)`)."""
        return function(self, *args, **kwargs)

    def close(self) -> None:
        self.db.close()

    def _prepare(self) -> None:
        """WAL mode and the pending migrations, done by one connection at a time. Two connections that
        both found a new file (the app's database thread and a CLI, or a test beside the app) both
        began migrating it, and SQLite refused one at once with "database is locked": its busy wait
        cannot help two writers that each already read. So whoever has work to do takes a lock file
        beside the database, then looks again: the second finds the work done. An up-to-date
        database needs no lock (and no write: a backup in a read-only folder opens as it is)."""
        if self._journal_is_wal() and not pending_migrations(self.db):
            return
        with FileLock(f"{self.path}.lock", timeout=_PREPARE_WAIT_S):
            # Switching the journal mode needs the database to itself; once a file is WAL, it stays so.
            if not self._journal_is_wal():
                self.db.execute("PRAGMA journal_mode=WAL")
            apply_all(self.db)

    def _journal_is_wal(self) -> bool:
        return self.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def _refuse_newer_schema(self) -> None:
        """A database written by a newer Riddlewire has migrations we do not know: stop, don't damage it."""
        unknown = newer_migrations(self.db)
        if unknown:
            raise StoreError(
                f"The history in {self.path} was written by a newer version of Riddlewire "
                f"(it has {', '.join(unknown)}). Update the app to open it; the file was not changed."
            )

    # -- articles ------------------------------------------------------------------------------
    def save_articles(self, articles: list[Article]) -> list[Article]:
        """Insert new articles (by key) and return all of them with their ids."""
        now = _now()
        saved = []
        with self.db.conn:
            for article in articles:
                row = self.db.execute("SELECT id FROM articles WHERE key = ?", [article.key]).fetchone()
                if row is None:
                    cursor = self.db.execute(
                        "INSERT INTO articles (key, title, link, source, feed_url, published, author, "
                        "summary, guid, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        [
                            article.key,
                            article.title,
                            article.link,
                            article.source,
                            article.feed_url,
                            article.published.isoformat(),
                            article.author,
                            article.summary,
                            article.guid,
                            now,
                        ],
                    )
                    row = (cursor.lastrowid,)
                saved.append(replace(article, id=row[0]))
        return saved

    def article(self, article_id: int) -> Article:
        row = self.db["articles"].get(article_id)
        return article_from_row(row)

    def count_articles(self) -> int:
        return self.db["articles"].count

    def articles_without_riddles(self, limit: int = 100) -> list[Article]:
        # One riddle per story (issue 19): of a story cluster (m050, engine/store/clusters.py) only its
        # newest article is offered, and none once any of its articles has a riddle.
        rows = self.db.query(
            "SELECT a.* FROM articles a LEFT JOIN article_clusters c ON c.article_id = a.id "
            "WHERE a.id NOT IN (SELECT article_id FROM riddles) AND (c.cluster_id IS NULL OR ("
            "NOT EXISTS (SELECT 1 FROM article_clusters o JOIN riddles r ON r.article_id = o.article_id "
            "WHERE o.cluster_id = c.cluster_id) AND a.id = (SELECT o.article_id FROM article_clusters o "
            "JOIN articles b ON b.id = o.article_id WHERE o.cluster_id = c.cluster_id "
            "ORDER BY b.published DESC, b.id LIMIT 1))) ORDER BY a.published DESC, a.id LIMIT ?",
            [limit],
        )
        return [article_from_row(r) for r in rows]

    # -- riddles -------------------------------------------------------------------------------
    def save_riddle(self, article: Article, riddle: Riddle, provenance: Provenance) -> StoredRiddle:
        if article.id is None:
            raise ValueError("save the article before its riddle")
        row = {
            "article_id": article.id,
            "text": riddle.text,
            "answer": riddle.answer,
            "hints": json.dumps(list(riddle.hints), ensure_ascii=False),
            "difficulty": riddle.difficulty,
            **asdict(provenance),
        }
        with self.db.conn:
            rid = self.db["riddles"].insert(row).last_pk
        return StoredRiddle(id=rid, riddle=riddle, article=article, provenance=provenance)

    def riddles(self, limit: int = 200, offset: int = 0) -> list[StoredRiddle]:
        """Newest first."""
        rows = self.db.query(
            RIDDLE_SELECT + " ORDER BY r.created_at DESC, r.id DESC LIMIT ? OFFSET ?", [limit, offset]
        )
        return [stored_riddle(r) for r in rows]

    def riddle(self, riddle_id: int) -> StoredRiddle:
        rows = list(self.db.query(RIDDLE_SELECT + " WHERE r.id = ?", [riddle_id]))
        if not rows:
            raise StoreError(f"Riddle {riddle_id} is not in the history.")
        return stored_riddle(rows[0])

    def count_riddles(self) -> int:
        return self.db["riddles"].count

    def set_status(self, riddle_id: int, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(status)
        with self.db.conn:
            self.db.execute("UPDATE riddles SET status = ? WHERE id = ?", [status, riddle_id])

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def newer_migrations(db: Database) -> list[str]:
    """Migrations recorded in db that this version does not have: the mark of a newer app's file."""
    if "_sqlite_migrations" not in db.table_names():
        return []
    applied = {
        row["name"] for row in db["_sqlite_migrations"].rows_where("migration_set = ?", [MIGRATION_SET])
    }
    return sorted(applied - set(migration_names()))


def now_iso() -> str:
    """UTC now with microseconds: plays a moment apart still sort in the order they happened."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


# Query modules (engine/store/*.py) build on these two: one riddle row joined to its article.
RIDDLE_SELECT = (
    "SELECT r.*, a.id AS a_id, a.title AS a_title, a.link AS a_link, a.source AS a_source, "
    "a.feed_url AS a_feed_url, a.published AS a_published, a.author AS a_author, a.summary AS a_summary, "
    "a.guid AS a_guid FROM riddles r JOIN articles a ON a.id = r.article_id"
)
_PROVENANCE_FIELDS = tuple(Provenance.__dataclass_fields__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def article_from_row(row: dict) -> Article:
    return Article(
        id=row["id"],
        title=row["title"],
        link=row["link"] or "",
        source=row["source"] or "",
        feed_url=row["feed_url"] or "",
        published=datetime.fromisoformat(row["published"]),
        author=row["author"] or "",
        summary=row["summary"] or "",
        guid=row["guid"] or "",
    )


def stored_riddle(row: dict) -> StoredRiddle:
    article = article_from_row({k[2:]: v for k, v in row.items() if k.startswith("a_")})
    riddle = Riddle(
        text=row["text"],
        answer=row["answer"],
        hints=tuple(json.loads(row["hints"] or "[]")),
        difficulty=row["difficulty"] or "medium",
    )
    provenance = Provenance(**{k: row[k] for k in _PROVENANCE_FIELDS})
    return StoredRiddle(
        id=row["id"],
        riddle=riddle,
        article=article,
        provenance=provenance,
        status=row["status"],
        favourite=bool(row["favourite"]),
        rating=row["rating"] or 0,
    )

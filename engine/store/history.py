"""Browsing and searching the history: light lines for long lists, full entries for one riddle.

Lists page by riddle id (newest first, `before_id` as the cursor), never by OFFSET, so the 500th page
costs what the first does. Search goes through the one FTS5 index of m021 (riddle, answer, headline,
summary)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from engine.game import Play
from engine.riddles import StoredRiddle
from engine.store import RIDDLE_SELECT, Store, stored_riddle

PAGE = 200
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MAX_QUERY_WORDS = 8
_NO_CURSOR = 2**62  # larger than any riddle id


@dataclass(frozen=True, slots=True)
class RiddleLine:
    """One row of a list: only what the row shows, so a hundred thousand fit in little memory."""

    id: int
    text: str
    source: str
    status: str
    favourite: bool
    created_at: str

    @classmethod
    def of(cls, stored: StoredRiddle) -> RiddleLine:
        return cls(
            stored.id,
            stored.riddle.text,
            stored.article.source,
            stored.status,
            stored.favourite,
            stored.provenance.created_at,
        )


@dataclass(frozen=True)
class HistoryEntry:
    """One riddle with its article, provenance and how it was played."""

    stored: StoredRiddle
    play: Play

    @property
    def id(self) -> int:
        return self.stored.id

    def line(self) -> RiddleLine:
        return RiddleLine.of(self.stored)


@dataclass(frozen=True)
class HistoryFilter:
    query: str = ""  # words to find in riddle, answer, headline or summary (prefixes match)
    day: date | None = None  # a local calendar day
    source: str = ""
    model: str = ""  # model file name
    status: str = ""
    favourites: bool = False
    several_outlets: bool = False  # only stories told by two or more outlets (engine.store.clusters)


@dataclass(frozen=True)
class Facets:
    """What the history can be browsed by, newest day first, with counts."""

    days: tuple[tuple[date, int], ...]
    sources: tuple[tuple[str, int], ...]
    models: tuple[tuple[str, int], ...]


def match_expression(text: str) -> str:
    """A person's words as an FTS5 query: each word quoted (no operators or syntax errors can come
    from user input), all words required, and the last one matched as a prefix since it may still be
    being typed."""
    words = _WORD.findall(text)[:_MAX_QUERY_WORDS]
    return " ".join(f'"{w}"*' if i == len(words) - 1 else f'"{w}"' for i, w in enumerate(words))


def lines(
    store: Store,
    where: HistoryFilter = HistoryFilter(),
    before_id: int | None = None,  # noqa: B008
    limit: int = PAGE,
) -> list[RiddleLine]:
    select = "SELECT r.id, r.text, a.source, r.status, r.favourite, r.created_at FROM "
    expression = match_expression(where.query)
    if expression and where == HistoryFilter(query=where.query):
        # Search alone: FTS5 walks its own index newest first and stops at the page's end, instead
        # of collecting every match before sorting (a common word matches most of the history).
        rows = store.db.execute(
            f"{select} (SELECT rowid AS id FROM history_fts WHERE history_fts MATCH ? AND rowid < ? "
            "ORDER BY rowid DESC LIMIT ?) m JOIN riddles r ON r.id = m.id JOIN articles a ON a.id = "
            "r.article_id ORDER BY r.id DESC",
            [expression, before_id if before_id is not None else _NO_CURSOR, limit],
        ).fetchall()
    else:
        clause, params = _where(where, before_id)
        rows = store.db.execute(
            f"{select} riddles r JOIN articles a ON a.id = r.article_id {clause} ORDER BY r.id DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
    return [
        RiddleLine(i, text, source or "", status, bool(fav), created)
        for i, text, source, status, fav, created in rows
    ]


def count(store: Store, where: HistoryFilter = HistoryFilter()) -> int:  # noqa: B008
    clause, params = _where(where, None)
    join = "JOIN articles a ON a.id = r.article_id" if where.source else ""
    return store.db.execute(f"SELECT count(*) FROM riddles r {join} {clause}", params).fetchone()[0]


def entry(store: Store, riddle_id: int) -> HistoryEntry:
    return _entry(_rows(store, "WHERE r.id = ?", [riddle_id], riddle_id))


def iter_entries(
    store: Store, where: HistoryFilter = HistoryFilter(), batch: int = 500
) -> Iterator[HistoryEntry]:  # noqa: B008
    """Every matching entry, newest first, read in batches (exports of any size stay small in memory)."""
    before: int | None = None
    while True:
        clause, params = _where(where, before)
        rows = list(store.db.query(f"{RIDDLE_SELECT} {clause} ORDER BY r.id DESC LIMIT ?", [*params, batch]))
        yield from (_entry(row) for row in rows)
        if len(rows) < batch:
            return
        before = rows[-1]["id"]


def rated_riddles(store: Store, limit: int | None = None) -> list[HistoryEntry]:
    """Riddles a person gave a thumbs up (+1) or down (-1), newest first, with any comment and how they
    were played: the human signal for the fine-tuning dataset (issues 7 and 11)."""
    rows = store.db.query(
        f"{RIDDLE_SELECT} WHERE r.rating != 0 ORDER BY r.id DESC LIMIT ?", [-1 if limit is None else limit]
    )
    return [_entry(row) for row in rows]


def facets(store: Store) -> Facets:
    days = store.db.execute(
        "SELECT date(created_at, 'localtime') AS day, count(*) FROM riddles GROUP BY day ORDER BY day DESC"
    ).fetchall()
    sources = store.db.execute(
        "SELECT a.source, count(*) FROM riddles r JOIN articles a ON a.id = r.article_id "
        "GROUP BY a.source ORDER BY a.source"
    ).fetchall()
    models = store.db.execute(
        "SELECT model_file, count(*) FROM riddles GROUP BY model_file ORDER BY model_file"
    ).fetchall()
    return Facets(
        days=tuple((date.fromisoformat(d), n) for d, n in days if d),
        sources=tuple((s or "", n) for s, n in sources),
        models=tuple((m or "", n) for m, n in models),
    )


def day_bounds(day: date) -> tuple[str, str]:
    """A local calendar day as a [start, end) range of the UTC ISO strings the history stores."""
    start = datetime.combine(day, time.min).astimezone()
    end = datetime.combine(day + timedelta(days=1), time.min).astimezone()
    return start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()


def _where(where: HistoryFilter, before_id: int | None) -> tuple[str, list]:
    parts: list[str] = []
    params: list = []
    expression = match_expression(where.query)
    if expression:
        parts.append("r.id IN (SELECT rowid FROM history_fts WHERE history_fts MATCH ?)")
        params.append(expression)
    if where.day is not None:
        parts.append("r.created_at >= ? AND r.created_at < ?")
        params.extend(day_bounds(where.day))
    for column, value in (
        ("a.source", where.source),
        ("r.model_file", where.model),
        ("r.status", where.status),
    ):
        if value:
            parts.append(f"{column} = ?")
            params.append(value)
    if where.favourites:
        parts.append("r.favourite = 1")
    if where.several_outlets:
        parts.append(
            "r.article_id IN (SELECT article_id FROM article_clusters WHERE cluster_id IN "
            "(SELECT cluster_id FROM article_clusters GROUP BY cluster_id HAVING count(*) > 1))"
        )
    if before_id is not None:
        parts.append("r.id < ?")
        params.append(before_id)
    return ("WHERE " + " AND ".join(parts)) if parts else "", params


def _rows(store: Store, clause: str, params: list, riddle_id: int) -> dict:
    from engine.errors import StoreError

    rows = list(store.db.query(f"{RIDDLE_SELECT} {clause}", params))
    if not rows:
        raise StoreError(f"Riddle {riddle_id} is not in the history.")
    return rows[0]


def _entry(row: dict) -> HistoryEntry:
    play = Play(
        mode=row.get("mode") or "",
        hints_used=row.get("hints_used") or 0,
        wrong_guesses=row.get("wrong_guesses") or 0,
        points=row.get("points") or 0,
        played_at=row.get("played_at") or "",
        comment=row.get("comment") or "",
    )
    return HistoryEntry(stored=stored_riddle(row), play=play)

"""Playing a riddle, kept in the history: guesses, hints, reveal, skip, thumbs, favourites, and the
day's score. Each call writes one transaction and returns the riddle as it now stands.

A solved or revealed riddle is finished: later guesses, hints, reveals and skips change nothing.
A skipped riddle can still be solved or revealed when the reader comes back to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.answers import Verdict, judge
from engine.game import MODES, DayScore, Outcome, arrange_choices, day_score, points_for
from engine.store import Store, now_iso
from engine.store.history import HistoryEntry, day_bounds, entry

FINISHED = ("solved", "revealed")
_NEIGHBOURS = 40  # riddles either side searched for other headlines of the same day


@dataclass(frozen=True)
class GuessResult:
    verdict: Verdict
    entry: HistoryEntry


def guess(store: Store, riddle_id: int, text: str, mode: str = "text") -> GuessResult:
    """Judge a guess: free text against the answer (tolerantly), or a headline picked among choices."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    current = entry(store, riddle_id)
    if mode == "text":
        verdict = judge(text, current.stored.riddle.answer)
    else:
        verdict = Verdict.RIGHT if text.strip() == current.stored.article.title.strip() else Verdict.WRONG
    if current.stored.status in FINISHED:
        return GuessResult(verdict, current)
    if verdict is Verdict.RIGHT:
        _update(
            store,
            riddle_id,
            status="solved",
            mode=mode,
            points=points_for(mode, current.play.hints_used),
            played_at=now_iso(),
        )
    else:
        _update(store, riddle_id, wrong_guesses=current.play.wrong_guesses + 1)
    return GuessResult(verdict, entry(store, riddle_id))


def take_hint(store: Store, riddle_id: int) -> HistoryEntry:
    """One more hint shown; it costs a point of a later solve, so it is remembered."""
    current = entry(store, riddle_id)
    shown = min(current.play.hints_used + 1, len(current.stored.riddle.hints))
    if current.stored.status not in FINISHED and shown != current.play.hints_used:
        _update(store, riddle_id, hints_used=shown)
        return entry(store, riddle_id)
    return current


def reveal(store: Store, riddle_id: int) -> HistoryEntry:
    current = entry(store, riddle_id)
    if current.stored.status in FINISHED:
        return current
    _update(store, riddle_id, status="revealed", points=0, played_at=now_iso())
    return entry(store, riddle_id)


def skip(store: Store, riddle_id: int) -> HistoryEntry:
    current = entry(store, riddle_id)
    if current.stored.status != "new":
        return current
    _update(store, riddle_id, status="skipped", played_at=now_iso())
    return entry(store, riddle_id)


def rate(store: Store, riddle_id: int, rating: int, comment: str = "") -> HistoryEntry:
    """Thumbs up (+1), down (-1) or neither (0), with an optional comment (kept to 1,000 characters)."""
    if rating not in (-1, 0, 1):
        raise ValueError(f"rating must be -1, 0 or 1, not {rating!r}")
    _update(store, riddle_id, rating=rating, comment=_tidy(comment))
    return entry(store, riddle_id)


def comment(store: Store, riddle_id: int, text: str) -> HistoryEntry:
    """The reader's words on a riddle, its rating left as it is."""
    _update(store, riddle_id, comment=_tidy(text))
    return entry(store, riddle_id)


def _tidy(comment: str) -> str:
    return " ".join(comment.split())[:1000]


def set_favourite(store: Store, riddle_id: int, favourite: bool) -> HistoryEntry:
    _update(store, riddle_id, favourite=int(favourite))
    return entry(store, riddle_id)


def headline_choices(store: Store, riddle_id: int) -> tuple[str, ...]:
    """The riddle's headline and up to three others made near it, preferring the same day: the
    multiple choice among today's headlines."""
    current = entry(store, riddle_id)
    rows = store.db.execute(
        "SELECT a.title, date(r.created_at, 'localtime') = date(?, 'localtime') AS same_day, abs(r.id - ?) "
        "AS gap FROM riddles r JOIN articles a ON a.id = r.article_id "
        "WHERE r.id BETWEEN ? AND ? AND r.id != ? AND a.id != ? ORDER BY same_day DESC, gap LIMIT 9",
        [
            current.stored.provenance.created_at,
            riddle_id,
            riddle_id - _NEIGHBOURS,
            riddle_id + _NEIGHBOURS,
            riddle_id,
            current.stored.article.id,
        ],
    ).fetchall()
    return arrange_choices(
        current.stored.article.title, [title for title, _same, _gap in rows], seed=riddle_id
    )


def day_outcomes(store: Store, day: date | None = None) -> list[Outcome]:
    start, end = day_bounds(day or date.today())
    rows = store.db.execute(
        "SELECT status, points, played_at FROM riddles WHERE played_at >= ? AND played_at < ? ORDER BY "
        "played_at",
        [start, end],
    ).fetchall()
    return [Outcome(status, points or 0, played_at) for status, points, played_at in rows]


def score_of_day(store: Store, day: date | None = None) -> DayScore:
    return day_score(day_outcomes(store, day))


_WRITABLE = frozenset(
    {"status", "mode", "points", "played_at", "hints_used", "wrong_guesses", "rating", "comment", "favourite"}
)


def _update(store: Store, riddle_id: int, **values: object) -> None:
    unknown = set(values) - _WRITABLE
    if unknown:
        raise ValueError(f"not play columns: {sorted(unknown)}")
    assignments = ", ".join(f"{column} = ?" for column in values)
    with store.db.conn:
        store.db.execute(f"UPDATE riddles SET {assignments} WHERE id = ?", [*values.values(), riddle_id])

"""Arena: the game ranks the models (issue 19, part 3). With the Arena on and riddles of the same day
from two or more models (a base and a tuned adapter count as two), the reader deals them unlabelled
and balanced between the models; each finished riddle is evidence of how good its model's riddles
are, and a Bradley–Terry rating with intervals says which model players do best with.

Evidence. A riddle's play scores 0–1: a thumbs up or down says it outright (1 or 0); otherwise a solve
scores 1 less a quarter per hint (at least 0.5), a reveal 0.25, a skip 0.
Matches. In play order, each scored play is paired with the oldest waiting play of another model;
the higher score wins, equal scores tie (half a win each).
Rating. Bradley–Terry strengths by Hunter's MM algorithm, with one virtual drawn game between each
pair of models (a weak prior: a model that won every one of three games is not infinitely better);
intervals from the observed Fisher information. Shown on the Elo scale (1000 average, 400 per
factor-of-ten in odds), as "tuned 1120 ± 60". Written here rather than taken from choix: that would
bring scipy into the installers for a fit over a handful of models, and choix gives no intervals.

Stored (m060_arena): `arena_plays` (one row per played riddle, its model and score) and
`arena_ratings` (the ratings after each play)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from engine.active_model import ModelChoice, choice_for
from engine.model_registry import load as load_registry
from engine.paths import AppPaths
from engine.store import Store, now_iso
from engine.store.history import RiddleLine, day_bounds

FINISHED = ("solved", "revealed", "skipped")
ELO_SCALE = 400 / math.log(10)  # Elo points per unit of log-strength
Z95 = 1.959964
PRIOR_GAMES = 1.0  # virtual drawn games between each pair of models


@dataclass(frozen=True)
class ArenaPlay:
    riddle_id: int
    model: str
    score: float  # 0..1, see play_score
    played_at: str


@dataclass(frozen=True)
class Match:
    first: str
    second: str
    first_result: float  # 1 a win for first, 0.5 a tie, 0 a win for second


@dataclass(frozen=True)
class ModelRating:
    model: str
    rating: float  # Elo scale, 1000 the average model
    margin: float  # half the 95% interval, Elo points
    plays: int

    @property
    def low(self) -> float:
        return self.rating - self.margin

    @property
    def high(self) -> float:
        return self.rating + self.margin


@dataclass(frozen=True)
class Ratings:
    plays: int
    matches: int
    models: tuple[ModelRating, ...]  # best first

    def line(self) -> str:
        """ "after 40 plays: tuned 1120 ± 60, base 980 ± 60" """
        shown = ", ".join(f"{m.model} {m.rating:.0f} ± {m.margin:.0f}" for m in self.models)
        return f"after {self.plays} {'play' if self.plays == 1 else 'plays'}: {shown}"

    def overlapping(self) -> bool:
        """Whether the best model's interval overlaps the runner-up's: no clear winner yet."""
        if len(self.models) < 2:
            return True
        return self.models[0].low <= self.models[1].high


def model_key(model_file: str, adapter: str = "") -> str:
    """A model as the arena knows it: the file, and the adapter on it if any (a tuned model)."""
    return f"{model_file} + {adapter}" if adapter else model_file


def play_score(status: str, hints_used: int, rating: int) -> float | None:
    """How well a riddle played, 0 to 1; None while it is not finished."""
    if status not in FINISHED:
        return None
    if rating:
        return 1.0 if rating > 0 else 0.0
    if status == "solved":
        return max(0.5, 1.0 - 0.25 * hints_used)
    return 0.25 if status == "revealed" else 0.0


def pair_plays(plays: Iterable[ArenaPlay]) -> list[Match]:
    """Matches in play order: each play meets the oldest waiting play of another model."""
    waiting: list[ArenaPlay] = []
    matches = []
    for play in plays:
        rival = next((w for w in waiting if w.model != play.model), None)
        if rival is None:
            waiting.append(play)
            continue
        waiting.remove(rival)
        result = 1.0 if rival.score > play.score else 0.0 if rival.score < play.score else 0.5
        matches.append(Match(rival.model, play.model, result))
    return matches


def bradley_terry(
    matches: Sequence[Match], models: Sequence[str], plays: dict[str, int] | None = None
) -> Ratings:
    """Strengths and 95% intervals for `models` from the matches (see the module docstring)."""
    names = sorted(set(models) | {m.first for m in matches} | {m.second for m in matches})
    k = len(names)
    if not k:
        return Ratings(0, 0, ())
    index = {name: i for i, name in enumerate(names)}
    games = [[PRIOR_GAMES if i != j else 0.0 for j in range(k)] for i in range(k)]
    wins = [(k - 1) * PRIOR_GAMES / 2 for _ in range(k)]
    for match in matches:
        i, j = index[match.first], index[match.second]
        games[i][j] += 1
        games[j][i] += 1
        wins[i] += match.first_result
        wins[j] += 1 - match.first_result
    strength = _mm(games, wins)
    theta = [math.log(s) for s in strength]
    mean = sum(theta) / k if k else 0.0
    variance = _variances(games, strength)
    counts = plays or {}
    rated = [
        ModelRating(
            name,
            1000 + ELO_SCALE * (theta[i] - mean),
            Z95 * ELO_SCALE * math.sqrt(max(variance[i], 0.0)),
            counts.get(name, 0),
        )
        for i, name in enumerate(names)
    ]
    rated.sort(key=lambda r: (-r.rating, r.model))
    return Ratings(sum(counts.values()), len(matches), tuple(rated))


def _mm(games: list[list[float]], wins: list[float], steps: int = 10_000) -> list[float]:
    """Hunter's minorise–maximise iteration for Bradley–Terry strengths (geometric mean 1)."""
    k = len(wins)
    strength = [1.0] * k
    for _ in range(steps):
        updated = [
            wins[i] / sum(games[i][j] / (strength[i] + strength[j]) for j in range(k) if j != i)
            if k > 1
            else 1.0
            for i in range(k)
        ]
        scale = math.exp(sum(math.log(s) for s in updated) / k)
        updated = [s / scale for s in updated]
        done = max(abs(a - b) for a, b in zip(updated, strength, strict=True)) < 1e-12
        strength = updated
        if done:
            break
    return strength


def _variances(games: list[list[float]], strength: list[float]) -> list[float]:
    """Variances of the centred log-strengths: the diagonal of the pseudo-inverse of the observed
    Fisher information, a weighted graph Laplacian L, computed as (L + J/k)^-1 - J/k."""
    k = len(strength)
    if k < 2:
        return [0.0] * k
    laplacian = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(k):
            if i != j:
                p = strength[i] / (strength[i] + strength[j])
                weight = games[i][j] * p * (1 - p)
                laplacian[i][j] -= weight
                laplacian[i][i] += weight
    shifted = [[laplacian[i][j] + 1 / k for j in range(k)] for i in range(k)]
    inverse = _invert(shifted)
    return [inverse[i][i] - 1 / k for i in range(k)]


def _invert(matrix: list[list[float]]) -> list[list[float]]:
    """Gauss–Jordan inversion with partial pivoting, for the few-by-few matrices above."""
    k = len(matrix)
    rows = [row[:] + [1.0 if i == j else 0.0 for j in range(k)] for i, row in enumerate(matrix)]
    for col in range(k):
        pivot = max(range(col, k), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        rows[col] = [v / lead for v in rows[col]]
        for r in range(k):
            if r != col and rows[r][col]:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [row[k:] for row in rows]


# -- the history ------------------------------------------------------------------------------------
def day_models(store: Store, day: date | None = None) -> list[str]:
    """The models (file, and adapter if any) that made riddles on the day."""
    start, end = day_bounds(day or date.today())
    rows = store.db.execute(
        "SELECT DISTINCT model_file, adapter FROM riddles WHERE created_at >= ? AND created_at < ?",
        [start, end],
    ).fetchall()
    return sorted({model_key(f or "", a or "") for f, a in rows})


def arena_queue(store: Store, day: date | None = None, limit: int = 200) -> list[int]:
    """The day's unplayed riddles dealt for the arena: one riddle per article (a second riddle of a
    story already played would give itself away), the models taking turns, the one played least
    today first, so no model is over-shown. Empty when fewer than two models made riddles that day."""
    start, end = day_bounds(day or date.today())
    rows = store.db.execute(
        "SELECT r.id, r.model_file, r.adapter, r.article_id, r.status FROM riddles r "
        "WHERE r.created_at >= ? AND r.created_at < ? ORDER BY r.id",
        [start, end],
    ).fetchall()
    by_model: dict[str, list[tuple[int, int]]] = {}
    played_articles = {article for _id, _f, _a, article, status in rows if status in FINISHED}
    for riddle_id, model_file, adapter, article, status in rows:
        if status == "new" and article not in played_articles:
            by_model.setdefault(model_key(model_file or "", adapter or ""), []).append((riddle_id, article))
    if len(set(day_models(store, day))) < 2 or len(by_model) < 2:
        return []
    shown = _plays_per_model(store, day)
    order = sorted(by_model, key=lambda m: (shown.get(m, 0), m))
    dealt: list[int] = []
    taken: set[int] = set()
    queues = {m: list(by_model[m]) for m in order}
    while any(queues.values()) and len(dealt) < limit:
        for model in order:
            while queues[model] and queues[model][0][1] in taken:
                queues[model].pop(0)
            if queues[model]:
                riddle_id, article = queues[model].pop(0)
                taken.add(article)
                dealt.append(riddle_id)
    return dealt[:limit]


def _plays_per_model(store: Store, day: date | None) -> dict[str, int]:
    start, end = day_bounds(day or date.today())
    rows = store.db.execute(
        "SELECT model, count(*) FROM arena_plays WHERE played_at >= ? AND played_at < ? GROUP BY model",
        [start, end],
    ).fetchall()
    return dict(rows)


def record_play(store: Store, riddle_id: int) -> Ratings | None:
    """Count a finished riddle's play as evidence (again, if its thumbs changed), re-rate the models
    and keep the ratings beside the play. None when the riddle is not finished."""
    row = store.db.execute(
        "SELECT model_file, adapter, status, hints_used, rating, played_at FROM riddles WHERE id = ?",
        [riddle_id],
    ).fetchone()
    if row is None:
        return None
    model_file, adapter, status, hints_used, rating, played_at = row
    score = play_score(status, hints_used or 0, rating or 0)
    if score is None:
        return None
    with store.db.conn:
        store.db.execute(
            "INSERT INTO arena_plays (riddle_id, model, score, played_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(riddle_id) DO UPDATE SET score = excluded.score",
            [riddle_id, model_key(model_file or "", adapter or ""), score, played_at or now_iso()],
        )
        current = ratings(store)
        stamp = now_iso()
        store.db["arena_ratings"].insert_all(
            {
                "plays": current.plays,
                "model": m.model,
                "rating": m.rating,
                "margin": m.margin,
                "computed_at": stamp,
            }
            for m in current.models
        )
    return current


def arena_plays(store: Store) -> list[ArenaPlay]:
    rows = store.db.execute(
        "SELECT riddle_id, model, score, played_at FROM arena_plays ORDER BY played_at, riddle_id"
    ).fetchall()
    return [ArenaPlay(*row) for row in rows]


def ratings(store: Store) -> Ratings:
    """The models' ratings from every arena play so far: for the Evaluate page and the CLI."""
    plays = arena_plays(store)
    counts: dict[str, int] = {}
    for play in plays:
        counts[play.model] = counts.get(play.model, 0) + 1
    return bradley_terry(pair_plays(plays), list(counts), counts)


def model_of(store: Store, riddle_id: int) -> str:
    """The model that made a riddle, to name once the riddle is played."""
    row = store.db.execute("SELECT model_file, adapter FROM riddles WHERE id = ?", [riddle_id]).fetchone()
    return model_key(row[0] or "", row[1] or "") if row else ""


def arena_lines(
    store: Store, before_id: int | None = None, limit: int = 200, day: date | None = None
) -> list[RiddleLine]:
    """The reader's list in arena mode, newest first and paged like the history's: the day's riddles
    still to deal and those already played in the arena. Empty when there is no arena that day."""
    start, end = day_bounds(day or date.today())
    played = [
        row[0]
        for row in store.db.execute(
            "SELECT riddle_id FROM arena_plays WHERE played_at >= ? AND played_at < ?", [start, end]
        ).fetchall()
    ]
    dealt = arena_queue(store, day, limit=10_000)
    ids = sorted({*dealt, *played}, reverse=True)
    if before_id is not None:
        ids = [i for i in ids if i < before_id]
    ids = ids[:limit]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = store.db.execute(
        "SELECT r.id, r.text, a.source, r.status, r.favourite, r.created_at FROM riddles r "
        f"JOIN articles a ON a.id = r.article_id WHERE r.id IN ({marks}) ORDER BY r.id DESC",
        ids,
    ).fetchall()
    return [
        RiddleLine(i, text, source or "", status, bool(fav), created)
        for i, text, source, status, fav, created in rows
    ]


def rivals(paths: AppPaths, active: ModelChoice, limit: int = 1) -> list[ModelChoice]:
    """The models to riddle the same news with, beside the active one, so the arena has riddles of
    two or more models: first the active model's other half (its base without the tuned adapter, or
    the base's attached adapter), then installed imports and downloads, the bundled starter last."""

    def same(a: ModelChoice, b: ModelChoice) -> bool:
        return a.path.resolve() == b.path.resolve() and a.lora_path == b.lora_path

    found: list[ModelChoice] = []
    if active.lora_path is not None:
        found.append(replace(active, lora_path=None))
    for model in sorted(load_registry(paths).models, key=lambda m: m.source == "bundled"):
        if len(found) >= limit:
            break
        if model.source != "bundled" and not model.file.is_file():
            continue
        choice = choice_for(model, paths)  # the bundled starter is assembled here, if chosen
        for candidate in (choice, replace(choice, lora_path=None)) if choice.lora_path else (choice,):
            if not same(candidate, active) and not any(same(candidate, f) for f in found):
                found.append(candidate)
    return found[:limit]

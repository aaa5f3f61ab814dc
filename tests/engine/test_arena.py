"""The arena over a real history file: riddles of two models dealt balanced and unlabelled, scripted
players whose plays are the evidence, and a Bradley–Terry rating whose intervals separate a model
players do better with, and overlap when the models are alike."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest

from engine.arena import (
    ArenaPlay,
    Match,
    arena_queue,
    bradley_terry,
    day_models,
    model_key,
    model_of,
    pair_plays,
    play_score,
    ratings,
    record_play,
)
from engine.articles import Article
from engine.paths import app_paths
from engine.riddles import Provenance, Riddle
from engine.store import Store
from engine.store import play as plays
from engine.store.migrations import migration_names, migrations

BASE = model_key("gemma-3-270m.gguf")
TUNED = model_key("gemma-3-270m.gguf", "riddles-lora.gguf")


def _provenance(adapter: str) -> Provenance:
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    return Provenance(
        "gemma-3-270m.gguf", "", "tiny", "few-shot", json.dumps({}), 1, 1, 1.0, 0.1, 1.0, now, adapter=adapter
    )


def seed_two_models(store: Store, stories: int) -> None:
    """Each story riddled by the base model and by the tuned one, as an A/B day would leave them."""
    now = datetime.now(UTC)
    articles = store.save_articles(
        [
            Article(f"Story {i}", f"https://news.example.org/{i}", "Wire", now, f"About {i}.")
            for i in range(stories)
        ]
    )
    for article in articles:
        for adapter in ("", "riddles-lora.gguf"):
            store.save_riddle(
                article,
                Riddle(f"I am thing {article.id}.", f"thing{article.id}", ("a", "b")),
                _provenance(adapter),
            )


@pytest.fixture
def store():
    store = Store(app_paths().ensure().database)
    yield store
    store.close()


def simulate(store: Store, solve_rate: dict[str, float], plays_wanted: int, seed: int = 7) -> list[str]:
    """Scripted players: each riddle dealt is solved with its model's rate, else revealed."""
    rng = random.Random(seed)
    shown = []
    for _ in range(plays_wanted):
        queue = arena_queue(store)
        assert queue, "the arena ran out of riddles"
        riddle_id = queue[0]
        model = model_of(store, riddle_id)
        shown.append(model)
        if rng.random() < solve_rate[model]:
            plays.guess(store, riddle_id, store.riddle(riddle_id).riddle.answer)
        else:
            plays.reveal(store, riddle_id)
        record_play(store, riddle_id)
    return shown


def test_players_who_do_better_with_one_model_rank_it_first_with_separate_intervals(store):
    seed_two_models(store, 90)
    shown = simulate(store, {TUNED: 0.8, BASE: 0.4}, plays_wanted=80)
    assert abs(shown.count(TUNED) - shown.count(BASE)) <= 1  # balanced
    result = ratings(store)
    assert [m.model for m in result.models] == [TUNED, BASE]
    assert not result.overlapping(), result.line()
    assert result.plays == 80 and result.matches == 40
    assert result.line().startswith("after 80 plays: gemma-3-270m.gguf + riddles-lora.gguf ")
    # The ratings are kept with each play.
    kept = store.db.execute("SELECT max(plays), count(DISTINCT plays) FROM arena_ratings").fetchone()
    assert kept == (80, 80)


def test_alike_models_get_overlapping_intervals(store):
    seed_two_models(store, 90)
    simulate(store, {TUNED: 0.6, BASE: 0.6}, plays_wanted=80)
    result = ratings(store)
    assert result.overlapping(), result.line()
    assert (
        abs(result.models[0].rating - result.models[1].rating)
        < result.models[0].margin + result.models[1].margin
    )


def test_the_queue_deals_one_riddle_per_story_and_needs_two_models(store):
    seed_two_models(store, 3)
    queue = arena_queue(store)
    articles = [store.riddle(i).article.id for i in queue]
    assert len(queue) == 3 and len(set(articles)) == 3
    assert {model_of(store, i) for i in queue} == {BASE, TUNED}
    assert [model_of(store, i) for i in queue[:2]] != [model_of(store, queue[0])] * 2  # turns
    plays.reveal(store, queue[0])
    assert store.riddle(queue[0]).article.id not in [store.riddle(i).article.id for i in arena_queue(store)]
    assert day_models(store) == sorted([BASE, TUNED])


def test_one_model_alone_is_no_arena(store):
    now = datetime.now(UTC)
    (article,) = store.save_articles([Article("Alone", "https://news.example.org/a", "Wire", now, "x")])
    store.save_riddle(article, Riddle("I am alone.", "alone", ("a", "b")), _provenance(""))
    assert arena_queue(store) == []


def test_thumbs_revise_the_evidence_of_a_play(store):
    seed_two_models(store, 2)
    riddle_id = arena_queue(store)[0]
    plays.reveal(store, riddle_id)
    record_play(store, riddle_id)
    plays.rate(store, riddle_id, 1)
    record_play(store, riddle_id)
    assert store.db.execute("SELECT count(*), max(score) FROM arena_plays").fetchone() == (1, 1.0)
    assert record_play(store, arena_queue(store)[0]) is None  # not played yet: no evidence


def test_play_scores():
    assert play_score("new", 0, 0) is None
    assert play_score("solved", 0, 0) == 1.0 and play_score("solved", 1, 0) == 0.75
    assert play_score("solved", 5, 0) == 0.5
    assert play_score("revealed", 0, 0) == 0.25 and play_score("skipped", 0, 0) == 0.0
    assert play_score("revealed", 2, 1) == 1.0 and play_score("solved", 0, -1) == 0.0


def test_plays_pair_with_the_oldest_waiting_rival():
    played = [
        ArenaPlay(1, "a", 1.0, "1"),
        ArenaPlay(2, "a", 0.0, "2"),
        ArenaPlay(3, "b", 0.25, "3"),
        ArenaPlay(4, "b", 0.0, "4"),
        ArenaPlay(5, "c", 0.0, "5"),
    ]
    assert pair_plays(played) == [Match("a", "b", 1.0), Match("a", "b", 0.5)]


def test_bradley_terry_is_even_for_even_results_and_finite_for_a_clean_sweep():
    even = bradley_terry([Match("a", "b", 1.0), Match("a", "b", 0.0)], ["a", "b"])
    assert [round(m.rating, 6) for m in even.models] == [1000.0, 1000.0]
    sweep = bradley_terry([Match("a", "b", 1.0)] * 3, ["a", "b"])
    assert sweep.models[0].model == "a" and 1000 < sweep.models[0].rating < 1400
    assert sweep.models[0].rating + sweep.models[1].rating == pytest.approx(2000)
    more = bradley_terry([Match("a", "b", 1.0), Match("a", "b", 0.0)] * 50, ["a", "b"])
    assert more.models[0].margin < even.models[0].margin  # more evidence, narrower intervals
    three = bradley_terry(
        [Match("a", "b", 1.0), Match("b", "c", 1.0), Match("a", "c", 1.0)] * 5, ["a", "b", "c"]
    )
    assert [m.model for m in three.models] == ["a", "b", "c"]


def test_m060_from_a_blank_database_and_from_the_schema_before_it(tmp_path):
    from sqlite_utils import Database

    blank = Database(tmp_path / "blank.db")
    migrations(up_to="m060_arena").apply(blank)
    assert blank["arena_plays"].columns_dict == {
        "riddle_id": int,
        "model": str,
        "score": float,
        "played_at": str,
    }
    assert blank["arena_ratings"].columns_dict == {
        "id": int,
        "plays": int,
        "model": str,
        "rating": float,
        "margin": float,
        "computed_at": str,
    }
    names = migration_names()
    previous = names[names.index("m060_arena") - 1]
    path = tmp_path / "old.db"
    old = Database(path)
    migrations(up_to=previous).apply(old)
    old.close()
    store = Store(path)  # applies m060 and anything after
    try:
        seed_two_models(store, 1)
        assert store.count_riddles() == 2 and store.db["arena_plays"].count == 0
    finally:
        store.close()


def test_a_tuned_models_rival_is_its_own_base(tmp_path):
    """A base and a tuned adapter count as two models: the active tuned model's rival is its base."""
    from pathlib import Path

    from engine.active_model import ModelChoice
    from engine.arena import rivals

    tuned = ModelChoice(
        Path(tmp_path / "base.gguf"), "", "base", "tiny", "base", Path(tmp_path / "lora.gguf")
    )
    (rival,) = rivals(app_paths().ensure(), tuned)
    assert rival.path == tuned.path and rival.lora_path is None


def test_the_cli_ranks_the_models(store, capsys):
    from engine.cli import main

    assert main(["arena"]) == 0
    assert "No arena plays yet" in capsys.readouterr().out
    seed_two_models(store, 30)
    simulate(store, {TUNED: 0.9, BASE: 0.3}, plays_wanted=20)
    assert main(["arena"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("after 20 plays: ")
    assert (
        out[1].startswith(f"1. {TUNED}: ")
        and out[1].endswith("10 plays")
        and out[2].startswith(f"2. {BASE}: ")
    )


def test_no_plays_no_ratings(store):
    assert ratings(store).models == () and ratings(store).plays == 0

"""The arena (issue 19, part 3): each played riddle's score as evidence for its model, and the models'
Bradley–Terry ratings as they stood after each play (engine/arena.py)."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db["arena_plays"].create(
        {"riddle_id": int, "model": str, "score": float, "played_at": str},
        pk="riddle_id",
        foreign_keys=[("riddle_id", "riddles", "id")],
        not_null={"model", "score", "played_at"},
    )
    db["arena_plays"].create_index(["played_at"])
    db["arena_ratings"].create(
        {"id": int, "plays": int, "model": str, "rating": float, "margin": float, "computed_at": str},
        pk="id",
        not_null={"plays", "model", "rating", "margin", "computed_at"},
    )
    db["arena_ratings"].create_index(["plays"])

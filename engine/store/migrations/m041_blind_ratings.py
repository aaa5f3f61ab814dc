"""Blind ratings (issue 16) and the road of every evaluation row.

rating_items: one riddle to be rated, with the story, the four headlines the rater sees (the story's
and three others, shuffled), and the arm that made it, which the rating queue never shows; a riddle
that could not be made is kept too (`failure`), so an arm's failures count. ratings: the rater's three
marks per item (answer names the story, story identifiable, good riddle). eval_rows gains the road
each riddle was made by ("guided" or "parse-and-retry") and its quality flags."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db["rating_items"].create(
        {
            "id": int,
            "batch": str,  # one rating run ("heldout-2026-12-03")
            "arm": str,  # hidden from the rater until the report
            "story_key": str,
            "section": str,
            "title": str,
            "summary": str,
            "options": str,  # JSON: the four headlines in the order shown
            "answer_index": int,  # which of them is the story's
            "riddle": str,
            "answer": str,
            "hints": str,  # JSON list
            "road": str,
            "quality": str,
            "model": str,
            "seconds": float,  # generation time of this riddle (its share of a batch's wall time)
            "failure": str,  # "" when a riddle was made
            "shuffle": int,  # the queue's order: random, so arms are interleaved
            "created_at": str,
        },
        pk="id",
        not_null={"batch", "arm", "title"},
        defaults={"failure": "", "road": "", "quality": "", "model": "", "seconds": 0.0},
    )
    db["rating_items"].create_index(["batch", "shuffle"])
    db["ratings"].create(
        {"item_id": int, "answer": int, "story": int, "good": int, "rater": str, "rated_at": str},
        pk="item_id",
        foreign_keys=[("item_id", "rating_items", "id")],
        not_null={"answer", "story", "good"},
    )
    rows = db["eval_rows"]
    for column in ("road", "quality"):
        if column not in rows.columns_dict:
            rows.add_column(column, str, not_null_default="")

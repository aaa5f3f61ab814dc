"""The user's own riddles as training data: liked (rated up) or solved ones are examples; riddles
rated down are left out on purpose, and leaking ones fail the same checks as any example.
Functions take a Store, so the app calls them on its database thread (context.store.run)."""

from __future__ import annotations

import json

from engine.store import Store
from engine.tuning.data import TrainingExample


def history_examples(store: Store, limit: int = 5000) -> tuple[list[TrainingExample], int]:
    """(examples from liked or solved riddles, number of riddles left out because rated down)."""
    rows = store.db.query(
        "SELECT r.text, r.answer, r.hints, r.difficulty, r.rating, r.status, a.title, a.summary "
        "FROM riddles r JOIN articles a ON a.id = r.article_id "
        "WHERE r.rating != 0 OR r.status = 'solved' ORDER BY r.id DESC LIMIT ?",
        [limit],
    )
    examples: list[TrainingExample] = []
    rated_down = 0
    for row in rows:
        if (row["rating"] or 0) < 0:
            rated_down += 1
            continue
        hints = json.loads(row["hints"] or "[]") + ["", ""]
        examples.append(
            TrainingExample(
                title=row["title"],
                summary=row["summary"] or "",
                riddle=row["text"],
                answer=row["answer"],
                hints=(hints[0], hints[1]),
                difficulty=row["difficulty"] or "medium",
                source="history",
            )
        )
    return examples, rated_down

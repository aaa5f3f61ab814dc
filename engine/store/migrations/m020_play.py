"""How each riddle was played (issue 6): the mode of a solve, hints taken, wrong guesses, points, when,
and the reader's comment beside a thumbs up or down. Indexes for the day's score and for browsing."""

from sqlite_utils import Database

PLAY_COLUMNS = {
    "mode": (str, ""),
    "hints_used": (int, 0),
    "wrong_guesses": (int, 0),
    "points": (int, 0),
    "comment": (str, ""),
}


def apply(db: Database) -> None:
    riddles = db["riddles"]
    for name, (kind, default) in PLAY_COLUMNS.items():
        riddles.add_column(name, kind, not_null_default=default)
    # NULL until the riddle is solved, revealed or skipped: the day's score reads a range of it.
    riddles.add_column("played_at", str)
    riddles.create_index(["played_at"], if_not_exists=True)
    riddles.create_index(["model_file"], if_not_exists=True)
    db["articles"].create_index(["source"], if_not_exists=True)

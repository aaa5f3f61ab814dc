"""Each riddle keeps how it was made ("guided" or "parse-and-retry") and what the quality checks
flagged (engine/quality.py; "" for nothing), so the history and the evaluation can show both. Older
riddles get "" for both: they were made before the checks ran."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    riddles = db["riddles"]
    for column in ("road", "quality"):
        if column not in riddles.columns_dict:
            riddles.add_column(column, str, not_null_default="")

"""Drop m001's riddles_fts (riddle text and answer) and its triggers: history_fts (m021) indexes the
same words and more, and every new riddle no longer pays for two indexes. articles_fts stays: it
searches articles, riddled or not."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    if "riddles_fts" in db.table_names():
        db["riddles"].disable_fts()

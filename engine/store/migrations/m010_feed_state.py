"""Feeds remember what their last refresh found (new items, a warning, the site's address), and
articles get a headline fingerprint column so near-identical headlines from two feeds are stored once.
The fingerprints are filled by engine.store.feeds (also for rows other code inserts), not here, so
this migration stays a pure schema change."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db["feeds"].add_column("site", str, not_null_default="")
    db["feeds"].add_column("last_new", int, not_null_default=0)
    db["feeds"].add_column("last_warning", str, not_null_default="")
    db["articles"].add_column("title_key", str)
    db["articles"].create_index(["title_key"])

"""Mute filters: keywords and sources the user never wants riddled."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db["mutes"].create(
        {"id": int, "kind": str, "pattern": str, "added_at": str},
        pk="id",
        not_null={"kind", "pattern"},
    )
    db["mutes"].create_index(["kind", "pattern"], unique=True)

"""m010_feed_state and m011_mutes: from a blank database and from the schema before each."""

from sqlite_utils import Database

from engine.store import Store
from engine.store.feeds import fill_title_keys
from engine.store.migrations import migrations

M001_FEEDS = {
    "id",
    "url",
    "title",
    "category",
    "added_at",
    "etag",
    "last_modified",
    "body_hash",
    "last_fetched",
    "last_status",
    "last_error",
}
M001_ARTICLES = {
    "id",
    "key",
    "title",
    "link",
    "source",
    "feed_url",
    "published",
    "author",
    "summary",
    "guid",
    "fetched_at",
}


def test_m010_from_m001_keeps_rows_and_adds_exact_columns(tmp_path):
    db = Database(tmp_path / "h.db")
    migrations(up_to="m001_initial").apply(db)
    db["feeds"].insert({"url": "https://e.org/rss", "title": "E", "etag": '"x"'})
    db["articles"].insert(
        {"key": "k", "title": "Old story from the first schema", "published": "2026-01-01T00:00:00+00:00"}
    )
    migrations(up_to="m010_feed_state").apply(db)
    assert set(db["feeds"].columns_dict) == M001_FEEDS | {"site", "last_new", "last_warning"}
    assert set(db["articles"].columns_dict) == M001_ARTICLES | {"title_key"}
    feed = next(db["feeds"].rows)
    assert (feed["etag"], feed["site"], feed["last_new"], feed["last_warning"]) == ('"x"', "", 0, "")
    assert next(db["articles"].rows)["title_key"] is None
    assert ["title_key"] in [index.columns for index in db["articles"].indexes]


def test_m011_adds_the_mutes_table_with_a_unique_rule(tmp_path):
    db = Database(tmp_path / "h.db")
    migrations(up_to="m010_feed_state").apply(db)
    assert "mutes" not in db.table_names()
    migrations(up_to="m011_mutes").apply(db)
    assert set(db["mutes"].columns_dict) == {"id", "kind", "pattern", "added_at"}
    assert any(index.unique and index.columns == ["kind", "pattern"] for index in db["mutes"].indexes)


def test_blank_database_has_both_and_old_rows_get_fingerprints(tmp_path):
    store = Store(tmp_path / "h.db")
    names = [row["name"] for row in store.db["_sqlite_migrations"].rows]
    assert {"m010_feed_state", "m011_mutes"} <= set(names)
    with store.db.conn:
        store.db.execute(
            "INSERT INTO articles (key, title, published) VALUES ('k', 'A story saved elsewhere!', '2026')"
        )
    assert fill_title_keys(store) == 1
    assert store.db.execute("SELECT title_key FROM articles").fetchone()[0] == "story saved elsewhere"
    store.close()

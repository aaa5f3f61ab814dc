import json
import sqlite3
from datetime import UTC, datetime

import pytest

from engine.errors import StoreError
from engine.riddles import Provenance, Riddle
from engine.samples import sample_articles
from engine.store import Store
from engine.store.migrations import MIGRATION_SET, migration_names, migrations


def provenance(**changes) -> Provenance:
    base = dict(
        model_file="m.gguf",
        model_sha256="ab" * 32,
        size_tier="tiny",
        pipeline="few-shot",
        sampling=json.dumps({"temperature": 0.7}),
        prompt_tokens=10,
        completion_tokens=20,
        latency_s=1.0,
        first_token_s=0.1,
        tokens_per_s=20.0,
        created_at=datetime.now(UTC).isoformat(),
    )
    base.update(changes)
    return Provenance(**base)


def test_blank_database_gets_every_migration_and_wal(tmp_path):
    store = Store(tmp_path / "h.db")
    applied = [r["name"] for r in store.db["_sqlite_migrations"].rows]
    assert applied == migration_names()
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_m001_exact_columns(tmp_path):
    from sqlite_utils import Database

    db = Database(tmp_path / "h.db")
    migrations(up_to="m001_initial").apply(db)
    assert set(db["riddles"].columns_dict) == {
        "id",
        "article_id",
        "text",
        "answer",
        "hints",
        "difficulty",
        "model_file",
        "model_sha256",
        "size_tier",
        "pipeline",
        "sampling",
        "prompt_tokens",
        "completion_tokens",
        "latency_s",
        "first_token_s",
        "tokens_per_s",
        "attempts",
        "created_at",
        "status",
        "favourite",
        "rating",
    }
    assert set(db["articles"].columns_dict) == {
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
    assert {"riddles_fts", "articles_fts"} <= set(db.table_names())


def test_articles_are_deduplicated_by_key_and_riddles_round_trip(tmp_path):
    store = Store(tmp_path / "h.db")
    saved = store.save_articles(sample_articles())
    again = store.save_articles(sample_articles())
    assert [a.id for a in saved] == [a.id for a in again]
    assert store.count_articles() == 20
    riddle = Riddle("I shine at night.", "the Moon", ("It waxes.", "Tides follow it."), "easy")
    stored = store.save_riddle(saved[0], riddle, provenance())
    loaded = store.riddle(stored.id)
    assert loaded.riddle == riddle
    assert loaded.article.title == saved[0].title
    assert loaded.provenance == provenance(created_at=loaded.provenance.created_at)
    assert saved[0].id not in [a.id for a in store.articles_without_riddles()]
    store.set_status(stored.id, "revealed")
    assert store.riddle(stored.id).status == "revealed"
    hits = store.db.execute("SELECT rowid FROM history_fts WHERE history_fts MATCH 'shine'").fetchall()
    assert hits == [(stored.id,)]


def test_history_survives_reopen(tmp_path):
    store = Store(tmp_path / "h.db")
    article = store.save_articles(sample_articles()[:1])[0]
    store.save_riddle(article, Riddle("I hum.", "bee", ("a", "b")), provenance())
    store.close()
    assert Store(tmp_path / "h.db").count_riddles() == 1


def test_a_newer_database_is_refused_untouched(tmp_path):
    path = tmp_path / "h.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, 'm999_future', 'x')",
            [MIGRATION_SET],
        )
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer version"):
        Store(path)
    assert path.read_bytes() == before


def test_a_corrupt_file_gives_a_sentence(tmp_path):
    path = tmp_path / "h.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        Store(path)


# -- issue 6: play state (m020) and one search index (m021) -------------------------------------
PLAY_COLUMNS = {"mode", "hints_used", "wrong_guesses", "points", "comment", "played_at"}


def schema_up_to(path, name):
    from sqlite_utils import Database

    db = Database(path)
    migrations(up_to=name).apply(db)
    return db


def before(name: str) -> str:
    names = migration_names()
    return names[names.index(name) - 1]


def insert_old_riddle(db, text="I shine at night.", answer="the Moon", title="Moon landing anniversary"):
    """A riddle as an older schema holds it: only m001's columns."""
    article_id = (
        db["articles"]
        .insert(
            {
                "key": title,
                "title": title,
                "link": "",
                "source": "Wire",
                "published": "2026-01-01T00:00:00+00:00",
                "summary": "Tides and craters.",
            }
        )
        .last_pk
    )
    return (
        db["riddles"]
        .insert(
            {
                "article_id": article_id,
                "text": text,
                "answer": answer,
                "hints": "[]",
                "created_at": "2026-01-01T00:00:00+00:00",
            }
        )
        .last_pk
    )


def test_m020_adds_exactly_the_play_columns_from_blank(tmp_path):
    old = schema_up_to(tmp_path / "old.db", before("m020_play"))
    new = schema_up_to(tmp_path / "new.db", "m020_play")
    assert set(new["riddles"].columns_dict) == set(old["riddles"].columns_dict) | PLAY_COLUMNS
    assert not PLAY_COLUMNS & set(old["riddles"].columns_dict)
    assert {"played_at"} <= {c for i in new["riddles"].indexes for c in i.columns}
    assert {"source"} <= {c for i in new["articles"].indexes for c in i.columns}


def test_m020_from_the_previous_schema_keeps_riddles_with_defaults(tmp_path):
    db = schema_up_to(tmp_path / "h.db", before("m020_play"))
    rid = insert_old_riddle(db)
    migrations(up_to="m020_play").apply(db)
    row = db["riddles"].get(rid)
    assert (row["text"], row["status"]) == ("I shine at night.", "new")
    assert {k: row[k] for k in PLAY_COLUMNS} == {
        "mode": "",
        "hints_used": 0,
        "wrong_guesses": 0,
        "points": 0,
        "comment": "",
        "played_at": None,
    }


def test_m021_from_blank_makes_one_index_over_riddle_answer_headline_summary(tmp_path):
    db = schema_up_to(tmp_path / "h.db", "m021_history_search")
    assert set(db["history_fts"].columns_dict) == {"text", "answer", "title", "summary"}
    assert "history_text" in db.view_names()
    assert {t.name for t in db.triggers if t.name.startswith("history_fts")} == {
        "history_fts_riddle_insert",
        "history_fts_riddle_delete",
        "history_fts_riddle_update",
        "history_fts_article_update",
    }


def fts_ids(db, words):
    return [
        r[0]
        for r in db.execute("SELECT rowid FROM history_fts WHERE history_fts MATCH ?", [words]).fetchall()
    ]


def test_m021_from_the_previous_schema_indexes_old_riddles_and_follows_changes(tmp_path):
    db = schema_up_to(tmp_path / "h.db", before("m021_history_search"))
    rid = insert_old_riddle(db)
    migrations(up_to="m021_history_search").apply(db)
    assert fts_ids(db, "shine") == [rid]  # riddle text
    assert fts_ids(db, "moon landing") == [rid]  # answer and headline together
    assert fts_ids(db, "craters") == [rid]  # summary
    article_id = db["riddles"].get(rid)["article_id"]
    db["articles"].update(article_id, {"title": "Comet sighting", "summary": "A tail of ice."})
    assert fts_ids(db, "landing") == [] and fts_ids(db, "comet ice") == [rid]
    db["riddles"].update(rid, {"answer": "Halley"})
    assert fts_ids(db, "halley") == [rid] and fts_ids(db, "moon") == []
    db.execute("DELETE FROM riddles WHERE id = ?", [rid])
    assert fts_ids(db, "comet") == []
    assert db.execute("INSERT INTO history_fts(history_fts) VALUES ('integrity-check')") is not None


def test_every_applied_schema_passes_integrity_check(tmp_path):
    store = Store(tmp_path / "h.db")
    article = store.save_articles(sample_articles()[:1])[0]
    store.save_riddle(article, Riddle("I hum.", "bee", ("a", "b")), provenance())
    assert store.integrity_ok()
    store.db.execute("INSERT INTO history_fts(history_fts, rank) VALUES ('integrity-check', 1)")


def test_m022_retires_riddles_fts_from_blank_and_from_the_previous_schema(tmp_path):
    blank = schema_up_to(tmp_path / "blank.db", "m022_retire_riddles_fts")
    assert "riddles_fts" not in blank.table_names() and "articles_fts" in blank.table_names()
    db = schema_up_to(tmp_path / "h.db", before("m022_retire_riddles_fts"))
    rid = insert_old_riddle(db)
    columns = set(db["riddles"].columns_dict)
    migrations(up_to="m022_retire_riddles_fts").apply(db)
    assert "riddles_fts" not in db.table_names()
    assert not [t.name for t in db["riddles"].triggers if not t.name.startswith("history_fts")]
    assert set(db["riddles"].columns_dict) == columns
    new = insert_old_riddle(db, text="I buzz in the clover.", answer="bee", title="Bees return")
    assert fts_ids(db, "shine") == [rid] and fts_ids(db, "clover bee") == [new]


def test_two_connections_opening_a_new_history_at_once_both_succeed(tmp_path):
    """The app's database thread and a second opener (the CLI, a test beside the app) both found a new
    file and both began migrating it: SQLite refused one at once ("database is locked")."""
    import threading

    path = tmp_path / "history.sqlite3"
    start, opened, errors = threading.Barrier(4), [], []

    def open_it() -> None:
        start.wait()
        try:
            opened.append(Store(path))
        except Exception as error:  # noqa: BLE001 - the failure is what the test reports
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(opened) == 4
    names = [r["name"] for r in opened[0].db["_sqlite_migrations"].rows]
    assert len(names) == len(set(names))  # each migration applied once
    for store in opened:
        store.close()

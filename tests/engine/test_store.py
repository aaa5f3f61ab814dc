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
        model_file="m.gguf", model_sha256="ab" * 32, size_tier="tiny", pipeline="few-shot",
        sampling=json.dumps({"temperature": 0.7}), prompt_tokens=10, completion_tokens=20, latency_s=1.0,
        first_token_s=0.1, tokens_per_s=20.0, created_at=datetime.now(UTC).isoformat(),
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
        "id", "article_id", "text", "answer", "hints", "difficulty", "model_file", "model_sha256", "size_tier",
        "pipeline", "sampling", "prompt_tokens", "completion_tokens", "latency_s", "first_token_s",
        "tokens_per_s", "attempts", "created_at", "status", "favourite", "rating",
    }
    assert set(db["articles"].columns_dict) == {
        "id", "key", "title", "link", "source", "feed_url", "published", "author", "summary", "guid", "fetched_at",
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
    hits = store.db.execute("SELECT rowid FROM riddles_fts WHERE riddles_fts MATCH 'shine'").fetchall()
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

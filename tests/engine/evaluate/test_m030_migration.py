"""m030_evaluation: exact columns from a blank database and from the schema just before it."""

from sqlite_utils import Database

from engine.store import Store
from engine.store.migrations import migration_names, migrations

COLUMNS = {
    "eval_runs": {
        "id",
        "created_at",
        "seed",
        "articles",
        "solver_model",
        "solver_sha256",
        "sampling",
        "app_version",
        "status",
    },
    "eval_articles": {
        "run_id",
        "position",
        "title",
        "summary",
        "link",
        "source",
        "day",
        "options",
        "answer_index",
    },
    "eval_candidates": {
        "id",
        "run_id",
        "model",
        "model_file",
        "model_sha256",
        "pipeline",
        "file_size",
        "load_s",
        "peak_rss_bytes",
        "vram_bytes",
        "status",
        "finished_at",
    },
    "eval_rows": {
        "candidate_id",
        "position",
        "valid",
        "reason",
        "riddle",
        "answer",
        "hints",
        "leaked",
        "grounded",
        "grounding",
        "solved",
        "choice",
        "chars",
        "words",
        "readability",
        "prompt_tokens",
        "completion_tokens",
        "first_token_s",
        "tokens_per_s",
        "generation_s",
        "output",
    },
}


def _assert_tables(db: Database, later: dict[str, set[str]] | None = None) -> None:
    """m030's exact columns, plus those later migrations add (`later`)."""
    for table, columns in COLUMNS.items():
        assert set(db[table].columns_dict) == columns | (later or {}).get(table, set()), table
    assert db["eval_rows"].pks == ["candidate_id", "position"]
    assert db["eval_articles"].pks == ["run_id", "position"]


def test_m030_from_a_blank_database(tmp_path):
    db = Database(tmp_path / "blank.db")
    migrations(up_to="m030_evaluation").apply(db)
    _assert_tables(db)


def test_m030_from_the_previous_schema_keeps_the_history(tmp_path):
    names = migration_names()
    previous = names[names.index("m030_evaluation") - 1]
    path = tmp_path / "old.db"
    db = Database(path)
    migrations(up_to=previous).apply(db)
    assert "eval_runs" not in db.table_names()
    db["articles"].insert({"key": "k", "title": "Kept headline", "published": "2026-11-26T00:00:00+00:00"})
    db.close()
    store = Store(path)  # applies the rest, m030 included
    _assert_tables(store.db, later={"eval_rows": {"road", "quality"}})  # m041
    assert store.db.execute("SELECT title FROM articles").fetchone()[0] == "Kept headline"

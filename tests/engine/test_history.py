"""The history's queries, play rules, export and backup/restore, on real SQLite files."""

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from engine.answers import Verdict
from engine.articles import Article
from engine.errors import StoreError
from engine.riddles import Provenance, Riddle
from engine.store import Store, history
from engine.store import backup as backups
from engine.store import play as plays
from engine.store.export import export
from engine.store.history import HistoryFilter, match_expression
from engine.store.migrations import MIGRATION_SET, migration_names, migrations


def fill(
    store: Store,
    count: int,
    source=lambda i: "Wire",
    model=lambda i: "m.gguf",
    made=lambda i: datetime.now(UTC),
) -> list[int]:
    articles = store.save_articles(
        [
            Article(
                f"Headline {i} about topic{i % 7}",
                f"https://news.example.org/{i}",
                source(i),
                datetime.now(UTC),
                f"Summary {i} with tidbit{i % 5}.",
            )
            for i in range(count)
        ]
    )
    ids = []
    for i, article in enumerate(articles):
        provenance = Provenance(
            model(i),
            "ab" * 32,
            "tiny",
            "few-shot",
            "{}",
            10,
            20,
            1.0,
            0.1,
            20.0,
            made(i).isoformat(timespec="milliseconds"),
        )
        riddle = Riddle(f"Riddle {i}: I am word{i % 3}.", f"answer{i}", ("first clue", "second clue"))
        ids.append(store.save_riddle(article, riddle, provenance).id)
    return ids


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "h.db")
    yield s
    s.close()


def test_lines_page_newest_first_without_gaps_or_repeats(store):
    ids = fill(store, 45)
    seen, before = [], None
    while True:
        page = history.lines(store, before_id=before, limit=10)
        seen.extend(line.id for line in page)
        if len(page) < 10:
            break
        before = page[-1].id
    assert seen == sorted(ids, reverse=True)
    assert history.count(store) == 45


def test_search_pages_and_combines_with_filters(store):
    fill(store, 60, source=lambda i: "Wire" if i % 2 else "Post", model=lambda i: f"m{i % 3}.gguf")
    where = HistoryFilter(query="word1")
    first = history.lines(store, where, limit=10)
    rest = history.lines(store, where, before_id=first[-1].id, limit=100)
    assert len(first) + len(rest) == history.count(store, where) == 20
    assert all("word1" in line.text for line in first + rest)
    assert history.count(store, HistoryFilter(query="tidbit2")) == 12  # summary
    assert history.count(store, HistoryFilter(query="topic3 tidbit3")) == sum(
        1 for i in range(60) if i % 7 == 3 and i % 5 == 3
    )  # headline and summary words together
    both = HistoryFilter(query="word1", source="Post", model="m1.gguf")
    lines = history.lines(store, both)
    assert lines and len(lines) == history.count(store, both)
    assert all(line.source == "Post" for line in lines)


def test_user_words_never_become_fts_syntax(store):
    fill(store, 3)
    for text in ['"', "AND OR NOT", "word1*", "a:b", "(", "NEAR(x y)", "-word1", "^"]:
        history.lines(store, HistoryFilter(query=text))  # no sqlite3.OperationalError
    assert match_expression('moon" OR *') == '"moon" "OR"*'  # only the last word is a prefix
    assert match_expression("  ") == ""


def test_browse_by_day_source_model_and_facets(store):
    today = datetime.now(UTC)
    fill(
        store,
        10,
        source=lambda i: f"S{i % 2}",
        model=lambda i: "a.gguf" if i < 4 else "b.gguf",
        made=lambda i: today - timedelta(days=2 if i < 3 else 0),
    )
    facets = history.facets(store)
    local_today = today.astimezone().date()
    earlier = (today - timedelta(days=2)).astimezone().date()
    assert dict(facets.days) == {local_today: 7, earlier: 3}
    assert dict(facets.sources) == {"S0": 5, "S1": 5}
    assert dict(facets.models) == {"a.gguf": 4, "b.gguf": 6}
    assert history.count(store, HistoryFilter(day=earlier)) == 3
    assert history.count(store, HistoryFilter(day=local_today, model="a.gguf")) == 1
    assert history.count(store, HistoryFilter(day=date(1999, 1, 1))) == 0


def test_guess_hint_reveal_skip_follow_the_rules(store):
    a, b, c = fill(store, 3)
    result = plays.guess(store, a, "nope")
    assert result.verdict is Verdict.WRONG and result.entry.play.wrong_guesses == 1
    assert plays.take_hint(store, a).play.hints_used == 1
    assert plays.take_hint(store, a).play.hints_used == 2
    assert plays.take_hint(store, a).play.hints_used == 2  # only two hints
    solved = plays.guess(store, a, "Answer0").entry
    assert (solved.stored.status, solved.play.points, solved.play.mode) == ("solved", 1, "text")
    assert solved.play.played_at
    # Finished riddles stay as they are.
    assert plays.reveal(store, a).stored.status == "solved"
    assert plays.guess(store, a, "wrong").entry.play.wrong_guesses == 1
    assert plays.reveal(store, b).stored.status == "revealed"
    assert plays.guess(store, b, "answer1").entry.stored.status == "revealed"
    # A skipped riddle can still be solved, by its headline.
    assert plays.skip(store, c).stored.status == "skipped"
    headline = history.entry(store, c).stored.article.title
    assert plays.guess(store, c, "Headline 1 about topic1", "choice").verdict is Verdict.WRONG
    assert plays.guess(store, c, headline, "choice").entry.stored.status == "solved"
    assert history.entry(store, c).play.points == 1
    score = plays.score_of_day(store)
    assert (score.points, score.solved, score.revealed, score.streak, score.best_streak) == (2, 2, 1, 1, 1)


def test_rating_comment_favourite_and_rated_riddles(store):
    a, b, _c = fill(store, 3)
    plays.rate(store, a, 1, "  clever \n one ")
    plays.rate(store, b, -1)
    plays.comment(store, b, "too easy")
    plays.set_favourite(store, a, True)
    with pytest.raises(ValueError):
        plays.rate(store, a, 5)
    rated = history.rated_riddles(store)
    assert [(r.id, r.stored.rating, r.play.comment) for r in rated] == [
        (b, -1, "too easy"),
        (a, 1, "clever one"),
    ]
    assert history.entry(store, a).stored.favourite
    assert history.count(store, HistoryFilter(favourites=True)) == 1


def test_headline_choices_are_four_distinct_and_include_the_headline(store):
    ids = fill(store, 8)
    choices = plays.headline_choices(store, ids[3])
    assert len(choices) == 4 and len(set(choices)) == 4
    assert history.entry(store, ids[3]).stored.article.title in choices
    assert plays.headline_choices(store, ids[3]) == choices


def test_export_to_an_unwritable_place_says_so_and_leaves_nothing(store, tmp_path):
    fill(store, 2)
    with pytest.raises(StoreError, match="could not be exported"):
        export(store, tmp_path / "missing-folder" / "h.csv", "csv")
    assert export(store, tmp_path / "h.json", "json") == 2
    records = json.loads((tmp_path / "h.json").read_text())
    assert {r["answer"] for r in records} == {"answer0", "answer1"}
    assert records[0]["model_sha256"] == "ab" * 32 and records[0]["tokens_per_s"] == 20.0


def test_backup_restore_round_trip(store, tmp_path):
    ids = fill(store, 5)
    plays.rate(store, ids[0], 1, "kept")
    backups.backup(store, tmp_path / "b.sqlite3")
    assert not (tmp_path / "b.sqlite3-wal").exists()
    fill_more = fill(store, 3)
    assert store.count_riddles() == 8
    report = backups.restore(store, tmp_path / "b.sqlite3")
    assert report.riddles == 5 and store.count_riddles() == 5 and store.integrity_ok()
    assert history.entry(store, ids[0]).play.comment == "kept"
    assert history.count(store, HistoryFilter(query="word0")) == 2  # the search index came back too
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(StoreError):
        history.entry(store, fill_more[0])
    safety = Store(report.safety_copy)
    assert safety.count_riddles() == 8
    safety.close()
    # The store keeps working after a restore.
    assert len(fill(store, 1)) == 1 and store.count_riddles() == 6


def test_an_older_backup_is_brought_up_to_date(store, tmp_path):
    from sqlite_utils import Database

    old = Database(tmp_path / "old.sqlite3")
    migrations(up_to="m001_initial").apply(old)
    aid = (
        old["articles"]
        .insert({"key": "k", "title": "Old moon story", "published": "2026-01-01T00:00:00+00:00"})
        .last_pk
    )
    old["riddles"].insert(
        {"article_id": aid, "text": "I am old.", "answer": "moon", "created_at": "2026-01-01"}
    )
    old.close()
    report = backups.restore(store, tmp_path / "old.sqlite3")
    assert report.riddles == 1
    applied = [
        r["name"] for r in store.db["_sqlite_migrations"].rows_where("migration_set = ?", [MIGRATION_SET])
    ]
    assert sorted(applied) == sorted(migration_names())
    assert history.count(store, HistoryFilter(query="old moon")) == 1
    assert history.entry(store, 1).play.hints_used == 0


def test_restore_refuses_newer_damaged_and_foreign_files_untouched(store, tmp_path):
    fill(store, 2)
    newer = tmp_path / "newer.sqlite3"
    backups.backup(store, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, 'm999_x', 'x')",
            [MIGRATION_SET],
        )
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\0junk" * 1000)
    for path, words in (
        (newer, "newer version"),
        (foreign, "not a Riddlewire history"),
        (junk, "not a Riddlewire history"),
        (tmp_path / "absent", "not a file"),
    ):
        with pytest.raises(StoreError, match=words):
            backups.restore(store, path)
    assert store.count_riddles() == 2
    assert not (tmp_path / "backups").exists() and not backups.backups_folder(store).exists()

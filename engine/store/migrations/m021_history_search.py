"""One full-text index over everything a person remembers about a riddle: its text, its answer, the
headline and the summary (issue 6). m001's two separate indexes cannot answer "moon tides" when "moon"
is in the riddle and "tides" in the headline.

The index is an FTS5 table whose external content is a view of riddles joined to articles, so the
words are not stored twice. Triggers keep it in step with both tables; FTS5's 'delete' command needs
the old values, which the triggers read before the change. Accents are folded. Prefix indexes of 2 to
6 letters keep search-as-you-type quick: without them a prefix shared by many words ("inte*") makes
FTS5 merge every matching word's list before it can stop at the first page (hundreds of ms at 100k
riddles, measured; see BENCHMARKS.md), at the price of about twice the index size."""

from sqlite_utils import Database

_OLD_RIDDLE = (
    "SELECT 'delete', old.id, old.text, old.answer, a.title, a.summary FROM articles a "
    "WHERE a.id = old.article_id"
)
_NEW_RIDDLE = (
    "SELECT new.id, new.text, new.answer, a.title, a.summary FROM articles a WHERE a.id = new.article_id"
)
_OLD_ARTICLE = (
    "SELECT 'delete', r.id, r.text, r.answer, old.title, old.summary FROM riddles r "
    "WHERE r.article_id = old.id"
)
_NEW_ARTICLE = (
    "SELECT r.id, r.text, r.answer, new.title, new.summary FROM riddles r WHERE r.article_id = new.id"
)
_COLUMNS = "rowid, text, answer, title, summary"
_DELETE = f"INSERT INTO history_fts(history_fts, {_COLUMNS}) "
_INSERT = f"INSERT INTO history_fts({_COLUMNS}) "


def apply(db: Database) -> None:
    db.execute(
        "CREATE VIEW history_text AS SELECT r.id AS id, r.text AS text, r.answer AS answer, "
        "a.title AS title, a.summary AS summary FROM riddles r JOIN articles a ON a.id = r.article_id"
    )
    db.execute(
        "CREATE VIRTUAL TABLE history_fts USING fts5(text, answer, title, summary, content='history_text', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5 6')"
    )
    triggers = {
        "history_fts_riddle_insert": f"AFTER INSERT ON riddles BEGIN {_INSERT}{_NEW_RIDDLE}; END",
        "history_fts_riddle_delete": f"AFTER DELETE ON riddles BEGIN {_DELETE}{_OLD_RIDDLE}; END",
        "history_fts_riddle_update": (
            f"AFTER UPDATE OF text, answer, article_id ON riddles BEGIN {_DELETE}{_OLD_RIDDLE}; "
            f"{_INSERT}{_NEW_RIDDLE}; END"
        ),
        "history_fts_article_update": (
            f"AFTER UPDATE OF title, summary ON articles BEGIN {_DELETE}{_OLD_ARTICLE}; "
            f"{_INSERT}{_NEW_ARTICLE}; END"
        ),
    }
    for name, body in triggers.items():
        db.execute(f"CREATE TRIGGER {name} {body}")
    # Riddles made before this migration join the index now.
    db.execute("INSERT INTO history_fts(history_fts) VALUES ('rebuild')")

"""The first schema: feeds, articles, riddles (with provenance and play state), full-text search."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db["feeds"].create(
        {
            "id": int,
            "url": str,
            "title": str,
            "category": str,
            "added_at": str,
            "etag": str,
            "last_modified": str,
            "body_hash": str,
            "last_fetched": str,
            "last_status": str,
            "last_error": str,
        },
        pk="id",
        not_null={"url"},
        defaults={"title": "", "category": "", "last_status": "", "last_error": ""},
    )
    db["feeds"].create_index(["url"], unique=True)

    db["articles"].create(
        {
            "id": int,
            "key": str,
            "title": str,
            "link": str,
            "source": str,
            "feed_url": str,
            "published": str,
            "author": str,
            "summary": str,
            "guid": str,
            "fetched_at": str,
        },
        pk="id",
        not_null={"key", "title"},
    )
    db["articles"].create_index(["key"], unique=True)
    db["articles"].create_index(["published"])

    db["riddles"].create(
        {
            "id": int,
            "article_id": int,
            "text": str,
            "answer": str,
            "hints": str,
            "difficulty": str,
            "model_file": str,
            "model_sha256": str,
            "size_tier": str,
            "pipeline": str,
            "sampling": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "latency_s": float,
            "first_token_s": float,
            "tokens_per_s": float,
            "attempts": int,
            "created_at": str,
            "status": str,
            "favourite": int,
            "rating": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"article_id", "text", "answer"},
        defaults={"status": "new", "favourite": 0, "rating": 0, "attempts": 1},
    )
    db["riddles"].create_index(["article_id"])
    db["riddles"].create_index(["created_at"])

    # FTS5 tables kept in sync by triggers, so search never goes stale.
    db["riddles"].enable_fts(["text", "answer"], fts_version="FTS5", create_triggers=True)
    db["articles"].enable_fts(["title", "summary"], fts_version="FTS5", create_triggers=True)

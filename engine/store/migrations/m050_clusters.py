"""Stories across outlets (issue 19, part 2): the cluster each article belongs to, and the splits a
person made (an article split out of a cluster never joins that cluster again).

Clusters live in a link table rather than a column of `articles`: an UPDATE of `articles` fires its
full-text triggers and re-indexes the row, which a refresh must not pay for every new article.
Articles already stored start as clusters of their own (cluster id = article id); only articles
that arrive from now on are matched (engine/store/clusters.py, at ingest)."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db["article_clusters"].create(
        {"article_id": int, "cluster_id": int, "matched_id": int, "score": float, "assigned_at": str},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"cluster_id", "assigned_at"},
    )
    db["article_clusters"].create_index(["cluster_id"])
    db["cluster_splits"].create(
        {"article_id": int, "cluster_id": int, "split_at": str},
        pk=("article_id", "cluster_id"),
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"split_at"},
    )
    db.execute(
        "INSERT INTO article_clusters (article_id, cluster_id, matched_id, score, assigned_at) "
        "SELECT id, id, NULL, 0, '' FROM articles"
    )

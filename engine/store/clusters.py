"""Stories across outlets, in the history: which cluster each article belongs to (m050), assigned at
ingest by engine.clusters; the outlets of a story for the card; the clusters for the CLI and the
History page; and splitting an article out of a wrong cluster.

Each function takes a Store first, so the app can run it on its one database thread and the CLI can
call it directly. A cluster gets one riddle: Store.articles_without_riddles offers one article per
cluster, and none of a cluster that already has a riddle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine.clusters import STORY_WINDOW, StoryIndex, StoryItem, assign
from engine.errors import StoreError
from engine.store import Store, now_iso


@dataclass(frozen=True)
class Outlet:
    """One outlet's telling of a story: what the card lists after a solve or a reveal."""

    article_id: int
    source: str
    title: str
    link: str
    published: str


@dataclass(frozen=True)
class Cluster:
    id: int
    outlets: tuple[Outlet, ...]
    riddle_ids: tuple[int, ...]  # riddles of any of its articles (one, unless a person riddled more)

    @property
    def size(self) -> int:
        return len(self.outlets)


@dataclass(frozen=True)
class ClusterReport:
    assigned: int  # new articles given a cluster
    joined: int  # of those, how many joined an existing story

    def sentence(self) -> str:
        return f"{self.assigned} new articles sorted into stories, {self.joined} of them told elsewhere too."


@dataclass(frozen=True)
class SplitResult:
    article_id: int
    old_cluster: int
    new_cluster: int
    left_behind: int  # articles still in the old cluster

    def sentence(self) -> str:
        return (
            f"Article {self.article_id} is now a story of its own (cluster {self.new_cluster}); "
            f"{self.left_behind} articles stay in cluster {self.old_cluster}. Nothing was deleted."
        )


_OUTLET_COLUMNS = "a.id, coalesce(a.source, ''), a.title, coalesce(a.link, ''), a.published"


def assign_new_articles(store: Store) -> ClusterReport:
    """Give every article without a cluster one: the cluster of the most similar article published
    within STORY_WINDOW of it (engine.clusters), or a new cluster of its own. Called once per
    refresh, after the new articles are written; cheap when there is nothing new."""
    new_rows = store.db.execute(
        "SELECT a.id, a.published, a.title, coalesce(a.summary, '') FROM articles a "
        "LEFT JOIN article_clusters c ON c.article_id = a.id WHERE c.article_id IS NULL"
    ).fetchall()
    if not new_rows:
        return ClusterReport(0, 0)
    new = [StoryItem(i, datetime.fromisoformat(p), t or "", s) for i, p, t, s in new_rows]
    index = _recent_index(store, min(i.published for i in new), max(i.published for i in new))
    with store.db.conn:
        first_free = _next_cluster_id(store)
        fresh: list[int] = []  # articles that start a story: each gets the next free cluster id

        def new_cluster(article_id: int) -> int:
            fresh.append(article_id)
            return first_free + len(fresh) - 1

        assignments = assign(index, new, _refusals(store, [i.article_id for i in new]), new_cluster)
        store.db.conn.executemany(
            "INSERT INTO article_clusters (article_id, cluster_id, matched_id, score, assigned_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(a.article_id, a.cluster_id, a.matched, a.score, now_iso()) for a in assignments],
        )
    _warm.clear()  # one history at a time: the app has one; tests and benches open many
    _warm[store.path] = index  # only once the clusters are written: the index holds what the file holds
    return ClusterReport(len(assignments), sum(a.matched is not None for a in assignments))


# The app refreshes the same history again and again, so its recent stories stay indexed between
# refreshes (the posting lists of two days at 200 feeds take a few MB) and a refresh indexes only
# what is new. Each time, the index is checked against the file: clusters split since (by this
# process or the CLI) are updated, and an article that is not the one indexed under its id (a
# restored backup) or an index grown to twice the window's size means a fresh index.
_warm: dict[Path, StoryIndex] = {}


def _recent_index(store: Store, first: datetime, last: datetime) -> StoryIndex:
    window = [(first - STORY_WINDOW).isoformat(), (last + STORY_WINDOW).isoformat()]
    rows = store.db.execute(
        "SELECT a.id, a.published, c.cluster_id FROM articles a JOIN article_clusters c "
        "ON c.article_id = a.id WHERE a.published BETWEEN ? AND ?",
        window,
    ).fetchall()
    index = _warm.pop(store.path, None)
    if index is None or len(index) > 2 * len(rows) + 1000 or _stale(index, rows):
        index = StoryIndex()
    for article_id, _published, cluster in rows:
        if article_id in index and index.cluster_of(article_id) != cluster:
            index.set_cluster(article_id, cluster)
    if any(article_id not in index for article_id, _p, _c in rows):
        texts = store.db.execute(
            "SELECT a.id, a.published, a.title, coalesce(a.summary, ''), c.cluster_id FROM articles a "
            "JOIN article_clusters c ON c.article_id = a.id WHERE a.published BETWEEN ? AND ?",
            window,
        )
        index.add_all(
            [
                (StoryItem(i, datetime.fromisoformat(p), t or "", s), c)
                for i, p, t, s, c in texts
                if i not in index
            ]
        )
    return index


def _stale(index: StoryIndex, rows: list[tuple[int, str, int]]) -> bool:
    return any(
        article_id in index and index.published(article_id) != datetime.fromisoformat(published)
        for article_id, published, _cluster in rows
    )


def _refusals(store: Store, article_ids: list[int]) -> dict[int, frozenset[int]]:
    refused: dict[int, set[int]] = {}
    for article_id, cluster_id in store.db.execute("SELECT article_id, cluster_id FROM cluster_splits"):
        refused.setdefault(article_id, set()).add(cluster_id)
    wanted = set(article_ids)
    return {a: frozenset(c) for a, c in refused.items() if a in wanted}


def _next_cluster_id(store: Store) -> int:
    """Cluster ids are their own numbers, above every id in use (and every article id, so a
    cluster started by the migration, named after its article, is never reused)."""
    row = store.db.execute(
        "SELECT max(coalesce((SELECT max(cluster_id) FROM article_clusters), 0), "
        "coalesce((SELECT max(id) FROM articles), 0))"
    ).fetchone()
    return row[0] + 1


def cluster_id(store: Store, article_id: int) -> int | None:
    row = store.db.execute(
        "SELECT cluster_id FROM article_clusters WHERE article_id = ?", [article_id]
    ).fetchone()
    return row[0] if row else None


def cluster_outlets(store: Store, article_id: int) -> tuple[Outlet, ...]:
    """Every outlet's headline and link for the story of `article_id`, oldest first (the article
    itself included). An article not yet sorted into a story is a story of its own."""
    cluster = cluster_id(store, article_id)
    if cluster is None:
        rows = store.db.execute(f"SELECT {_OUTLET_COLUMNS} FROM articles a WHERE a.id = ?", [article_id])
    else:
        rows = store.db.execute(
            f"SELECT {_OUTLET_COLUMNS} FROM articles a JOIN article_clusters c ON c.article_id = a.id "
            "WHERE c.cluster_id = ? ORDER BY a.published, a.id",
            [cluster],
        )
    return tuple(Outlet(*row) for row in rows)


def clusters(store: Store, limit: int = 50, min_outlets: int = 2) -> list[Cluster]:
    """The newest stories told by at least `min_outlets` articles, newest first."""
    ids = [
        row[0]
        for row in store.db.execute(
            "SELECT c.cluster_id FROM article_clusters c JOIN articles a ON a.id = c.article_id "
            "GROUP BY c.cluster_id HAVING count(*) >= ? ORDER BY max(a.published) DESC, c.cluster_id DESC "
            "LIMIT ?",
            [min_outlets, limit],
        )
    ]
    return [cluster(store, i) for i in ids]


def cluster(store: Store, cluster_id: int) -> Cluster:
    outlets = tuple(
        Outlet(*row)
        for row in store.db.execute(
            f"SELECT {_OUTLET_COLUMNS} FROM articles a JOIN article_clusters c ON c.article_id = a.id "
            "WHERE c.cluster_id = ? ORDER BY a.published, a.id",
            [cluster_id],
        )
    )
    if not outlets:
        raise StoreError(f"There is no story cluster {cluster_id}. `riddlewire clusters list` shows them.")
    riddles = store.db.execute(
        "SELECT r.id FROM riddles r JOIN article_clusters c ON c.article_id = r.article_id "
        "WHERE c.cluster_id = ? ORDER BY r.id",
        [cluster_id],
    ).fetchall()
    return Cluster(cluster_id, outlets, tuple(r[0] for r in riddles))


def split(store: Store, article_id: int) -> SplitResult:
    """Take an article out of its cluster into a cluster of its own, for good: it is recorded as
    split from the old cluster and never joins it again. Articles and riddles are untouched; if the
    story's riddle was the split article's, the rest of the cluster gets its own riddle later."""
    old = cluster_id(store, article_id)
    if old is None:
        if store.db.execute("SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchone() is None:
            raise StoreError(f"There is no article {article_id} in the history.")
        raise StoreError(f"Article {article_id} is not in a story yet; refresh the feeds first.")
    others = store.db.execute(
        "SELECT count(*) FROM article_clusters WHERE cluster_id = ? AND article_id != ?", [old, article_id]
    ).fetchone()[0]
    if others == 0:
        raise StoreError(f"Article {article_id} is already a story of its own; there is nothing to split.")
    with store.db.conn:
        new = _next_cluster_id(store)
        store.db.execute(
            "UPDATE article_clusters SET cluster_id = ?, matched_id = NULL, score = 0 WHERE article_id = ?",
            [new, article_id],
        )
        store.db.execute(
            "INSERT OR IGNORE INTO cluster_splits (article_id, cluster_id, split_at) VALUES (?, ?, ?)",
            [article_id, old, now_iso()],
        )
    return SplitResult(article_id, old, new, others)

"""Refreshing many feeds from a real local server into a real SQLite history."""

from dataclasses import replace

import pytest

from engine.errors import Cancelled
from engine.feeds.state import FAILED, NOT_MODIFIED, OK, UNCHANGED
from engine.ingest import refresh
from engine.progress import CancelToken
from engine.store import Store
from engine.store.feeds import add_feed, add_mute, feed_articles, get_feed, list_feeds
from tests.engine.feeds.conftest import QUICK, rss


def healthy(server, n: int) -> list[str]:
    return [
        server.add(
            f"/feed{i}",
            body=rss(
                f"Wire {i}",
                [
                    (f"Story {i}.{j} about the harbour regatta", f"https://w{i}.example.org/{j}")
                    for j in range(5)
                ],
            ),
            etag=f'"w{i}"',
        )
        for i in range(n)
    ]


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "history.sqlite3")
    yield store
    store.close()


def test_one_broken_feed_among_twenty_healthy_ones(feed_server, store):
    for url in healthy(feed_server, 20):
        add_feed(store, url)
    broken = add_feed(store, feed_server.add("/broken", body=b"<html>this is no feed</html>"))
    stalled = add_feed(store, feed_server.add("/stalled", body=b"", delay_s=5))
    report = refresh(store, limits=QUICK)
    assert len(report.outcomes) == 22
    assert report.new == 100
    assert {o.feed_id for o in report.failed} == {broken.id, stalled.id}
    assert "No news items could be read" in get_feed(store, broken.id).last_error
    assert "did not answer in time" in get_feed(store, stalled.id).last_error
    ok = [f for f in list_feeds(store) if f.last_status == OK]
    assert len(ok) == 20 and all(f.last_new == 5 and f.title.startswith("Wire ") for f in ok)


def test_second_refresh_uses_conditional_get_and_parses_nothing(feed_server, store):
    [url] = healthy(feed_server, 1)
    feed = add_feed(store, url)
    refresh(store, limits=QUICK)
    report = refresh(store, limits=QUICK)
    assert [o.status for o in report.outcomes] == [NOT_MODIFIED]
    assert feed_server.hits("/feed0")[1].headers["if-none-match"] == '"w0"'
    assert get_feed(store, feed.id).last_new == 0
    assert store.count_articles() == 5, "nothing lost, nothing doubled"


def test_unchanged_body_without_validators_is_not_parsed_again(feed_server, store):
    feed = add_feed(
        store,
        feed_server.add(
            "/plain", body=rss("Plain", [("A plain story about tides", "https://p.example.org/1")])
        ),
    )
    assert refresh(store, limits=QUICK).outcomes[0].status == OK
    assert refresh(store, limits=QUICK).outcomes[0].status == UNCHANGED
    feed_server.routes["/plain"].body = rss(
        "Plain",
        [
            ("A plain story about tides", "https://p.example.org/1"),
            ("A second story about the moon", "https://p.example.org/2"),
        ],
    )
    again = refresh(store, limits=QUICK).outcomes[0]
    assert (again.status, again.new) == (OK, 1)
    assert sorted(a.title for a in feed_articles(store, feed.url)) == [
        "A plain story about tides",
        "A second story about the moon",
    ]


def test_dedupe_across_feeds_by_link_and_by_title(feed_server, store):
    first = feed_server.add(
        "/a",
        body=rss(
            "Alpha",
            [
                ("Parliament passes the clean rivers bill", "https://alpha.example.org/rivers?utm_source=a"),
                ("Storm closes mountain passes overnight", "https://alpha.example.org/storm"),
            ],
        ),
    )
    second = feed_server.add(
        "/b",
        body=rss(
            "Beta",
            [
                (
                    "Parliament Passes the Clean-Rivers Bill - Beta News",
                    "https://beta.example.org/other-link",
                ),
                ("A different story about rail fares", "https://alpha.example.org/storm?utm_campaign=x"),
                ("Rail fares frozen for a year", "https://beta.example.org/fares"),
            ],
        ),
    )
    add_feed(store, first)
    add_feed(store, second)
    report = refresh(store, limits=QUICK, workers=1)
    assert report.new == 3
    titles = sorted(a.title for a in feed_articles(store, first) + feed_articles(store, second))
    assert titles == [
        "Parliament passes the clean rivers bill",
        "Rail fares frozen for a year",
        "Storm closes mountain passes overnight",
    ]


def test_muted_keywords_and_sources_are_never_stored(feed_server, store):
    url = feed_server.add(
        "/m",
        body=rss(
            "Mixed",
            [
                ("Celebrity gossip roundup of the week", "https://m.example.org/1"),
                ("Award for the best lighthouse keeper", "https://m.example.org/2"),
                ("Sports club wins the war of words", "https://spam.example.com/3"),
            ],
        ),
    )
    add_feed(store, url)
    add_mute(store, "keyword", "gossip")
    add_mute(store, "keyword", "war")
    add_mute(store, "source", "spam.example.com")
    report = refresh(store, limits=QUICK)
    assert (report.new, report.muted) == (1, 2)
    assert [a.title for a in feed_articles(store, url)] == ["Award for the best lighthouse keeper"]


def test_cancel_ends_a_refresh_stuck_on_a_slow_feed_and_keeps_what_was_stored(feed_server, store):
    import threading
    import time

    [url] = healthy(feed_server, 1)
    add_feed(store, url)
    add_feed(store, feed_server.add("/stuck", body=b"", delay_s=30))
    token = CancelToken()
    threading.Timer(0.8, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        refresh(store, limits=replace(QUICK, read_s=20, total_s=20), workers=1, cancel=token)
    assert time.monotonic() - started < 2.5, "cancel does not wait for the stuck download"
    assert store.count_articles() == 5
    assert sorted(f.last_status for f in list_feeds(store)) == ["", OK]


def test_progress_reports_each_feed(feed_server, store):
    for url in healthy(feed_server, 3):
        add_feed(store, url)
    seen = []
    refresh(store, limits=QUICK, progress=seen.append)
    assert seen[-1].done == seen[-1].total == 3
    assert seen[-1].message.endswith("5 new.")


def test_failed_status_is_replaced_by_the_next_good_refresh(feed_server, store):
    feed = add_feed(store, feed_server.url("/later"))
    assert refresh(store, limits=QUICK).outcomes[0].status == FAILED
    feed_server.add(
        "/later", body=rss("Later", [("The feed came back online today", "https://l.example.org/1")])
    )
    refresh(store, limits=QUICK)
    assert (get_feed(store, feed.id).last_status, get_feed(store, feed.id).last_error) == (OK, "")

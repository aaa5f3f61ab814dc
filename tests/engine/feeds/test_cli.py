"""`riddlewire feeds ...` end to end, in-process, against the local server and a real history file."""

import json

from engine.cli import main
from engine.paths import app_paths
from engine.store import Store
from engine.store.feeds import list_feeds
from tests.engine.feeds.conftest import rss


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["feeds", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_rename_refresh_export_remove(feed_server, capsys, tmp_path):
    feed_server.add(
        "/site/rss",
        body=rss("Lagoon Post", [("Flamingos return to the lagoon", "https://lagoon.example.org/1")]),
    )
    page = feed_server.add(
        "/site/",
        content_type="text/html",
        body=b'<head><link rel="alternate" type="application/rss+xml" href="/site/rss"></head>',
    )
    code, out, _ = run(capsys, "add", page, "--category", "Nature")
    assert code == 0 and "Subscribed to Lagoon Post" in out and "1 items now" in out

    code, out, _ = run(capsys, "rename", "1", "My lagoon")
    assert code == 0 and "My lagoon" in out
    code, out, err = run(capsys, "refresh")
    assert (code, out.strip()) == (0, "1 feeds checked, 1 new articles.")
    assert "My lagoon: 1 new." in err

    code, out, _ = run(capsys, "list", "--json")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert (row["url"], row["title"], row["category"], row["last_status"]) == (
        feed_server.url("/site/rss"),
        "My lagoon",
        "Nature",
        "ok",
    )

    target = tmp_path / "subs.opml"
    assert run(capsys, "export", str(target))[0] == 0
    assert b'xmlUrl="' + feed_server.url("/site/rss").encode() + b'"' in target.read_bytes()

    code, out, _ = run(capsys, "remove", feed_server.url("/site/rss"))
    assert code == 0 and "stored articles and riddles are kept" in out
    store = Store(app_paths().database)
    assert list_feeds(store) == [] and store.count_articles() == 1
    store.close()

    code, out, _ = run(capsys, "import", str(target))
    assert code == 0 and "Subscribed to 1 new feeds" in out


def test_import_without_a_file_subscribes_to_the_suggested_feeds_without_fetching(capsys):
    code, out, _ = run(capsys, "import")
    assert code == 0 and "Subscribed to" in out
    code, out, _ = run(capsys, "list")
    assert "BBC News" in out and "never refreshed" in out


def test_mutes_from_the_command_line(capsys):
    assert run(capsys, "mute", "gossip")[0] == 0
    code, out, _ = run(capsys, "mute", "tabloid.example", "--source")
    assert code == 0 and "keyword  gossip" in out and "source   tabloid.example" in out
    assert run(capsys, "unmute", "1")[0] == 0
    assert "gossip" not in run(capsys, "mute")[1]


def test_mistakes_are_sentences_with_exit_status_1(feed_server, capsys):
    assert run(capsys, "add", "ftp://example.org/feed")[:1] == (1,)
    code, _, err = run(capsys, "remove", "42")
    assert code == 1 and "You are not subscribed to 42" in err
    feed_server.add("/r", body=rss("R", [("A story told twice over", "https://r.example.org/1")]))
    assert run(capsys, "add", feed_server.url("/r"))[0] == 0
    code, _, err = run(capsys, "add", feed_server.url("/r"))
    assert code == 1 and "already subscribed" in err
    code, _, err = run(capsys, "import", "/nowhere/subs.opml")
    assert code == 1 and "no OPML file" in err

"""`riddlewire feeds list|add|remove|rename|import|export|refresh|mute|unmute`: your subscriptions."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from engine.errors import FeedError
from engine.feeds.discover import find_feed
from engine.feeds.opml import read_opml, write_opml
from engine.ingest import fill_full_text, refresh
from engine.paths import app_paths, resource
from engine.progress import Progress
from engine.store import Store
from engine.store.feeds import (
    add_feed,
    add_mute,
    add_subscriptions,
    get_feed,
    list_feeds,
    mute_rules,
    remove_feed,
    remove_mute,
    rename_feed,
    subscriptions,
)

DEFAULT_FEEDS = resource("feeds.opml")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("feeds", help="list, add, remove, import, export and refresh your news feeds")
    actions = p.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    _action(
        actions,
        "list",
        "show your feeds and how their last refresh went",
        show_list,
        lambda a: a.add_argument("--json", action="store_true", help="one JSON object per feed"),
    )
    _action(actions, "add", "subscribe to a feed (or a web page that names one)", add, _add_arguments)
    _action(
        actions,
        "remove",
        "unsubscribe (stored articles and riddles stay)",
        remove,
        lambda a: a.add_argument("feed", help="the feed's id or address"),
    )
    _action(actions, "rename", "give a feed your own name", rename, _rename_arguments)
    _action(
        actions,
        "import",
        "subscribe to the feeds in an OPML file",
        import_opml,
        lambda a: a.add_argument(
            "file", nargs="?", type=Path, help="OPML file (default: the suggested feeds)"
        ),
    )
    _action(
        actions,
        "export",
        "write your subscriptions as OPML",
        export_opml,
        lambda a: a.add_argument("file", nargs="?", type=Path, help="where to write (default: print it)"),
    )
    _action(
        actions, "refresh", "fetch every feed now and store new articles", refresh_all, _refresh_arguments
    )
    _action(actions, "mute", "never riddle articles with a word, or from a source", mute, _mute_arguments)
    _action(actions, "unmute", "remove a mute filter", unmute, lambda a: a.add_argument("id", type=int))


def _action(actions, name: str, help_text: str, run: Callable, arguments: Callable) -> None:  # noqa: ANN001
    parser = actions.add_parser(name, help=help_text)
    arguments(parser)
    parser.set_defaults(run=lambda args: _with_store(run, args))


def _refresh_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("feed", nargs="*", help="only these feeds (ids or addresses)")
    p.add_argument(
        "--full-text",
        action="store_true",
        help="then fetch the pages of brief articles and keep their paragraphs as text",
    )


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", help="the feed's address, or a site's page that links to its feed")
    p.add_argument("--title", default="", help="your name for it (default: the feed's own title)")
    p.add_argument("--category", default="", help="a folder to file it under")


def _rename_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("feed", help="the feed's id or address")
    p.add_argument("title", help="the new name")


def _mute_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pattern", nargs="?", help="a word or phrase (or with --source, a feed name or web site)")
    p.add_argument("--source", action="store_true", help="mute a source instead of a keyword")


def _with_store(run: Callable[[Store, argparse.Namespace], int], args: argparse.Namespace) -> int:
    store = Store(app_paths().ensure().database)
    try:
        return run(store, args)
    finally:
        store.close()


def show_list(store: Store, args: argparse.Namespace) -> int:
    feeds = list_feeds(store)
    for feed in feeds:
        if args.json:
            print(json.dumps(asdict(feed), ensure_ascii=False))
            continue
        state = feed.last_error or (
            f"{feed.last_new} new at {feed.last_fetched}" if feed.last_fetched else "never refreshed"
        )
        folder = f" [{feed.category}]" if feed.category else ""
        print(f"{feed.id:>4}  {feed.name}{folder}\n      {feed.url}\n      {state}")
    if not feeds and not args.json:
        print(
            "No feeds yet. `riddlewire feeds import` subscribes to the suggested ones; `feeds add URL` adds "
            "yours."
        )
    return 0


def add(store: Store, args: argparse.Namespace) -> int:
    found = find_feed(args.url)
    feed = add_feed(store, found.url, args.title or found.title, args.category, found.parsed.site)
    print(f"Subscribed to {feed.name} ({feed.url}): {len(found.parsed.articles)} items now.")
    return 0


def remove(store: Store, args: argparse.Namespace) -> int:
    feed = remove_feed(store, get_feed(store, args.feed).id)
    print(f"Unsubscribed from {feed.name}. Its stored articles and riddles are kept.")
    return 0


def rename(store: Store, args: argparse.Namespace) -> int:
    feed = rename_feed(store, get_feed(store, args.feed).id, args.title)
    print(f"Feed {feed.id} is now called {feed.name}.")
    return 0


def import_opml(store: Store, args: argparse.Namespace) -> int:
    path = args.file or DEFAULT_FEEDS
    if not path.is_file():
        raise FeedError(f"There is no OPML file at {path}.")
    subs = read_opml(path.read_bytes())
    added = add_subscriptions(store, subs)
    print(f"Subscribed to {len(added)} new feeds ({len(subs) - len(added)} you already had).")
    return 0


def export_opml(store: Store, args: argparse.Namespace) -> int:
    data = write_opml(subscriptions(store))
    if args.file is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        args.file.write_bytes(data)
        print(f"Wrote {len(list_feeds(store))} feeds to {args.file}.")
    return 0


def refresh_all(store: Store, args: argparse.Namespace) -> int:
    ids = [get_feed(store, f).id for f in args.feed] if args.feed else None

    def show(progress: Progress) -> None:
        if progress.done and progress.message:
            print(f"[{progress.done}/{progress.total}] {progress.message}", file=sys.stderr)

    report = refresh(store, ids, progress=show)
    print(report.sentence())
    if args.full_text:
        text = fill_full_text(store, progress=show)
        print(
            f"Read the full text of {text.filled} brief article(s)"
            + (f"; {len(text.failed)} page(s) could not be read." if text.failed else ".")
        )
    return 1 if report.outcomes and len(report.failed) == len(report.outcomes) else 0


def mute(store: Store, args: argparse.Namespace) -> int:
    if args.pattern:
        rule = add_mute(store, "source" if args.source else "keyword", args.pattern)
        print(
            f"Muted {rule.kind} “{rule.pattern}” (filter {rule.id}); new articles that match are not stored."
        )
    for rule in mute_rules(store):
        print(f"{rule.id:>4}  {rule.kind:<8} {rule.pattern}")
    return 0


def unmute(store: Store, args: argparse.Namespace) -> int:
    remove_mute(store, args.id)
    print(f"Mute filter {args.id} removed.")
    return 0

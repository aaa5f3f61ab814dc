"""`riddlewire clusters`: the stories told by more than one outlet, and splitting a wrong one."""

from __future__ import annotations

import argparse

from engine.paths import app_paths
from engine.settings import load_settings, with_data_folder
from engine.store import Store
from engine.store.clusters import clusters, split


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("clusters", help="stories told by several outlets; split a wrong one")
    commands = p.add_subparsers(dest="clusters_command", metavar="ACTION", required=True)
    listing = commands.add_parser("list", help="the newest stories with two or more outlets")
    listing.add_argument("--limit", type=int, default=20, help="how many stories (default 20)")
    listing.set_defaults(run=run_list)
    splitting = commands.add_parser(
        "split", help="make an article a story of its own (nothing is deleted; it never rejoins)"
    )
    splitting.add_argument("article_id", type=int, metavar="ARTICLE_ID")
    splitting.set_defaults(run=run_split)


def _store() -> Store:
    base = app_paths().ensure()
    return Store(with_data_folder(base, load_settings(base.settings_file)).ensure().database)


def run_list(args: argparse.Namespace) -> int:
    store = _store()
    try:
        found = clusters(store, limit=args.limit)
    finally:
        store.close()
    if not found:
        print("No story is told by more than one outlet yet (refresh the feeds to gather more).")
        return 0
    for story in found:
        riddled = f", riddle {', '.join(map(str, story.riddle_ids))}" if story.riddle_ids else ""
        print(f"Cluster {story.id}: {story.size} outlets{riddled}")
        for outlet in story.outlets:
            print(f"  article {outlet.article_id}  {outlet.source or '(no source)'}: {outlet.title}")
    return 0


def run_split(args: argparse.Namespace) -> int:
    store = _store()
    try:
        print(split(store, args.article_id).sentence())
    finally:
        store.close()
    return 0

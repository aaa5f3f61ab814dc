"""`riddlewire riddle`: riddle a feed (file or URL), print the riddles and store them."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

from engine.active_model import active_choice, custom_choice, open_riddler, worker_settings
from engine.batching import riddle_articles_batched
from engine.errors import FeedError
from engine.feeds import parse
from engine.feeds.fetch import fetch
from engine.paths import app_paths
from engine.progress import Progress
from engine.riddling import DEFAULT_SAMPLING
from engine.settings import best_of, load_settings, with_data_folder
from engine.settings import sampling as user_sampling
from engine.store import Store


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("riddle", help="riddle the news in a feed and store the riddles")
    p.add_argument("--feed", required=True, help="path or http(s) URL of an RSS/Atom feed")
    p.add_argument("--limit", type=int, default=5, help="riddle at most N articles (default 5)")
    p.add_argument("--model", type=Path, help="a GGUF file (default: the bundled starter model)")
    p.add_argument("--seed", type=int, help="sampling seed, for reproducible riddles")
    p.add_argument("--json", action="store_true", help="print one JSON object per riddle")
    p.add_argument(
        "--batch",
        type=int,
        metavar="N",
        help="riddle N articles at a time in the model (default: automatic, as the reader)",
    )
    p.add_argument(
        "--best-of",
        type=int,
        choices=range(1, 5),
        metavar="N",
        help="write N riddles per story and keep the one that points to it best (default: the setting)",
    )
    p.set_defaults(run=run)


def read_feed(source: str) -> list:
    if source.lower().startswith(("http://", "https://")):
        response = fetch(source)
        return parse(response.body, feed_url=response.url, headers=response.headers)
    path = Path(source)
    if not path.is_file():
        raise FeedError(f"There is no feed file at {path}.")
    return parse(path.read_bytes(), feed_url=path.resolve().as_uri())


def run(args: argparse.Namespace) -> int:
    settings = load_settings(app_paths().settings_file)
    paths = with_data_folder(app_paths(), settings).ensure()
    articles = read_feed(args.feed)[: max(0, args.limit)]
    choice = custom_choice(args.model) if args.model else active_choice(paths)
    sampling = user_sampling(settings, DEFAULT_SAMPLING)
    if args.seed is not None:
        sampling = sampling.with_seed(args.seed)
    # A command runs once: no idle unloading, the process exit frees the model.
    engine = replace(worker_settings(choice, settings, paths), idle_unload_s=None)
    riddler, model = open_riddler(choice, engine, sampling)
    riddler.best_of = args.best_of or best_of(settings)
    store = Store(paths.database)

    def show(progress: Progress) -> None:
        if progress.item is None:
            if progress.done:
                print(f"! {progress.message}", file=sys.stderr)
            return
        stored = progress.item
        if args.json:
            print(json.dumps(_as_json(stored), ensure_ascii=False), flush=True)
        else:
            print(
                f"[{progress.done}/{progress.total}] {stored.riddle.text}\n    answer: {stored.riddle.answer}"
                f"  ({stored.article.title})",
                flush=True,
            )

    try:
        # The reader's road: batched in the worker, guided, the same checks and retries.
        run_result = riddle_articles_batched(store, articles, riddler, progress=show, width=args.batch)
    finally:
        model.close()
        store.close()
    return 0 if run_result.stored or not articles else 1


def _as_json(stored) -> dict:  # noqa: ANN001
    return {
        "id": stored.id,
        "riddle": stored.riddle.text,
        "answer": stored.riddle.answer,
        "hints": list(stored.riddle.hints),
        "difficulty": stored.riddle.difficulty,
        "headline": stored.article.title,
        "source": stored.article.source,
        "link": stored.article.link,
        "provenance": asdict(stored.provenance),
    }

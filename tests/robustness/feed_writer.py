"""A child process for the kill tests: stores refresh outcomes (new articles, feed state) in a loop,
printing "ack <feed id> <last key>" only after each outcome's transaction has committed."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from engine.articles import Article
from engine.feeds.state import OK, FeedOutcome
from engine.store import Store
from engine.store.feeds import add_feed, list_feeds, save_outcome


def main(path: str, start: int) -> None:
    store = Store(path)
    feed = next(iter(list_feeds(store)), None) or add_feed(store, "https://kill.example.org/feed")
    print("ready", flush=True)
    for batch in range(start, start + 100_000):
        now = datetime.now(UTC)
        articles = tuple(
            Article(
                f"Killed story {batch}-{i} about topic {batch * 7 + i}",
                f"https://kill.example.org/{batch}/{i}",
                "Kill Wire",
                now,
                "Words. " * 80,
            )
            for i in range(8)
        )
        outcome = FeedOutcome(
            feed.id,
            feed.url,
            OK,
            now.isoformat(timespec="seconds"),
            etag=f'"{batch}"',
            body_hash=str(batch),
            articles=articles,
        )
        save_outcome(store, outcome)
        print(f"ack {feed.id} {articles[-1].key}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

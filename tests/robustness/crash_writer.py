"""A writer for the crash-safety test: stores riddles (and plays them) in a loop, printing "ack <id>
<key>" only after each commit returns. The test SIGKILLs it at random moments."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from engine.articles import Article
from engine.riddles import Provenance, Riddle
from engine.store import Store
from engine.store import play as plays


def main(path: str, start: int) -> None:
    store = Store(path)
    print("ready", flush=True)
    previous = None
    for i in range(start, start + 100_000):
        now = datetime.now(UTC)
        key = f"https://crash.example.org/{i}"
        article = store.save_articles([Article(f"Crash story {i}", key, "Crash Wire", now, f"Summary {i}.")])[
            0
        ]
        provenance = Provenance(
            "m.gguf", "", "tiny", "few-shot", "{}", 1, 1, 0.1, 0.01, 10.0, now.isoformat()
        )
        stored = store.save_riddle(article, Riddle(f"Riddle {i}", f"answer{i}", ("a", "b")), provenance)
        print(f"ack {stored.id} {key}", flush=True)
        if previous is not None:  # updates too, not only inserts
            plays.guess(store, previous, f"answer{i - 1}")
        previous = stored.id


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

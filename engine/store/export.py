"""Export the history to CSV or JSON: every riddle with its article, provenance and play.

Files are written beside the target and moved into place only when complete, so a failed export
never leaves half a file under the chosen name."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO

from engine.errors import StoreError
from engine.store import Store
from engine.store.history import HistoryEntry, HistoryFilter, iter_entries

FORMATS = ("csv", "json")


def entry_record(item: HistoryEntry) -> dict:
    """One entry as a flat record: the columns of the CSV and the keys of each JSON object."""
    stored, article = item.stored, item.stored.article
    hints = list(stored.riddle.hints) + ["", ""]
    return {
        "id": stored.id,
        "riddle": stored.riddle.text,
        "answer": stored.riddle.answer,
        "hint_1": hints[0],
        "hint_2": hints[1],
        "difficulty": stored.riddle.difficulty,
        "headline": article.title,
        "source": article.source,
        "link": article.link,
        "published": article.published.isoformat(),
        "summary": article.summary,
        **asdict(stored.provenance),
        "status": stored.status,
        "favourite": stored.favourite,
        "rating": stored.rating,
        **asdict(item.play),
    }


def export(store: Store, path: Path | str, fmt: str, where: HistoryFilter = HistoryFilter()) -> int:  # noqa: B008
    """Write the matching history to path as csv or json; returns how many riddles were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    writer = _write_csv if fmt == "csv" else _write_json
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            written = writer(out, (entry_record(e) for e in iter_entries(store, where)))
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(
            f"The history could not be exported to {target} ({exc.strerror or exc}). "
            "Choose a folder you can write to with free space."
        ) from exc
    return written


def _write_csv(out: IO[str], records: Iterator[dict]) -> int:
    writer: csv.DictWriter | None = None
    written = 0
    for record in records:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(record))
            writer.writeheader()
        writer.writerow(record)
        written += 1
    if writer is None:  # an empty history still gets its header line
        csv.writer(out).writerow(_empty_fields())
    return written


def _write_json(out: IO[str], records: Iterator[dict]) -> int:
    """A JSON array written one object at a time, so exports never hold the history in memory."""
    written = 0
    out.write("[")
    for record in records:
        out.write(",\n" if written else "\n")
        out.write(json.dumps(record, ensure_ascii=False))
        written += 1
    out.write("\n]\n")
    return written


def _empty_fields() -> list[str]:
    from datetime import UTC, datetime

    from engine.articles import Article
    from engine.game import Play
    from engine.riddles import Provenance, Riddle, StoredRiddle

    article = Article("", "", "", datetime.now(UTC), "")
    provenance = Provenance(*([""] * 5), 0, 0, 0.0, 0.0, 0.0, "")
    return list(entry_record(HistoryEntry(StoredRiddle(0, Riddle("", ""), article, provenance), Play())))

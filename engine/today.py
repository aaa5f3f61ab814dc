"""What's going on today, learnt through the game: for each story played today (solved or revealed,
so its answer and article were shown), a one-line summary and the outlets that carried it; and the
day's digest as Markdown.

A story is one riddle, and the outlets of a story are its cluster's (issue 19, part 2): every feed that
carried the story, matched on content at ingest by engine.clusters, whichever of them the riddle was
made from. An article not yet sorted into a cluster is a story of its own, with its one outlet."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

from engine.errors import StoreError
from engine.store import Store
from engine.store.clusters import cluster_outlets
from engine.store.history import HistoryEntry, day_bounds, entry

PLAYED = ("solved", "revealed")
ONE_LINE_CHARS = 180
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"'])")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_LIST_START = re.compile(r"^([-+]|\d+\.)(\s)")


@dataclass(frozen=True)
class Outlet:
    source: str
    link: str  # a web address, or "" when the article had none worth opening


@dataclass(frozen=True)
class TodayStory:
    riddle_id: int
    headline: str
    one_line: str  # the summary's first sentence, or the headline when there is no summary
    answer: str
    status: str  # solved | revealed
    points: int
    hints_used: int
    played_at: str  # ISO 8601 UTC
    outlets: tuple[Outlet, ...]


@dataclass(frozen=True)
class Digest:
    day: date
    stories: tuple[TodayStory, ...]  # in the order they were played

    @property
    def solved(self) -> int:
        return sum(s.status == "solved" for s in self.stories)

    @property
    def points(self) -> int:
        return sum(s.points for s in self.stories)


def one_line_summary(summary: str, headline: str, limit: int = ONE_LINE_CHARS) -> str:
    """The summary's first sentence on one line, cut at a word within `limit`; the headline if the
    article came without a summary."""
    text = " ".join(summary.split()) or " ".join(headline.split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0]
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return first


def web_link(url: str) -> str:
    """The address when it is a web link (http or https with a host), else "": the digest never
    carries javascript:, file: or data: links out of a feed."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def played_today(store: Store, day: date | None = None) -> list[HistoryEntry]:
    """The riddles solved or revealed on the (local) day, in the order they were played."""
    start, end = day_bounds(day or date.today())
    rows = store.db.execute(
        "SELECT id FROM riddles WHERE played_at >= ? AND played_at < ? AND status IN (?, ?) "
        "ORDER BY played_at, id",
        [start, end, *PLAYED],
    ).fetchall()
    return [entry(store, riddle_id) for (riddle_id,) in rows]


Outlets = Callable[[Store, HistoryEntry], tuple[Outlet, ...]]


def story_outlets(store: Store, played: HistoryEntry) -> tuple[Outlet, ...]:
    """Every outlet of the played riddle's story, the one that broke it first, the riddle's own
    article among them."""
    return tuple(
        Outlet(outlet.source or "", web_link(outlet.link))
        for outlet in cluster_outlets(store, played.stored.article.id)
    )


def digest(store: Store, day: date | None = None, outlets: Outlets = story_outlets) -> Digest:
    """The day's stories learnt through the game, each with the outlets of its story cluster."""
    stories = []
    for played in played_today(store, day):
        stored = played.stored
        stories.append(
            TodayStory(
                riddle_id=stored.id,
                headline=" ".join(stored.article.title.split()),
                one_line=one_line_summary(stored.article.summary, stored.article.title),
                answer=stored.riddle.answer,
                status=stored.status,
                points=played.play.points,
                hints_used=played.play.hints_used,
                played_at=played.play.played_at,
                outlets=outlets(store, played),
            )
        )
    return Digest(day or date.today(), tuple(stories))


def escape_markdown(text: str) -> str:
    """Plain text that Markdown shows as it is: headlines and summaries come from feeds, and a "#",
    "[" or "<" in them must not become a heading, a link or HTML."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return _LIST_START.sub(_not_a_list_item, escaped)


def _not_a_list_item(match: re.Match) -> str:
    marker = match.group(1)
    return (marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker) + match.group(2)


def _markdown_link(outlet: Outlet) -> str:
    name = escape_markdown(outlet.source or "source")
    if not outlet.link:
        return name
    # Spaces, parentheses and angle brackets would end or break the link target: percent-encode them.
    target = quote(outlet.link, safe=":/?#[]@!$&'*+,;=%~-._")
    return f"[{name}](<{target}>)"


def to_markdown(day_digest: Digest) -> str:
    """The digest as a Markdown document: a title, a line of totals, then one section per story."""
    day = day_digest.day.isoformat()
    lines = [f"# What went on, {day}", ""]
    if not day_digest.stories:
        lines.append("No stories played yet today: solve or reveal a riddle and its story appears here.")
        return "\n".join(lines) + "\n"
    count = len(day_digest.stories)
    lines += [
        f"{count} {'story' if count == 1 else 'stories'} learnt through the game: "
        f"{day_digest.solved} solved, {day_digest.points} {'point' if day_digest.points == 1 else 'points'}.",
        "",
    ]
    for story in day_digest.stories:
        how = (
            f"solved, {story.points} {'point' if story.points == 1 else 'points'}"
            if story.status == "solved"
            else "revealed"
        )
        lines += [
            f"## {escape_markdown(story.headline)}",
            "",
            escape_markdown(story.one_line),
            "",
            f"- Answer: {escape_markdown(story.answer)} ({how})",
            f"- Outlets: {', '.join(_markdown_link(o) for o in story.outlets) or 'unknown'}",
            "",
        ]
    return "\n".join(lines)


def export_markdown(day_digest: Digest, path: Path | str) -> Path:
    """Write the digest as Markdown: to a partial file first, then renamed over the target, so a full
    disk or a failed write never leaves half a digest where the reader asked for it."""
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(to_markdown(day_digest), encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(
            f"Could not write the digest to {target} ({exc.strerror or exc}). "
            "Choose a folder you can write to with free space."
        ) from exc
    return target

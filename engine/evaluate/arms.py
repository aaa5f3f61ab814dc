"""The arms of a blind rating run: the same held-out stories riddled several ways, each exactly as the
reader would riddle them (the batched road, engine.batching), queued for blind rating
(engine.evaluate.ratings).

Arms:
- "guided": the bundled model few-shot, guided, the answer one of the story's subjects (as it ships);
- "guided-free-answer": guided, but the answer free (as it shipped before the subject candidates);
- "parse-and-retry": answer-first free completions, parsed and retried (no guiding);
- "tuned": as "guided", on the base with a LoRA adapter (its own prompt if we trained it);
- "best-of-2", "best-of-4": as "guided", N riddles per story, the judge keeps one (engine.best_of);
- "tuned-best-of-2": both.

Stories come from JSONL files of {"title", "summary", "section"?} (resources/riddles/heldout_news).
The four headlines a rater sees are the story's and three others of the same section, drawn with a
seed, so every arm's riddle of a story is rated against the same choices."""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from engine.active_model import ModelChoice, open_riddler
from engine.articles import Article
from engine.batching import riddle_articles_batched
from engine.errors import EngineError
from engine.evaluate.ratings import NewItem
from engine.inference import Sampling
from engine.inference.local import LocalSettings
from engine.progress import CancelToken, ProgressCallback
from engine.store import Store

OPTIONS = 4


@dataclass(frozen=True)
class Arm:
    name: str
    guided: bool = True
    subjects: bool = True
    tuned: bool = False  # needs an adapter
    best_of: int = 1  # riddles written per story, of which the judge keeps one


ARMS = {
    arm.name: arm
    for arm in (
        Arm("guided"),
        Arm("guided-free-answer", subjects=False),
        Arm("parse-and-retry", guided=False),
        Arm("tuned", tuned=True),
        Arm("best-of-2", best_of=2),
        Arm("best-of-4", best_of=4),
        Arm("tuned-best-of-2", tuned=True, best_of=2),
    )
}


@dataclass(frozen=True)
class HeldOutStory:
    key: str
    section: str
    title: str
    summary: str

    def article(self) -> Article:
        return Article(
            title=self.title,
            link=f"riddlewire:heldout/{self.key}",
            source=self.section or "held-out",
            published=datetime(2026, 12, 3, tzinfo=UTC),
            summary=self.summary,
        )


def load_stories(files: list[Path]) -> list[HeldOutStory]:
    """Every story in the files, once (by headline), in file order. Bad lines are named, not skipped."""
    stories: dict[str, HeldOutStory] = {}
    for path in files:
        if not path.is_file():
            raise EngineError(f"There is no story file at {path}.")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                title, summary = str(row["title"]).strip(), str(row.get("summary", "")).strip()
            except (ValueError, KeyError, TypeError):
                raise EngineError(f"Line {number} of {path} is not a story with a title.") from None
            key = hashlib.sha256(title.casefold().encode()).hexdigest()[:16]
            stories.setdefault(key, HeldOutStory(key, str(row.get("section", "")), title, summary))
    return list(stories.values())


def choose(stories: list[HeldOutStory], count: int, seed: int) -> list[HeldOutStory]:
    """`count` stories drawn with the seed (all of them when there are fewer)."""
    if len(stories) < OPTIONS:
        raise EngineError(f"A rating run needs at least {OPTIONS} stories to show {OPTIONS} headlines.")
    picked = list(stories)
    random.Random(seed).shuffle(picked)
    return picked[: max(1, count)]


def headline_choices(
    story: HeldOutStory, stories: list[HeldOutStory], seed: int
) -> tuple[tuple[str, ...], int]:
    """The story's headline and three others (same section where it has enough), shuffled; and where
    the story's is."""
    rng = random.Random(f"{seed}/{story.key}")
    same = [s for s in stories if s.section == story.section and s.key != story.key]
    pool = same if len(same) >= OPTIONS - 1 else [s for s in stories if s.key != story.key]
    titles = [story.title] + [s.title for s in rng.sample(pool, OPTIONS - 1)]
    rng.shuffle(titles)
    return tuple(titles), titles.index(story.title)


def riddle_arm(
    arm: Arm,
    stories: list[HeldOutStory],
    everything: list[HeldOutStory],
    model: ModelChoice,
    settings: LocalSettings,
    sampling: Sampling,
    *,
    adapter: Path | None = None,
    width: int | None = None,
    seed: int = 7,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[NewItem]:
    """Riddle the stories the arm's way on the reader's road (batched, guided where it guides, the
    same retries and checks); one item per story, a failure included. An item's seconds are its share
    of the arm's wall time (loading the model included), so riddles per minute are what a reader gets."""
    if arm.tuned:
        if adapter is None or not Path(adapter).is_file():
            raise EngineError('The "tuned" arm needs a LoRA adapter file (--adapter).')
        model = replace(model, lora_path=Path(adapter))
    riddler, local = open_riddler(model, replace(settings, idle_unload_s=None), sampling)
    riddler.guided, riddler.subjects, riddler.best_of = arm.guided, arm.subjects, arm.best_of
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="riddlewire-arm-") as scratch:
        store = Store(Path(scratch) / "arm.db")
        try:
            articles = [s.article() for s in stories]
            run = riddle_articles_batched(store, articles, riddler, progress, cancel, width=width)
        finally:
            local.close()
            store.close()
    each = (time.perf_counter() - started) / max(1, len(stories))
    made = {s.article.key: s for s in run.stored}
    failed = {article.key: sentence for article, sentence in run.failed}
    items = []
    for story in stories:
        options, index = headline_choices(story, everything, seed)
        base = NewItem(arm.name, story.key, story.section, story.title, story.summary, options, index)
        stored = made.get(story.article().key)
        if stored is None:
            reason = failed.get(story.article().key, "not riddled")
            items.append(replace(base, model=model.path.name, seconds=each, failure=reason))
            continue
        items.append(
            replace(
                base,
                riddle=stored.riddle.text,
                answer=stored.riddle.answer,
                hints=stored.riddle.hints,
                road=stored.provenance.road,
                quality=stored.provenance.quality,
                model=model.path.name + (f" + {Path(adapter).name}" if arm.tuned and adapter else ""),
                seconds=each,
            )
        )
    return items

"""The frozen article set: the same N articles, in the same order, with the same four headlines for
the solver, for every candidate of a run. Saved with the run, so a later candidate is comparable."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.articles import Article

OPTIONS = 4  # the solver picks among this many headlines: chance is 1 / OPTIONS


@dataclass(frozen=True)
class FrozenArticle:
    position: int
    title: str
    summary: str
    link: str
    source: str
    day: str  # YYYY-MM-DD (UTC) of publication: distractors come from the same day where possible
    options: tuple[str, ...]  # OPTIONS headlines, this article's among them
    answer_index: int  # where this article's headline is in options

    def article(self) -> Article:
        """The article as a pipeline sees it (prompts need only title and summary)."""
        published = datetime.fromisoformat(self.day).replace(tzinfo=UTC)
        return Article(self.title, self.link, self.source, published, self.summary)


def freeze(articles: list[Article], count: int, seed: int) -> tuple[FrozenArticle, ...]:
    """Pick `count` distinct articles (seeded) and give each three distractor headlines, from the same
    day first, then from the nearest days. Needs at least OPTIONS distinct headlines in all."""
    unique = list({a.title.casefold(): a for a in articles if a.title.strip()}.values())
    if len(unique) < OPTIONS:
        raise ValueError(f"an article set needs at least {OPTIONS} different headlines, got {len(unique)}")
    rng = random.Random(seed)
    chosen = sorted(rng.sample(unique, min(count, len(unique))), key=lambda a: (a.published, a.title))
    by_day: dict[str, list[Article]] = defaultdict(list)
    for article in unique:
        by_day[_day(article)].append(article)
    frozen = []
    for position, article in enumerate(chosen):
        distractors = _distractors(article, unique, by_day, rng)
        options = [article.title, *distractors]
        rng.shuffle(options)
        frozen.append(
            FrozenArticle(
                position,
                article.title,
                article.summary,
                article.link,
                article.source,
                _day(article),
                tuple(options),
                options.index(article.title),
            )
        )
    return tuple(frozen)


def _distractors(
    article: Article, pool: list[Article], by_day: dict[str, list[Article]], rng: random.Random
) -> list[str]:
    same_day = [a for a in by_day[_day(article)] if a.title != article.title]
    rng.shuffle(same_day)
    picked = same_day[: OPTIONS - 1]
    if len(picked) < OPTIONS - 1:
        others = sorted(
            (a for a in pool if a.title != article.title and a not in picked),
            key=lambda a: (abs((a.published - article.published).total_seconds()), a.title),
        )
        picked += others[: OPTIONS - 1 - len(picked)]
    return [a.title for a in picked]


def _day(article: Article) -> str:
    return article.published.astimezone(UTC).date().isoformat()

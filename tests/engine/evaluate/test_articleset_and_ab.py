"""The frozen article set (same-day distractors, seeded) and the A/B bootstrap interval."""

from datetime import UTC, datetime, timedelta

import pytest

from engine.articles import Article
from engine.evaluate.ab import bootstrap_interval, compare
from engine.evaluate.articleset import OPTIONS, freeze
from engine.evaluate.runs import CandidateRecord, EvalRow
from engine.samples import sample_articles


def test_each_article_gets_its_own_headline_and_three_same_day_distractors():
    news = sample_articles()
    frozen = freeze(news, 6, seed=3)
    days = {a.title: a.published.date().isoformat() for a in news}
    assert len(frozen) == 6 and [a.position for a in frozen] == list(range(6))
    for article in frozen:
        assert len(article.options) == OPTIONS == len(set(article.options))
        assert article.options[article.answer_index] == article.title
        assert all(days[title] == article.day for title in article.options)  # the sample has 5+ a day
    assert freeze(news, 6, seed=3) == frozen
    assert freeze(news, 6, seed=4) != frozen


def test_distractors_come_from_the_nearest_days_when_a_day_is_thin():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    news = [
        Article(f"Story {i}", f"https://x.org/{i}", "X", start + timedelta(days=i), "text") for i in range(6)
    ]
    frozen = freeze(news, 6, seed=0)
    first = frozen[0]
    assert set(first.options) == {"Story 0", "Story 1", "Story 2", "Story 3"}
    with pytest.raises(ValueError):
        freeze(news[:3], 3, seed=0)


def _candidate(name: str, solved: list[bool]) -> CandidateRecord:
    rows = tuple(
        EvalRow(
            i, True, "", "r", "a", ("h1", "h2"), False, True, 1.0, s, 0, 1, 1, 50.0, 1, 1, 0.1, 10.0, 1.0, ""
        )
        for i, s in enumerate(solved)
    )
    return CandidateRecord(1, name, name, "", "few-shot", 1, 0.1, None, None, "done", rows)


def test_a_clear_improvement_has_an_interval_above_zero():
    base = _candidate("base.gguf", [False] * 30 + [True] * 10)
    tuned = _candidate("tuned.gguf", [True] * 35 + [False] * 5)
    result = compare(base, tuned, seed=1)
    assert result.difference == pytest.approx(0.875 - 0.25)
    assert 0 < result.low <= result.difference <= result.high <= 1
    assert result.significant and "real difference" in result.sentence()


def test_equal_candidates_are_not_called_different():
    same = [i % 4 == 0 for i in range(20)]
    result = compare(_candidate("a.gguf", same), _candidate("b.gguf", same))
    assert result.difference == 0 and (result.low, result.high) == (0, 0) and not result.significant
    low, high = bootstrap_interval([1.0, -1.0, 0.0, 1.0, -1.0, 0.0], seed=2)
    assert low < 0 < high

"""The story's subject candidates (YAKE) and the guided answer that may only be one of them."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.active_model import ModelChoice, open_riddler
from engine.articles import Article
from engine.batching import riddle_articles_batched
from engine.errors import GenerationError
from engine.inference import Sampling
from engine.inference.local import LocalSettings
from engine.quality import FUNCTION_WORDS, fold
from engine.samples import sample_articles
from engine.store import Store
from engine.subjects import candidates

ROOT = Path(__file__).resolve().parents[2]


def test_candidates_are_names_and_noun_phrases_of_the_story():
    found = candidates(
        "Mount Orsal erupts on Pellara island",
        "Thousands flee as the volcano began spewing ash and lava on Tuesday.",
    )
    assert "Mount Orsal" in found and "Pellara" in " ".join(found)
    story = fold(
        "Mount Orsal erupts on Pellara island. "
        "Thousands flee as the volcano began spewing ash and lava on Tuesday."
    )
    for phrase in found:
        words = fold(phrase).split()
        assert 1 <= len(words) <= 5 and words[-1] not in FUNCTION_WORDS and words[0] not in FUNCTION_WORDS
        assert fold(phrase) in story
    assert not any(fold(p).endswith(("erupts", "flee")) for p in found)  # verbs are not subjects


def test_a_section_label_a_split_phrase_and_a_headline_verb_are_not_subjects():
    """What the blind raters rejected: "Football" for a story about a club's coach, "record in
    Calgary" (two pieces), "Finland wins world" (the headline's verb inside)."""
    found = candidates("Ice hockey: Finland wins world championship in Prague", "")
    assert "world championship" in found and "Finland" in " ".join(found)
    assert not {"Ice hockey", "hockey", "wins world championship", "championship in Prague"} & set(found)
    skater = candidates("Skating: Speed skater breaks 500m world record in Calgary", "")
    assert "world record" in skater and "record in Calgary" not in skater and "Skating" not in skater
    # A plural at a phrase's end may be spelt like a verb: it stays ("heart attacks").
    assert "heart attacks" in candidates("Dog owners live longer after heart attacks, study finds", "")
    assert "Bank of England" in candidates("Bank of England holds rates", "")
    assert "Mozart" in candidates("Mozart: lost symphony found in Vienna attic", "")  # a name, no section


def test_a_phrase_that_stops_inside_a_name_is_not_a_subject():
    """Round C's raters rejected every "Iranian director Reza" (YAKE's three words ending on a
    name's first word); the whole name stays."""
    found = candidates(
        "Film: Iranian director wins Cannes jury prize",
        "Iranian director Reza Karimi won the Jury Prize at Cannes.",
    )
    assert "Reza Karimi" in found and "Iranian director Reza" not in found
    assert "Bank of England" in candidates("Bank of England holds rates", "")


def test_the_candidates_keep_what_the_blind_raters_accepted_and_drop_some_they_rejected():
    """The committed blind ratings (docs/evaluation/blind-ratings-2026-12-03.jsonl): the guided arms'
    answers, each marked by a rater "names the story" or not. Measured when the rules were written:
    178 of 180 accepted answers stay candidates, 13 of 70 rejected ones are dropped."""
    rated = ROOT / "docs" / "evaluation" / "blind-ratings-2026-12-03.jsonl"
    rows = [json.loads(line) for line in rated.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if not r["failure"] and r["arm"] in ("guided", "tuned")]

    def allowed(r: dict) -> bool:
        return fold(r["answer"]) in {fold(c) for c in candidates(r["title"], r["summary"])}

    accepted = [allowed(r) for r in rows if r["mark_answer"]]
    rejected = [allowed(r) for r in rows if not r["mark_answer"]]
    assert sum(accepted) >= 0.98 * len(accepted)
    assert len(rejected) - sum(rejected) >= 10


def test_a_story_with_nothing_to_name_has_no_candidates():
    assert candidates("", "") == ()
    assert candidates("It is what it is", "") == ()


@pytest.fixture
def riddler(scripted_gguf):
    riddler, model = open_riddler(
        ModelChoice(scripted_gguf, "", "scripted", "tiny", "base"),
        LocalSettings(n_ctx=8192, idle_unload_s=None),
        Sampling(temperature=0.0),
    )
    yield riddler
    model.close()


def test_guided_the_answer_is_always_one_of_the_story_candidates(riddler, tmp_path):
    """The scripted model would answer "lantern" whatever the story; guided, token by token, it can
    only spell one of the story's candidates and end the line at a whole one."""
    articles = sample_articles()[:6]
    store = Store(tmp_path / "h.db")
    run = riddle_articles_batched(store, articles, riddler)
    assert len(run.stored) == len(articles) and not run.failed
    for stored in run.stored:
        assert stored.riddle.answer in candidates(stored.article.title, stored.article.summary)
        assert stored.provenance.road == "guided"
    kept = store.riddle(run.stored[0].id)
    assert kept.provenance.road == "guided" and kept.provenance.quality == run.stored[0].provenance.quality


def test_a_story_with_no_usable_candidate_is_refused_in_words(riddler, tmp_path):
    empty = Article(
        title="It is what it is",
        link="https://example.org/x",
        source="Example",
        published=datetime(2026, 12, 1, tzinfo=UTC),
        summary="",
    )
    with pytest.raises(GenerationError, match="names nothing a riddle could be about"):
        riddler.riddle(empty)
    run = riddle_articles_batched(Store(tmp_path / "h.db"), [empty, sample_articles()[0]], riddler)
    assert len(run.stored) == 1 and "names nothing" in run.failed[0][1]

"""The story's subject candidates (YAKE) and the guided answer that may only be one of them."""

from datetime import UTC, datetime

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

"""Guided, field-by-field generation (engine.guided): the state machine on its own, then with real
llama.cpp running the scripted synthetic model, whose first choice after every ":" is the answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.articles import Article
from engine.guided import GUIDED_FIELDS, GuidedRiddle
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.pipelines import FewShotPipeline, ServicePipeline
from engine.riddles import leaks, may_leak, parse_riddle
from engine.riddling import ModelIdentity, Riddler, labelled
from engine.samples import sample_articles
from tests.support.synthetic_gguf import SCRIPT_ANSWER

# A story about a lantern: the scripted model's own answer is its subject, so the leak guard can be
# watched on its own (subjects=False) while the quality checks still pass the riddle.
LANTERN = Article(
    title="Harbour lantern shines again after restoration",
    link="https://example.org/lantern",
    source="Example",
    published=datetime(2026, 12, 1, tzinfo=UTC),
    summary="Volunteers restored the old harbour lantern, which guides fishing boats home.",
)


def feed(guide: GuidedRiddle, pieces: list[str]) -> list[str]:
    """Offer each piece; returns the refused ones (as the decoding loop would mask and redraw)."""
    refused = []
    for piece in pieces:
        if guide.allows(piece):
            guide.take(piece)
        else:
            refused.append(piece)
    return refused


def test_fields_come_in_order_with_our_labels_and_read_back_as_a_valid_riddle():
    guide = GuidedRiddle()
    steps = [
        guide.take(p)
        for p in [" light", "house", "\n", " I wink", " at ships.\n", " Tall.\n", " A lamp", "\n"]
    ]
    assert steps[2] == (False, "\nRiddle:") and steps[4] == (False, " at ships.\nHint 1:")
    feed(guide, [" easy"])
    assert guide.finished and not guide.failure
    text = guide.text()
    assert text == " lighthouse\nRiddle: I wink at ships.\nHint 1: Tall.\nHint 2: A lamp\nDifficulty: easy"
    riddle = parse_riddle(labelled("Answer:", text))
    assert (riddle.answer, riddle.text, riddle.hints, riddle.difficulty) == (
        "lighthouse",
        "I wink at ships.",
        ("Tall.", "A lamp"),
        "easy",
    )


@pytest.mark.parametrize("piece", [" lantern", " Lantern", " LANTERNS", "lantern", " lanterns,", " lan"])
def test_the_answer_its_capitals_and_inflections_are_refused_in_the_riddle(piece: str):
    guide = GuidedRiddle()
    feed(guide, [" lantern", "\n", " I glow"])
    refused = feed(guide, [piece, "tern"] if piece == " lan" else [piece])
    assert refused  # " lan" is allowed (it may become "land"), "tern" after it is not
    assert "lantern" not in guide.text().lower().split("riddle:")[1]


def test_hints_are_guarded_too_and_other_words_pass():
    guide = GuidedRiddle()
    feed(guide, [" honey", "bees", "\n", " We hum.\n"])
    assert feed(guide, [" A", " honeybee", " hive", " of", " Honeybees", " bees", "\n"]) == [
        " honeybee",
        " Honeybees",
    ]
    assert guide.values[2] == " A hive of bees"


def test_a_hint_may_not_end_as_a_copy_of_the_riddle_or_the_first_hint():
    guide = GuidedRiddle()
    feed(guide, [" comet", "\n", " I streak by.\n", " I streak", " by", "."])
    assert not guide.allows("\n") and guide.allows(" Look up.\n")
    feed(guide, [" Look up.\n", " i", " STREAK", " by.", " look", " UP", "!"])  # same words, other case
    assert guide.values[2] == " I streak by. Look up."
    assert not guide.allows("\n") and guide.allows(" At night.\n")


def test_no_field_may_be_empty_and_the_answer_stays_short():
    guide = GuidedRiddle()
    assert not guide.allows("\n") and not guide.allows("  \n")
    assert feed(guide, [" one", " two", " three", " four", " five", " six", " seven"]) == [" six", " seven"]
    assert guide.allows("\n")


def test_difficulty_takes_only_a_level():
    guide = GuidedRiddle()
    feed(guide, [" comet", "\n", " I streak.\n", " Icy.\n", " A tail.\n"])
    assert guide.current.label == "Difficulty"
    assert feed(guide, [" very", " tricky", "\n", " med", "\n", "ium"]) == [" very", " tricky", "\n", "\n"]
    assert guide.finished and guide.values[4] == " medium"


def test_a_field_that_never_ends_stops_the_attempt_with_a_reason():
    guide = GuidedRiddle()
    feed(guide, [" comet", "\n"])
    feed(guide, [" on"] * GUIDED_FIELDS[1].max_tokens)
    assert guide.finished and guide.failure == f"runaway riddle cut at {GUIDED_FIELDS[1].max_tokens} tokens"


_WORDS = st.sampled_from(
    [
        "lantern",
        "Lanterns",
        "lan",
        "tern",
        "berry",
        "berries",
        "moon",
        "the",
        " ",
        "  ",
        ".",
        "\x07",
        "landing",
        "glow",
        "ies",
        "s",
        "ing",
        "ed",
        "é",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    answer=st.sampled_from(["lantern", "berry", "the Moon", "AI", "solid-state batteries"]),
    pieces=st.lists(_WORDS, max_size=12),
)
def test_text_that_may_not_leak_never_leaks_once_finished(answer: str, pieces: list[str]):
    """What guided generation guarantees: every text it lets through passes validation's leak check,
    read the way validation reads a field."""
    text = "".join(pieces)
    if not may_leak(answer, text):
        assert not leaks(answer, " ".join(text.replace("\x07", " ").split()))
    if leaks(answer, text):
        assert may_leak(answer, text)


# -- with real llama.cpp -------------------------------------------------------------------------------
@pytest.fixture
def scripted(scripted_gguf):
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=8192, idle_unload_s=None))
    yield model
    model.close()


GREEDY = Sampling(temperature=0.0, seed=3)


def test_guided_riddles_never_say_the_answer_the_model_would_say(scripted):
    """The scripted model's first choice after any ':' is "lantern". A free completion after "Riddle:"
    says it; guided, the riddle and hints are drawn from its next choices instead."""
    pipeline = FewShotPipeline(shots=1)
    prompt = pipeline.prompt(sample_articles()[0])
    free = scripted.complete(prompt.text + " lantern\nRiddle:", GREEDY)
    assert free.text.startswith(" lantern")  # what the model prefers to write in the riddle
    pieces: list[str] = []
    # subjects=False: the leak guard alone, on the scripted model's own answer ("lantern").
    riddle, provenance = Riddler(
        scripted, pipeline, ModelIdentity("s", "", "tiny"), GREEDY, subjects=False
    ).riddle(LANTERN, on_text=pieces.append)
    assert riddle.answer == SCRIPT_ANSWER and provenance.attempts == 1
    assert riddle.text == "I glow in the window when the nights grow long."
    # A hint may not end as a copy of the riddle or the first hint: the model goes on to its next choices.
    assert riddle.hints == (
        riddle.text + " It holds a flame.",
        riddle.text + " It holds a flame. Sailors hang one by the door.",
    )
    assert not leaks(riddle.answer, riddle.text) and not any(leaks(riddle.answer, h) for h in riddle.hints)
    assert riddle.difficulty == "easy"  # its third choice: the only one a difficulty allows
    streamed = "".join(pieces)
    assert (
        streamed.startswith(" lantern\nRiddle: I glow")
        and parse_riddle(labelled("Answer:", streamed)) == riddle
    )


def test_the_kept_cache_reuses_the_prefix_on_the_next_call(scripted):
    pipeline = FewShotPipeline(shots=1)
    riddler = Riddler(scripted, pipeline, ModelIdentity("s", "", "tiny"), GREEDY)
    done = []
    original = scripted.call

    def recording(target, request, on_event=None, cancel=None):  # noqa: ANN001, ANN202
        reply = original(target, request, on_event, cancel)
        done.append(reply)
        return reply

    scripted.call = recording
    for article in sample_articles()[:3]:
        riddler.riddle(article)
    shared = len(pipeline.prefix)  # one byte token per character in this vocabulary: a lower bound
    assert done[0]["prefix_reused"] == 0 and all(d["prefix_reused"] >= shared for d in done[1:3])


def test_a_service_prompt_is_never_guided_and_a_local_one_is(scripted):
    article = sample_articles()[0]
    identity = ModelIdentity("s", "", "tiny")
    assert not Riddler(scripted, ServicePipeline(), identity).guides(ServicePipeline().prompt(article))
    assert Riddler(scripted, FewShotPipeline(shots=1), identity).guides(
        FewShotPipeline(shots=1).prompt(article)
    )
    assert not Riddler(scripted, FewShotPipeline(shots=1), identity, guided=False).job(article).guided


def test_a_grammar_in_the_settings_does_not_bind_a_guided_riddle(scripted):
    """LABELLED_GRAMMAR describes a whole riddle-first completion; guided fields are shaped by the guide."""
    from dataclasses import replace

    from engine.riddles import LABELLED_GRAMMAR

    sampling = replace(GREEDY, grammar=LABELLED_GRAMMAR)
    riddle, _ = Riddler(
        scripted,
        FewShotPipeline(shots=1),
        ModelIdentity("s", "", "tiny"),
        sampling,
        max_attempts=1,
        subjects=False,
    ).riddle(LANTERN)
    assert riddle.answer == SCRIPT_ANSWER and riddle.text == "I glow in the window when the nights grow long."

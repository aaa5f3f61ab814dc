"""Per-riddle measures and the solver's choice logic on hand-made cases (no model needed)."""

import random

import pytest

from engine.evaluate.metrics import grounding, measure, measure_output, reading_ease
from engine.evaluate.solver import CHANCE, headline_scores, pick, rotated, solver_prompt
from engine.riddles import Riddle

ARTICLE = (
    "Historic lighthouse on Gannet Point shines again. Volunteers restored the 150-year-old lighthouse "
    "and its lamp now guides fishing boats along the rocky coast."
)
GOOD = Riddle(
    "I stand on the rocks and wink one bright eye at the boats all night.",
    "lighthouse",
    ("It keeps sailors safe.", "A tall tower with a lamp."),
    "easy",
)


def test_a_clean_grounded_riddle_scores_well():
    m = measure(GOOD, ARTICLE)
    assert m.valid and m.reason == ""
    assert not m.leaked
    assert m.grounded and m.grounding == 1.0
    assert m.words == 15 and m.chars == len(GOOD.text)
    assert 60 < m.readability <= 121


def test_a_leaking_riddle_is_caught_in_the_text_and_in_a_hint():
    in_text = Riddle("This lighthouse winks at boats.", "lighthouse", GOOD.hints)
    in_hint = Riddle(GOOD.text, "the lamp tower", ("It has a lamp.", "Tall."))
    for riddle in (in_text, in_hint):
        m = measure(riddle, ARTICLE)
        assert m.leaked and not m.valid and "leaked" in m.reason


def test_an_answer_the_article_does_not_support_is_ungrounded():
    m = measure(Riddle(GOOD.text, "volcano", GOOD.hints), ARTICLE)
    assert m.valid and not m.grounded and m.grounding == 0.0
    assert grounding("fishing volcano", ARTICLE) == 0.5  # half of its key words are in the article
    assert grounding("", ARTICLE) == 0.0


def test_output_without_labels_is_invalid_but_still_measured():
    riddle, m = measure_output("Riddle: I glow.\nAnswer: lamp", ARTICLE)
    assert riddle.text == "I glow." and riddle.answer == "lamp"
    assert not m.valid and m.reason == "fewer than two hints"
    assert m.grounded  # "lamp" is in the article


def test_reading_ease_orders_plain_over_dense_text():
    plain = reading_ease("The cat sat on the mat. It was warm.")
    dense = reading_ease("Multidimensional institutionalisation necessitates comprehensive reconsideration.")
    assert plain > 80 > 0 > dense
    assert reading_ease("") == 0.0


def test_a_perfectly_solvable_riddle_is_always_traced_to_its_headline():
    # The solver is sure (log-probability ~0 for the right digit) in every rotation.
    options = ("A", "B", "C", "D")
    answer = 2
    per_rotation = []
    for shift in range(4):
        shown = rotated(options, shift)
        per_rotation.append([0.0 if title == options[answer] else -9.0 for title in shown])
    scores = headline_scores(per_rotation)
    assert all(pick(scores, random.Random(seed)) == answer for seed in range(50))


def test_position_bias_cancels_out_over_rotations():
    # A solver that always prefers slot 1 prefers every headline equally once rotated: no free wins.
    per_rotation = [[-0.1, -3.0, -3.0, -3.0] for _ in range(4)]
    scores = headline_scores(per_rotation)
    assert max(scores) - min(scores) < 1e-9


def test_a_solver_that_cannot_tell_options_apart_is_at_chance():
    hits = sum(pick(headline_scores([None] * 4), random.Random(seed)) == 1 for seed in range(4000))
    assert hits / 4000 == pytest.approx(CHANCE, abs=0.03)


def test_the_solver_prompt_numbers_every_headline_and_ends_at_the_answer():
    prompt = solver_prompt("I glow.", ("one", "two", "three", "four"))
    assert "Riddle: I glow." in prompt and "\n3. three\n" in prompt
    assert prompt.endswith("Answer:")

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.answers import Verdict, allowed_typos, edit_distance, judge, normalise


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("moon", "the Moon"),  # article and case
        ("The MOON", "moon"),
        ("zurich", "Zürich"),  # accents
        ("Les Miserables", "Les Misérables"),
        ("eifel tower", "the Eiffel Tower"),  # one missing letter
        ("Eiffel Towre", "Eiffel Tower"),  # two letters swapped
        ("new-york", "New York"),  # punctuation
        ("newyork", "New York"),  # spacing
        ("salt & pepper", "salt and pepper"),
        ("  mars. ", "Mars"),
        ("el nino", "El Niño"),
    ],
)
def test_right_guesses(guess, answer):
    assert judge(guess, answer) is Verdict.RIGHT


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("cat", "bat"),  # short answers must be exact
        ("venus", "Mars"),
        ("", "Mars"),
        ("the", "the Moon"),
        ("hard", "Die Hard"),  # "die" is not dropped as an article
        ("eiffel tower paris france", "Eiffel Tower"),
    ],
)
def test_wrong_guesses(guess, answer):
    assert judge(guess, answer) is not Verdict.RIGHT


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("eiffel", "the Eiffel Tower"),
        ("macron", "Emmanuel Macron"),
        ("the olympic flame", "Olympic Games"),
    ],
)
def test_part_of_the_answer_is_close(guess, answer):
    assert judge(guess, answer) is Verdict.CLOSE


def test_normalise_drops_only_a_leading_article():
    assert normalise("The  Hague!") == "hague"
    assert normalise("Gone with the Wind") == "gone with the wind"
    assert normalise("The") == "the"  # a lone word is kept


def test_typo_budget_grows_with_length():
    assert [allowed_typos(n) for n in (1, 3, 4, 7, 8, 20)] == [0, 0, 1, 1, 2, 2]


@given(st.text(max_size=12), st.text(max_size=12))
def test_edit_distance_is_symmetric_and_bounded(a, b):
    limit = 3
    d = edit_distance(a, b, limit)
    assert d == edit_distance(b, a, limit)
    assert 0 <= d <= limit + 1
    assert (d == 0) == (a == b)


@given(st.text(min_size=1, max_size=30))
def test_a_guess_equal_to_the_answer_is_always_right(answer):
    if normalise(answer):
        assert judge(answer, answer) is Verdict.RIGHT


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("solid state battery", "solid-state batteries"),  # hyphen, space and plural at once
        ("solid-state batteries", "solid state battery"),
        ("solidstate battery", "solid-state batteries"),
        ("wolf", "wolves"),  # irregular plurals, both ways
        ("wolves", "the wolf"),
        ("mouse", "mice"),
        ("mice", "a mouse"),
        ("geese", "goose"),
        ("knife", "knives"),
        ("city", "cities"),  # -ies
        ("strawberries", "strawberry"),
        ("battery", "Batteries"),
        ("tower eiffel", "the Eiffel Tower"),  # word order
        ("rates interest", "interest rates"),
        ("electric car", "electric cars"),
    ],
)
def test_a_person_would_count_these(guess, answer):
    assert judge(guess, answer) is Verdict.RIGHT


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("solid state battery", "solid-state batteries"),
        ("wolf", "wolves"),
        ("interest rates", "interest rate"),
    ],
)
def test_the_whole_answer_is_never_only_close(guess, answer):
    assert judge(guess, answer) is not Verdict.CLOSE


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("good", "better"),  # adjectives' lemmas do not make one word of two
        ("battery", "solid-state batteries"),  # part of it is close, not right
        ("solid", "solid-state batteries"),
    ],
)
def test_still_not_right(guess, answer):
    assert judge(guess, answer) is not Verdict.RIGHT


def test_part_of_an_inflected_answer_is_close():
    assert judge("battery", "solid-state batteries") is Verdict.CLOSE
    assert judge("wolf", "grey wolves") is Verdict.CLOSE

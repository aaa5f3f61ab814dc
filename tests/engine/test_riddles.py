import pytest

from engine.riddles import RiddleRejected, leaks, parse_riddle

GOOD = """Riddle: I climb when prices run too fast, a lever pulled by careful hands.
Answer: interest rates
Hint 1: Banks decide it.
Hint 2: Borrowers groan when it goes up.
Difficulty: medium"""


def test_parses_the_labelled_format():
    riddle = parse_riddle(GOOD)
    assert riddle.answer == "interest rates"
    assert riddle.hints == ("Banks decide it.", "Borrowers groan when it goes up.")
    assert riddle.difficulty == "medium"
    assert riddle.text.startswith("I climb")


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("", "no riddle text"),
        ("Riddle: something\n", "no answer"),
        ("Riddle: I hold the rates of interest.\nAnswer: interest rates\nHint 1: a\nHint 2: b", "leaked"),
        ("Riddle: A thing.\nAnswer: comet\nHint 1: A comet tail.\nHint 2: b", "leaked into a hint"),
        ("Riddle: A thing.\nAnswer: comet\nHint 1: one", "fewer than two hints"),
        ("Riddle: " + "word " * 200 + "\nAnswer: x\nHint 1: a\nHint 2: b", "too long"),
    ],
)
def test_rejects_unusable_output(output, reason):
    with pytest.raises(RiddleRejected) as caught:
        parse_riddle(output)
    assert reason in caught.value.reason


def test_leak_guard_sees_inflections_case_and_accents():
    assert leaks("solar panels", "A PANEL on the roof")
    assert leaks("Café", "the cafe is open")
    assert leaks("the Moon", "moons circle")
    assert not leaks("the Moon", "the night sky has a silver lamp")


def test_control_characters_are_not_kept():
    riddle = parse_riddle("Riddle: I\x00 hum\x07 at night.\nAnswer: owl\nHint 1: a bird\nHint 2: wise")
    assert "\x00" not in riddle.text and "\x07" not in riddle.text


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ("wolves", "I hunt through the forest and see the wolf."),  # seen in a guided starter riddle
        ("wolf", "A pack of wolves howls."),
        ("horse", "Two horses ran."),
        ("trees", "The tree sways."),
        ("knife", "Sharp knives gleam."),
        ("move", "It moved at night."),
    ],
)
def test_leak_guard_sees_silent_e_and_f_v_inflections(answer: str, text: str):
    assert leaks(answer, text)


def test_leak_guard_still_lets_unrelated_words_pass():
    assert not leaks("wind farm", "It is a windy day by the sea.")
    assert not leaks("horse", "The hose sprays.") and not leaks("olive oil", "I go to the beach.")

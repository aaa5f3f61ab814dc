"""The quality checks on hand-made bad riddles and on the riddles people wrote to the rubric."""

import json
from pathlib import Path

import pytest

from engine import quality
from engine.quality import Story, judge, near, word_key
from engine.riddles import RiddleRejected, check_riddle, may_leak

NEWS = sorted(Path("resources/riddles/news").glob("*.jsonl"))
STORY = Story(
    "Volcanologists warn Mount Orsal could erupt again within weeks",
    "Scientists on Pellara island say the volcano's lava lake is rising, and villages below were told "
    "to prepare for an evacuation.",
)
GOOD = "I sleep under a crown of smoke, but my fiery heart is waking. The island's villages pack their bags."


def problems(
    answer, riddle=GOOD, hints=("It stands on Pellara island.", "Its lava lake is rising."), story=STORY
):  # noqa: ANN001, ANN201
    return judge(answer, riddle, tuple(hints), story).problems


def test_a_good_riddle_passes():
    assert problems("Mount Orsal") == ()


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("The volcano has not yet", quality.CUT_OFF),  # a cut-off sentence
        ("lava lake is rising and", quality.CUT_OFF),
        ("yes", quality.YES_NO),
        ("No", quality.YES_NO),
        ("dragon", quality.NOT_IN_STORY),  # not the story's subject
        ("villages below were told to prepare", quality.LONG_ANSWER),
    ],
)
def test_an_answer_that_does_not_name_the_story_is_caught(answer, problem):
    assert problem in problems(answer)


def test_an_answer_in_another_form_of_a_story_word_is_in_the_story():
    hints = ("It bubbles inside a mountain.", "Villages below may have to leave.")
    assert problems("lava lakes", hints=hints) == ()  # "lava lake" in the summary


@pytest.mark.parametrize(
    ("riddle", "hints", "problem"),
    [
        ("I am **hot** and I rumble.", ("a", "b"), quality.MARKUP),
        (GOOD, ("<b>Look</b> to the island", "b"), quality.MARKUP),
        (GOOD, ("It glows [here](http://x.org)", "b"), quality.MARKUP),
        (GOOD, ("Hint 1: it smokes", "b"), quality.LABEL),
        ("I rumble. Riddle: what am I?", ("a", "b"), quality.LABEL),
        ("Volcanologists warn Mount Orsal could blow.", ("a", "b"), quality.NEAR_LEAK),
        ("Experts warn I could erupt again within weeks.", ("a", "b"), quality.HEADLINE_COPY),
        ("Experts warn it could erupt again soon.", ("a", "b"), quality.HEADLINE_COPY),
    ],
)
def test_bad_riddles_are_caught(riddle, hints, problem):
    assert problem in problems("Mount Orsal", riddle, hints)


def test_near_leaks_through_the_lemma_and_stem_libraries():
    """ "volcano" for "Volcanologists": neither library alone joins them (lemmas volcano/volcanologist,
    Snowball stems volcano/volcanolog); the long shared key does. Irregular forms come from the lemma."""
    assert quality.NEAR_LEAK in problems("volcanologists", "I watch the volcano breathe.", ("a", "b"))
    assert near(word_key("wolves"), word_key("wolf")) and near(word_key("horses"), word_key("horse"))
    assert near(word_key("elections"), word_key("election")) and near(word_key("cities"), word_key("city"))
    assert not near(word_key("parish"), word_key("Paris"))  # a short shared beginning is chance
    assert may_leak("volcanologists", "I watch the volcano") and not may_leak(
        "volcanologists", "I watch the vol"
    )


def test_a_copy_of_a_few_shot_example_is_refused():
    example = "I stand tall and lonely on the rocks, winking one bright eye across the waves all night."
    story = Story(STORY.title, STORY.summary, (example,))
    copied = "I stand tall and lonely on the rocks, winking one bright eye across the sea."
    assert quality.EXAMPLE_COPY in problems("Mount Orsal", copied, story=story)
    assert quality.EXAMPLE_COPY not in problems("Mount Orsal", GOOD, story=story)


def test_check_riddle_refuses_what_the_checks_refuse_and_keeps_the_flags():
    text = (
        " Mount Orsal\nRiddle: {}\nHint 1: It stands on Pellara island.\n"
        "Hint 2: Its lava lake is rising.\nDifficulty: easy"
    )
    riddle, judged = check_riddle("Answer:", text.format(GOOD), STORY)
    assert riddle.answer == "Mount Orsal" and judged.problems == ()
    copy = "Experts warn I could erupt again within weeks."
    riddle, judged = check_riddle("Answer:", text.format(copy), STORY)
    assert judged.flags == (quality.HEADLINE_COPY,)  # flagged, stored, not refused
    with pytest.raises(RiddleRejected, match="markup"):
        check_riddle("Answer:", text.format("I am **hot**."), STORY)


def test_the_riddles_people_wrote_to_the_rubric_are_not_refused():
    """resources/riddles/news (written to docs/evaluation/rubric.md). Two of them use a word with the
    answer's stem ("merciful" for "Mercy Dawn", "built" for "apartment building"): the check is right
    and the writers were told; nothing else may be refused."""
    rows = [json.loads(line) for path in NEWS for line in path.read_text().splitlines() if line.strip()]
    assert len(rows) >= 100
    refused = []
    for row in rows:
        judged = judge(row["answer"], row["riddle"], tuple(row["hints"]), Story(row["title"], row["summary"]))
        refused.extend(judged.refused)
    assert set(refused) <= {quality.NEAR_LEAK} and len(refused) <= len(rows) // 50, refused

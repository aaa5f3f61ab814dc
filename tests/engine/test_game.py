import pytest

from engine.game import Outcome, arrange_choices, day_score, points_for


def test_points_reward_free_text_and_charge_hints():
    assert points_for("text", 0) == 3
    assert points_for("text", 1) == 2
    assert points_for("text", 2) == 1
    assert points_for("choice", 0) == 1
    assert points_for("choice", 2) == 1  # a solve is always worth something
    with pytest.raises(ValueError):
        points_for("telepathy", 0)


def test_streak_counts_solves_in_a_row_and_ends_at_a_reveal_or_skip():
    outcomes = [
        Outcome("solved", 3, "2026-11-26T08:00:00.000+00:00"),
        Outcome("solved", 2, "2026-11-26T08:01:00.000+00:00"),
        Outcome("solved", 1, "2026-11-26T08:02:00.000+00:00"),
        Outcome("revealed", 0, "2026-11-26T08:03:00.000+00:00"),
        Outcome("skipped", 0, "2026-11-26T08:04:00.000+00:00"),
        Outcome("solved", 3, "2026-11-26T08:05:00.000+00:00"),
    ]
    score = day_score(list(reversed(outcomes)))  # the order played, not the order given
    assert (score.points, score.solved, score.revealed, score.skipped) == (9, 4, 1, 1)
    assert (score.streak, score.best_streak) == (1, 3)
    assert day_score([]).points == 0 and day_score([]).streak == 0


def test_choices_hold_the_headline_and_stay_put_for_a_riddle():
    others = ["B", "C", "D", "E", "F", "A", "B"]
    first = arrange_choices("A", others, seed=7)
    assert len(first) == 4 and "A" in first and len(set(first)) == 4
    assert arrange_choices("A", others, seed=7) == first
    assert {arrange_choices("A", others, seed=s).index("A") for s in range(40)} == {0, 1, 2, 3}
    assert arrange_choices("A", ["A", ""], seed=1) == ("A",)

"""The A/B on held-out news, with real llama.cpp on the scripted GGUF (it always writes one valid
riddle): every arm is measured, valid riddles go to the solver with the other held-out headlines as
distractors, and the solvability count is what the solver itself picks for those same options."""

from engine.pipelines import FewShotPipeline
from engine.tuning.ab import Arm, run_ab
from engine.tuning.data import HeldOutItem
from engine.tuning.format import adapter_pipeline
from tests.support.synthetic_gguf import SCRIPT_ANSWER

ITEMS = [
    HeldOutItem("Lantern festival lights the old town", "Paper lanterns everywhere.", "lantern"),
    HeldOutItem("Council raises parking charges", "Fees up by a fifth.", "parking"),
    HeldOutItem("Rail line reopens after floods", "Trains run again.", "railway"),
    HeldOutItem("School lunch menu goes vegetarian", "Meat twice a week.", "menu"),
    HeldOutItem("Harbour dredging begins", "Deeper channel for ferries.", "harbour"),
]
ARMS = [Arm("few-shot", False, FewShotPipeline()), Arm("no examples", False, adapter_pipeline())]


def test_ab_measures_validity_speed_and_solvability_per_arm(scripted_gguf):
    result = run_ab(scripted_gguf, scripted_gguf, ITEMS, ARMS, n_ctx=8192)
    assert result.solver == scripted_gguf.name
    for arm in result.arms:
        assert (arm.items, arm.valid, arm.leaked) == (5, 5, 0)
        # Riddled as the reader riddles: the answer is a subject of each story (engine.subjects), so
        # the scripted model's "lantern" gives way; at least the lantern story's answer is on target.
        assert 1 <= arm.on_target <= 5
        assert 0 <= arm.solved <= arm.valid
        assert arm.first_token_s > 0 and arm.tokens_per_s > 0
    few_shot, short = result.arms
    assert short.prompt_tokens < few_shot.prompt_tokens  # dropping the examples shortens the prompt
    assert SCRIPT_ANSWER == "lantern"


def test_ab_without_the_solver_counts_no_solves(scripted_gguf):
    result = run_ab(scripted_gguf, scripted_gguf, ITEMS[:2], ARMS, n_ctx=8192, solve=False)
    assert result.solver == "" and all(arm.solved == 0 and arm.valid == 2 for arm in result.arms)

"""The A/B on held-out news, with real llama.cpp on the scripted GGUF (it always writes one valid
riddle): every arm is measured, valid riddles go to the solver with the other held-out headlines as
distractors, and the solvability count is what the solver itself picks for those same options."""

from engine.evaluate.articleset import freeze
from engine.evaluate.solver import Solver
from engine.inference.local import LocalSettings
from engine.pipelines import FewShotPipeline
from engine.riddles import fold
from engine.tuning.ab import Arm, run_ab
from engine.tuning.data import HeldOutItem
from engine.tuning.format import adapter_pipeline, article_for
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
    options = {
        fold(a.title): a for a in freeze([article_for(i.title, i.summary) for i in ITEMS], len(ITEMS), 7)
    }
    judge = Solver(scripted_gguf, LocalSettings(n_ctx=8192, idle_unload_s=None))
    try:
        riddle = "I glow in the window when the nights grow long."
        expected = sum(
            judge.choose(riddle, options[fold(i.title)], 7) == options[fold(i.title)].answer_index
            for i in ITEMS
        )
    finally:
        judge.close()
    for arm in result.arms:
        assert (arm.items, arm.valid, arm.leaked) == (5, 5, 0)
        assert arm.on_target == 1  # only the lantern story's reference answer is the riddle's answer
        assert arm.solved == expected
        assert arm.first_token_s > 0 and arm.tokens_per_s > 0
    few_shot, short = result.arms
    assert short.prompt_tokens < few_shot.prompt_tokens  # dropping the examples shortens the prompt
    assert SCRIPT_ANSWER == "lantern"


def test_ab_without_the_solver_counts_no_solves(scripted_gguf):
    result = run_ab(scripted_gguf, scripted_gguf, ITEMS[:2], ARMS, n_ctx=8192, solve=False)
    assert result.solver == "" and all(arm.solved == 0 and arm.valid == 2 for arm in result.arms)

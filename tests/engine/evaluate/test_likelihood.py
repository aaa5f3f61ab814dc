"""The log-likelihood solver. On the scripted model the scores are known: after any token its only
likely next token is " lantern" (logit 1071.6 against 0), so every headline token costs -1071.6 and
all four headlines tie, which the seeded coin breaks; each score also equals llama-cpp-python's own
per-token log-probabilities, computed independently here. On the real starter model a plain riddle
about one headline picks that headline."""

import math
import random

import llama_cpp
import numpy as np

from engine.evaluate.articleset import FrozenArticle
from engine.evaluate.likelihood import LikelihoodSolver, pick, solver_context, too_weak
from engine.inference.backends import ensure_loaded
from engine.inference.local import LocalSettings

HEADLINES = ("Dam opens after ten years", "Comet lights up the night sky", "Bees return", "Rates rise")
SETTINGS = LocalSettings(n_ctx=1024, idle_unload_s=None)


def _reference(path, context: str, headline: str) -> float:  # noqa: ANN001
    ensure_loaded()
    llm = llama_cpp.Llama(str(path), n_ctx=1024, logits_all=True, verbose=False)
    ctx = llm.tokenize(context.encode(), add_bos=True, special=False)
    whole = llm.tokenize((context + headline).encode(), add_bos=True, special=False)
    llm.eval(whole)
    scores = np.array(llm.scores[: len(whole)], dtype=np.float64)
    total = 0.0
    for position in range(len(ctx), len(whole)):
        row = scores[position - 1]
        top = row.max()
        total += row[whole[position]] - top - math.log(np.exp(row - top).sum())
    llm.close()
    return total / (len(whole) - len(ctx))


def _article(headlines: tuple[str, ...], index: int) -> FrozenArticle:
    return FrozenArticle(3, headlines[index], "", "", "", "2026-12-03", headlines, index)


def test_scores_on_the_scripted_model_are_the_known_ones(scripted_gguf):
    hints = ("It glows.", "Sailors use it.")
    solver = LikelihoodSolver(scripted_gguf, SETTINGS)
    try:
        scores = solver.scores("I glow in the window.", hints, HEADLINES)
        picks = {
            solver.choose("I glow in the window.", _article(HEADLINES, 1), 7, hints=hints) for _ in range(2)
        }
    finally:
        solver.close()
    assert all(math.isclose(s, -1071.5995, abs_tol=1e-2) for s in scores)  # the logit gap, per token
    context = solver_context("I glow in the window.", hints)
    for headline, score in zip(HEADLINES, scores, strict=True):
        assert math.isclose(score, _reference(scripted_gguf, context, f" {headline}"), abs_tol=1e-3)
    assert picks == {pick(scores, random.Random(7 * 7919 + 3))}  # a tie: the seeded coin, every time


def test_a_solver_near_chance_on_hand_written_riddles_is_too_weak_to_show():
    assert too_weak(0.30) and too_weak(0.35) and not too_weak(0.57)


def test_pick_takes_the_best_mean_and_skips_unscored_headlines():
    assert pick([-3.0, -1.0, None, -2.0], random.Random(0)) == 1
    assert pick([None, None, None, -9.0], random.Random(0)) == 3


def test_the_starter_picks_the_headline_a_plain_riddle_describes(starter_gguf):
    solver = LikelihoodSolver(starter_gguf, SETTINGS)
    try:
        riddle = "I am a ball of ice and dust with a long glowing tail, crossing the dark sky at night."
        choice = solver.choose(riddle, _article(HEADLINES, 1), 7, hints=("Astronomers watch me.", "A comet."))
    finally:
        solver.close()
    assert choice == 1

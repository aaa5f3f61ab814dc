"""The A/B check of a tuned adapter on the held-out news (never trained on): the base model with its
few-shot prompt against base + adapter, with the short (instruction-only) prompt the adapter was
trained for and, optionally, with the few-shot prompt too. One attempt per item and arm, the same
seed for every arm, so the arms differ only in model and prompt. Each valid riddle is also shown
to a solver (engine.evaluate.solver: the base model by default) with three other held-out headlines:
solvability is the share it places on the right story. Rates come with 95% Wilson intervals; the
verdict rests on the interval of the difference in validity (Newcombe)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from engine.errors import GenerationError
from engine.evaluate.articleset import OPTIONS, FrozenArticle, freeze
from engine.evaluate.solver import Solver
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.pipelines import FewShotPipeline, Pipeline
from engine.progress import CancelToken, Progress, ProgressCallback
from engine.quality import word_key
from engine.riddles import fold, key_words
from engine.riddling import ModelIdentity, Riddler
from engine.tuning.data import HeldOutItem
from engine.tuning.format import adapter_pipeline, article_for

AB_SAMPLING = Sampling()  # the app's defaults (engine.inference.Sampling), so the A/B measures what users get


@dataclass(frozen=True)
class Arm:
    name: str
    adapter: bool
    pipeline: Pipeline


@dataclass(frozen=True)
class ArmResult:
    name: str
    items: int
    valid: int
    leaked: int
    on_target: int  # valid, and its answer names the held-out story's reference subject
    first_token_s: float  # medians over items
    tokens_per_s: float
    latency_s: float
    prompt_tokens: float
    cold_first_token_s: float  # the first item: nothing cached yet, the whole prompt is evaluated
    solved: int = 0  # valid, and the solver picked this story's headline among four

    def rate(self, count: int) -> tuple[float, float, float]:
        return (count / self.items if self.items else 0.0, *wilson(count, self.items))


@dataclass(frozen=True)
class ABResult:
    arms: tuple[ArmResult, ...]
    validity_difference: tuple[float, float, float]  # adapter (short prompt) minus base: estimate, low, high
    verdict: str
    solver: str = ""  # the solver model's file name; "" when there was no solvability check


def default_arms(with_adapter_few_shot: bool = True) -> list[Arm]:
    few_shot = FewShotPipeline()
    arms = [Arm("base few-shot", False, few_shot), Arm("adapter, no examples", True, adapter_pipeline())]
    if with_adapter_few_shot:
        arms.append(Arm("adapter few-shot", True, few_shot))
    return arms


def run_ab(
    base: Path,
    adapter: Path,
    items: list[HeldOutItem],
    arms: list[Arm] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    n_ctx: int = 2048,
    solver: Path | None = None,
    solve: bool = True,
) -> ABResult:
    """`solver`: the model that judges solvability (default: the base itself, the one model every
    user has); solve=False skips that check."""
    arms = arms or default_arms()
    report = progress or (lambda _p: None)
    judge = (
        Solver(solver or base, LocalSettings(n_ctx=n_ctx, idle_unload_s=None))
        if solve and len(items) >= OPTIONS
        else None
    )
    options = (
        {fold(a.title): a for a in freeze([article_for(i.title, i.summary) for i in items], len(items), 7)}
        if judge is not None
        else {}
    )
    results = []
    try:
        for number, arm in enumerate(arms):
            settings = LocalSettings(
                n_ctx=n_ctx, lora_path=str(adapter) if arm.adapter else None, idle_unload_s=None
            )
            model = LocalModel(base, settings)
            try:
                results.append(
                    _run_arm(
                        model,
                        arm,
                        items,
                        number * len(items),
                        len(arms) * len(items),
                        report,
                        cancel,
                        judge,
                        options,
                    )
                )
            finally:
                model.close()
    finally:
        if judge is not None:
            judge.close()
    return _verdict(tuple(results), judge.path.name if judge is not None else "")


def _run_arm(model, arm, items, done_before, total, report, cancel, judge=None, options=None) -> ArmResult:  # noqa: ANN001
    """Each held-out item riddled as the reader riddles it (the Riddler: guided for a local model,
    the story's subject as the answer, the same checks and retries), seeded per item."""
    valid = leaked = on_target = solved = 0
    first, speed, latency, prompt_tokens = [], [], [], []
    riddler = Riddler(model, arm.pipeline, ModelIdentity(model.path.name, "", "ab"), AB_SAMPLING)
    for index, item in enumerate(items):
        if cancel is not None:
            cancel.raise_if_cancelled()
        riddler.sampling = replace(AB_SAMPLING, seed=1000 + index)
        try:
            riddle, _ = riddler.riddle(article_for(item.title, item.summary), cancel=cancel)
        except GenerationError as error:
            riddle = None
            leaked += "leak" in error.sentence
        completion = riddler.last
        first.append(completion.first_token_s if completion else 0.0)
        latency.append(completion.latency_s if completion else 0.0)
        speed.append(completion.tokens_per_s if completion else 0.0)
        prompt_tokens.append(completion.prompt_tokens if completion else 0)
        if riddle is not None:
            valid += 1
            on_target += names_subject(riddle.answer, item.answer)
            solved += judge is not None and _solves(judge, riddle.text, options[fold(item.title)], cancel)
        report(
            Progress("evaluating", done_before + index + 1, total, f"{arm.name}: {index + 1} of {len(items)}")
        )
    median = statistics.median
    return ArmResult(
        arm.name,
        len(items),
        valid,
        leaked,
        on_target,
        median(first),
        median(speed),
        median(latency),
        median(prompt_tokens),
        first[0],
        solved,
    )


def _solves(judge: Solver, riddle: str, article: FrozenArticle, cancel: CancelToken | None) -> bool:
    return judge.choose(riddle, article, 7, cancel) == article.answer_index


def names_subject(answer: str, reference: str) -> bool:
    """A solvability proxy: the riddle's answer shares a key word (by stem) with the reference answer."""
    stems = {word_key(w) for w in key_words(reference)}
    return any(word_key(w) in stems for w in key_words(answer))


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _verdict(arms: tuple[ArmResult, ...], solver: str = "") -> ABResult:
    base, tuned = arms[0], arms[1]
    p1, l1, u1 = tuned.rate(tuned.valid)
    p2, l2, u2 = base.rate(base.valid)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    if low > 0:
        verdict = f"The adapter writes valid riddles more often than the base ({p1:.0%} against {p2:.0%})."
    elif high < 0:
        verdict = f"The adapter writes valid riddles less often than the base ({p1:.0%} against {p2:.0%})."
    else:
        verdict = (
            f"No clear difference in validity ({p1:.0%} with the adapter, {p2:.0%} without; "
            f"the difference could be anywhere from {low:+.0%} to {high:+.0%})."
        )
    return ABResult(arms, (d, low, high), verdict, solver)

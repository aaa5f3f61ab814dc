"""Solvability: a solver model reads a riddle and four numbered headlines from the same day and picks
one. The pick is the digit the model finds most likely after "Answer:", read from its logits (no
sampling, no parsing). Base models prefer some positions, so the options are shown in every rotation
and each headline's log-probabilities are summed over the rotations: position bias cancels out.
A model that cannot tell the digits apart gives equal scores and a seeded coin picks: chance level."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

from engine.evaluate.articleset import OPTIONS, FrozenArticle
from engine.inference.local import LocalModel, LocalSettings
from engine.progress import CancelToken

CHANCE = 1 / OPTIONS
_TARGET = "engine.evaluate.solver:choice_logprobs"


def solver_prompt(riddle: str, options: tuple[str, ...]) -> str:
    lines = "\n".join(f"{i}. {title}" for i, title in enumerate(options, start=1))
    return (
        "A riddle was written about one of these news headlines. Which one?\n\n"
        f"Riddle: {riddle}\n\nHeadlines:\n{lines}\n\nAnswer:"
    )


def rotated(options: tuple[str, ...], shift: int) -> tuple[str, ...]:
    return options[shift:] + options[:shift]


def pick(scores: list[float], rng: random.Random) -> int:
    """The best-scoring option; ties (within float noise) are broken by the seeded coin."""
    best = max(scores)
    tied = [i for i, s in enumerate(scores) if best - s < 1e-9]
    return tied[0] if len(tied) == 1 else rng.choice(tied)


def headline_scores(per_rotation: list[list[float] | None], options: int = OPTIONS) -> list[float]:
    """Sum each headline's digit log-probability over the rotations it was shown in. A rotation the
    model could not score (None) adds nothing to anyone."""
    totals = [0.0] * options
    for shift, logprobs in enumerate(per_rotation):
        if logprobs is None:
            continue
        for slot, value in enumerate(logprobs):
            totals[(slot + shift) % options] += value
    return totals


class Solver:
    """Asks one local model; the model stays loaded for the whole run (its own worker process)."""

    def __init__(self, path: Path | str, settings: LocalSettings | None = None, rotations: int = OPTIONS):
        self.model = LocalModel(path, settings or LocalSettings(idle_unload_s=None))
        self.rotations = max(1, min(OPTIONS, rotations))

    @property
    def path(self) -> Path:
        return self.model.path

    def choose(
        self, riddle: str, article: FrozenArticle, seed: int, cancel: CancelToken | None = None
    ) -> int:
        """The index (into article.options) of the headline the solver picks."""
        per_rotation = []
        for shift in range(self.rotations):
            prompt = solver_prompt(riddle, rotated(article.options, shift))
            done = self.model.call(
                _TARGET,
                {"prompt": prompt, "choices": [f" {i}" for i in range(1, OPTIONS + 1)]},
                cancel=cancel,
            )
            per_rotation.append(done.get("logprobs"))
        return pick(headline_scores(per_rotation), random.Random(seed * 7919 + article.position))

    def close(self) -> None:
        self.model.close()


# -- worker side: runs inside the engine worker process, next to the loaded model ---------------------
def choice_logprobs(worker: Any, request: dict[str, Any]) -> None:
    """Log-probabilities (renormalised over the choices) of each choice's first token after the prompt.
    Sends "logprobs": None when the choices do not start with distinct tokens in this vocabulary."""
    import numpy as np

    llm = worker.llm
    full = [
        llm.tokenize((request["prompt"] + c).encode("utf-8"), add_bos=True, special=False)
        for c in request["choices"]
    ]
    common = _common_prefix(full)
    firsts = [tokens[common] if len(tokens) > common else None for tokens in full]
    if common == 0 or None in firsts or len(set(firsts)) < len(firsts):
        worker.send({"event": "done", "id": request["id"], "logprobs": None})
        return
    _evaluate(llm, full[0][:common])
    logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))
    picked = [float(logits[t]) for t in firsts]
    top = max(picked)
    norm = top + math.log(sum(math.exp(v - top) for v in picked))
    worker.send({"event": "done", "id": request["id"], "logprobs": [v - norm for v in picked]})


def _evaluate(llm: Any, tokens: list[int]) -> None:
    """Decode tokens, keeping the KV cache of whatever prefix is already there (the riddle part of the
    prompt is shared by all rotations); at least the last token is always decoded, for its logits."""
    cached = list(llm.input_ids[: llm.n_tokens])
    keep = min(_common_prefix([cached, tokens]), len(tokens) - 1)
    llm.n_tokens = keep
    llm.eval(tokens[keep:])


def _common_prefix(sequences: list[list[int]]) -> int:
    length = min(len(s) for s in sequences)
    for i in range(length):
        if len({s[i] for s in sequences}) > 1:
            return i
    return length

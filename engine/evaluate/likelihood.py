"""A solver that is not noise: each of the four same-day headlines is scored by the model's
log-likelihood of the headline given the riddle and its hints, averaged per headline token (as
lm-evaluation-harness normalises multiple choice), and the best-scoring headline is the pick.

No digit to choose and no option order, so no position bias to rotate away. The scoring runs inside
the worker next to the loaded model (`LocalModel.call` of `headline_scores`): the riddle part is
decoded once (llama-cpp-python keeps it), and each headline is decoded in one batch asking for the
logits of all its tokens, then taken out of the cache again."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

from engine.evaluate.articleset import FrozenArticle
from engine.inference.local import LocalModel, LocalSettings
from engine.progress import CancelToken

_TARGET = "engine.evaluate.likelihood:headline_scores"
# Its ceiling: the share of riddles people wrote (resources/riddles) for which it picks the right one
# of four headlines, on the bundled starter (bench/solver_ceiling.py; BENCHMARKS.md). At or below
# CHANCE_BAND the solver is too weak to tell riddles apart, and its number is not shown.
# 2026-12-03, Gemma 3 270M Q4_K_M, 40 riddles drawn with seed 7: 23 right, 57% (95% CI 42-71%).
CEILING: float | None = 0.57
CHANCE_BAND = 0.35


def too_weak(ceiling: float | None = None) -> bool:
    ceiling = CEILING if ceiling is None else ceiling
    return ceiling is not None and ceiling <= CHANCE_BAND


def solver_context(riddle: str, hints: tuple[str, ...] = ()) -> str:
    lines = [f"Riddle: {riddle}"] + [f"Hint {n}: {hint}" for n, hint in enumerate(hints, start=1)]
    return "\n".join(lines) + "\nThe news headline this riddle is about:"


def pick(scores: list[float | None], rng: random.Random) -> int:
    """The best mean log-likelihood; ties (or nothing scored) go to the seeded coin."""
    known = [s if s is not None else -math.inf for s in scores]
    best = max(known)
    tied = [i for i, s in enumerate(known) if best - s < 1e-9]
    return tied[0] if len(tied) == 1 else rng.choice(tied)


class LikelihoodSolver:
    """Asks one local model, kept loaded for the whole run (its own worker process)."""

    def __init__(self, path: Path | str, settings: LocalSettings | None = None):
        self.model = LocalModel(path, settings or LocalSettings(idle_unload_s=None))

    @property
    def path(self) -> Path:
        return self.model.path

    def scores(
        self,
        riddle: str,
        hints: tuple[str, ...],
        headlines: tuple[str, ...],
        cancel: CancelToken | None = None,
    ) -> list[float | None]:
        done = self.model.call(
            _TARGET,
            {"context": solver_context(riddle, hints), "continuations": [f" {h.strip()}" for h in headlines]},
            cancel=cancel,
        )
        return list(done["scores"])

    def choose(
        self,
        riddle: str,
        article: FrozenArticle,
        seed: int,
        cancel: CancelToken | None = None,
        hints: tuple[str, ...] = (),
    ) -> int:
        """The index (into article.options) of the headline the model finds likeliest."""
        scores = self.scores(riddle, hints, article.options, cancel)
        return pick(scores, random.Random(seed * 7919 + article.position))

    def close(self) -> None:
        self.model.close()


# -- worker side: runs inside the engine worker process, next to the loaded model ---------------------
def headline_scores(worker: Any, request: dict[str, Any]) -> None:
    """Mean log-probability per token of each continuation after the context (None for one that adds
    no token of its own)."""
    import llama_cpp as lc
    import numpy as np

    llm = worker.llm
    context = llm.tokenize(request["context"].encode("utf-8"), add_bos=True, special=False)
    _decode_context(llm, context)
    memory = lc.llama_get_memory(llm._ctx.ctx)
    first_logits = np.array(
        np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)), dtype=np.float64
    )
    scores: list[float | None] = []
    for text in request["continuations"]:
        whole = llm.tokenize((request["context"] + text).encode("utf-8"), add_bos=True, special=False)
        tokens = whole[len(context) :] if whole[: len(context)] == context else []
        if not tokens:
            scores.append(None)
            continue
        rows = [first_logits] + _logits_after(llm, lc, np, tokens[:-1], len(context))
        lc.llama_memory_seq_rm(memory, 0, len(context), -1)  # the riddle stays, the headline goes
        total = sum(_log_softmax_at(np, row, token) for row, token in zip(rows, tokens, strict=True))
        scores.append(total / len(tokens))
    worker.send({"event": "done", "id": request["id"], "scores": scores})


def _decode_context(llm: Any, tokens: list[int]) -> None:
    """Decode the context, keeping whatever prefix of it the model's cache already holds (the same
    riddle scored again costs nothing); its last token is always decoded, for its logits."""
    cached = list(llm.input_ids[: llm.n_tokens])
    keep = 0
    while keep < min(len(cached), len(tokens) - 1) and cached[keep] == tokens[keep]:
        keep += 1
    llm.n_tokens = keep
    llm.eval(tokens[keep:])


def _logits_after(llm: Any, lc: Any, np: Any, tokens: list[int], start: int) -> list[Any]:
    """Decode `tokens` after position `start` in one batch, keeping every token's logits."""
    if not tokens:
        return []
    batch = lc.llama_batch_init(len(tokens), 0, 1)
    try:
        for i, token in enumerate(tokens):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, start + i, 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = True
        batch.n_tokens = len(tokens)
        if lc.llama_decode(llm._ctx.ctx, batch) != 0:
            raise RuntimeError("llama_decode failed while scoring a headline")
        n_vocab = llm.n_vocab()
        return [
            np.array(np.ctypeslib.as_array(lc.llama_get_logits_ith(llm._ctx.ctx, i), shape=(n_vocab,)))
            for i in range(len(tokens))
        ]
    finally:
        lc.llama_batch_free(batch)


def _log_softmax_at(np: Any, logits: Any, token: int) -> float:
    top = float(np.max(logits))
    return float(logits[token]) - top - math.log(float(np.sum(np.exp(logits - top))))

"""How likely a model finds each of several headlines after a riddle and its hints: the judge's
scoring, inside the worker next to the loaded model:
    LocalModel.call("engine.inference.headline_scores:run", {"context": ..., "continuations": [...]})
The riddle part is decoded once (llama-cpp-python keeps it), and each headline is decoded in one batch
asking for the logits of all its tokens, then taken out of the cache again. Asked by the likelihood
solver (engine.evaluate.likelihood) and by best of N (engine.best_of)."""

from __future__ import annotations

import math
from typing import Any


def solver_context(riddle: str, hints: tuple[str, ...] = ()) -> str:
    lines = [f"Riddle: {riddle}"] + [f"Hint {n}: {hint}" for n, hint in enumerate(hints, start=1)]
    return "\n".join(lines) + "\nThe news headline this riddle is about:"


def run(worker: Any, request: dict[str, Any]) -> None:
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

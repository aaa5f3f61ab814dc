"""How wide a batch runs and how big its KV cache is: from the hardware, the model and the prompts.

Pure arithmetic on facts the worker already has (cores, free memory, GPU offload, the model's
metadata), kept apart from the decoding loop so it can be read and tested on its own."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# On a CPU a step reads every weight once whatever the width, so extra sequences cost arithmetic but
# no extra memory traffic. Measured on 2 cores with the starter model (BENCHMARKS.md, issue 10): 16
# sequences were the fastest in every run, 2 and 4 barely beat one by one. A GPU has arithmetic to spare.
SEQUENCES_PER_CORE = 8
CPU_WIDTH_LIMIT = 16
GPU_WIDTH = 32
MAX_WIDTH = 64
# The batch's KV cache may take this share of the memory that is free when it starts.
KV_SHARE_OF_FREE_MEMORY = 0.25
CELL_ROUNDING = 256
N_BATCH = 512
# create_completion lets the answer run past max_tokens until a UTF-8 character is whole; a UTF-8
# character has at most 4 bytes, so this many extra tokens are allowed, reserved and then cut.
UTF8_SLACK = 4


class Prompted(Protocol):
    tokens: list[int]
    max_tokens: int


@dataclass(frozen=True)
class Plan:
    width: int  # sequences decoded together
    n_ctx: int  # KV cells in the batch's cache, shared by every sequence
    shared: int  # prompt tokens every sequence has in common (decoded once)
    n_batch: int
    why: str  # the width in words, for the log and the progress line
    unified: bool = True  # one KV buffer for all (prefix stored once) or one per sequence

    @property
    def n_seq(self) -> int:
        return self.width + 1  # sequence 0 holds the shared prefix

    def fits(self, live: Sequence[Prompted], attempt: Prompted) -> bool:
        """Whether a sequence can start now without overdrawing the KV cache."""
        if not self.unified:
            return True  # every sequence's own buffer is sized for the longest prompt and answer
        return self.shared + sum(self.need(a) for a in live) + self.need(attempt) <= self.n_ctx

    def need(self, attempt: Prompted) -> int:
        """KV cells one sequence may fill: its own prompt tokens plus its longest answer."""
        return len(attempt.tokens) - self.shared + max(attempt.max_tokens, 0) + UTF8_SLACK

    def as_event(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "n_ctx": self.n_ctx,
            "shared_tokens": self.shared,
            "why": self.why,
            "unified": self.unified,
        }


def plan_batch(llm: Any, attempts: Sequence[Prompted], requested: int | None, unified: bool = True) -> Plan:
    import llama_cpp as lc

    gpu = bool(llm.model_params.n_gpu_layers) and bool(lc.llama_supports_gpu_offload())
    runnable = [a for a in attempts if a.max_tokens > 0]  # the rest fail before decoding: no cells
    return make_plan(
        [a.tokens for a in runnable],
        [a.max_tokens for a in runnable],
        requested,
        cores=os.cpu_count() or 1,
        gpu=gpu,
        free_memory=_free_memory(),
        cell_bytes=kv_bytes_per_token(llm.metadata),
        unified=unified,
    )


def make_plan(
    prompts: Sequence[list[int]],
    max_tokens: Sequence[int],
    requested: int | None,
    *,
    cores: int,
    gpu: bool,
    free_memory: int,
    cell_bytes: int,
    unified: bool = True,
) -> Plan:
    shared = shared_prefix(prompts)
    need = max(
        [len(p) - shared + max(m, 0) + UTF8_SLACK for p, m in zip(prompts, max_tokens, strict=True)] or [1]
    )
    width, why = (requested, f"{requested} at once, as set") if requested else auto_width(cores, gpu)
    width = max(1, min(width, len(prompts) or 1, MAX_WIDTH))
    room = int(free_memory * KV_SHARE_OF_FREE_MEMORY) // max(cell_bytes, 1)
    # Unified: the prefix once plus each sequence's own cells. Separate: every sequence (and the
    # prefix's own sequence 0) gets a buffer holding the prefix and the longest prompt and answer.
    fits = max(1, (room - shared) // need if unified else room // (shared + need) - 1)
    if fits < width:
        width, why = fits, f"{fits} at once: free memory holds no more sequences"
    cells = shared + width * need if unified else (width + 1) * _round_up(shared + need)
    return Plan(width=width, n_ctx=_round_up(cells), shared=shared, n_batch=N_BATCH, why=why, unified=unified)


def _round_up(cells: int) -> int:
    return -(-cells // CELL_ROUNDING) * CELL_ROUNDING


def auto_width(cores: int, gpu: bool) -> tuple[int, str]:
    if gpu:
        return GPU_WIDTH, f"{GPU_WIDTH} at once on the GPU"
    width = min(CPU_WIDTH_LIMIT, max(2, SEQUENCES_PER_CORE * cores))
    return width, f"{width} at once: {SEQUENCES_PER_CORE} per CPU core on {cores} cores"


def shared_prefix(prompts: Sequence[list[int]]) -> int:
    """Tokens at the start of every prompt, leaving each prompt at least one token of its own (the
    one whose logits start the answer). Tokenized whole, so a merge across the prefix/article
    boundary can never be shared by mistake."""
    if not prompts:
        return 0
    first, shortest = prompts[0], min(len(p) for p in prompts)
    n = 0
    while n < shortest - 1 and all(p[n] == first[n] for p in prompts):
        n += 1
    return n


def kv_bytes_per_token(metadata: Mapping[str, str]) -> int:
    """One token's keys and values over all layers, in f16: from the GGUF metadata (strings)."""
    arch = metadata.get("general.architecture", "llama")

    def number(key: str, default: int) -> int:
        value = str(metadata.get(f"{arch}.{key}", default)).strip("[]").split(",")
        try:
            return max(int(float(v)) for v in value)
        except ValueError:
            return default

    width = number("embedding_length", 4096)
    heads = number("attention.head_count", 32)
    kv_heads = number("attention.head_count_kv", heads)
    key = number("attention.key_length", width // max(heads, 1))
    value = number("attention.value_length", key)
    return number("block_count", 32) * kv_heads * (key + value) * 2


def _free_memory() -> int:
    import psutil

    return int(psutil.virtual_memory().available)

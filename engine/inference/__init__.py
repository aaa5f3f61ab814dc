"""Inference backends behind one small protocol. The local llama.cpp backend runs in a worker
process (engine/inference/local.py); nothing here imports llama_cpp in the calling process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from engine.progress import CancelToken


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 120
    seed: int | None = None
    stop: tuple[str, ...] = ()
    top_k: int = 40
    min_p: float = 0.05  # llama.cpp's own default; the batched road's sampler chain needs it spelt out
    repeat_penalty: float = 1.0
    grammar: str | None = None  # GBNF text; constrains local generation (ignored by services)

    def with_seed(self, seed: int | None) -> Sampling:
        from dataclasses import replace

        return replace(self, seed=seed)


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float  # request sent -> last token
    first_token_s: float  # request sent -> first token
    finish_reason: str  # "stop" | "length"

    @property
    def tokens_per_s(self) -> float:
        gen = self.latency_s - self.first_token_s
        return self.completion_tokens / gen if gen > 0 and self.completion_tokens > 1 else 0.0


@dataclass(frozen=True)
class ModelInfo:
    """What actually loaded, as the worker saw it (shown in diagnostics and stored as provenance)."""

    path: str
    n_ctx: int
    n_params: int
    architecture: str
    has_chat_template: bool
    gpu_layers: int  # layers llama.cpp actually offloaded (0 where it offloaded none or cannot)
    load_s: float
    metadata: dict[str, str] = field(default_factory=dict)
    chat_template: str = ""  # the GGUF's own template (empty when absent or too large to trust)
    bos_token: str = ""
    eos_token: str = ""
    placement: str = ""  # llama.cpp's own lines about devices, offloaded layers and buffer sizes
    layers_total: int = 0  # repeating layers + output layer, the most that can be offloaded (0: unknown)
    backend: str = "CPU"  # where the offloaded layers went, from llama.cpp's log: "CUDA0 (NVIDIA ...)"
    fallback: str = ""  # a sentence when it was meant for the GPU but runs on the CPU, and why
    kernels: str = (
        ""  # which llama.cpp kernels ran: "CPU kernels: haswell (AVX2)" (engine.inference.backends)
    )
    kernel_notes: tuple[str, ...] = ()  # what was skipped and why (an AMX variant, a GPU backend)


TextCallback = Callable[[str], None]


class Backend(Protocol):
    """Anything that turns a prompt into a Completion, streaming text as it goes."""

    def complete(
        self,
        prompt: str,
        sampling: Sampling,
        on_text: TextCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion: ...

    def close(self) -> None: ...

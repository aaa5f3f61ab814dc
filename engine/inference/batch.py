"""Many articles at once, inside the worker process: continuous batching over one shared prefix.

The prompt's common prefix (the few-shot examples) is decoded once into sequence 0 of a context of
our own. Each article gets a slot: its sequence starts as a copy of sequence 0 (in a unified KV cache
`llama_memory_seq_cp` shares the cells, so the prefix costs memory once), decodes its own suffix, and
from then on every live sequence advances one token per `llama_decode`. A finished sequence is
checked, reported at once and its slot refilled from the queue; a rejected attempt rejoins the
queue with its next seed, as the one-by-one Riddler would retry it.

Each sequence samples on its own, the way `Llama.create_completion` does (same sampler chain, same
seed, same stop-string and max-token rules), so a greedy or seeded run can be compared token for
token with the one-by-one path.

Called through the worker's generic op, never imported by the calling process:
    LocalModel.call("engine.inference.batch:run", request, on_event, cancel)
Request: {"jobs": [{"prompt", "primer", "seeds": [one per attempt], "sampling": {...}, "guided": bool,
                    "stream": bool, "story": {"title", "summary", "candidates": [...] | None}}],
          "check": bool (engine.riddles.check_riddle judges every finished attempt), "width": int | None}
Events:  {"event": "batch", width, n_ctx, shared_tokens, why}   {"event": "step", live, queued, tokens}
         {"event": "text", job, attempt, text} (streamed jobs only)
         {"event": "finished", job, attempt, text, accepted, retry, reason, prompt_tokens, ...,
          riddle: {text, answer, hints, difficulty} and quality (its flags) when accepted and checked}
         {"event": "done", finish_reason: "stop" | "cancelled" | "unbatchable", reason}
One job is cancelled alone by the cancel id "<request id>/<job index>".

A guided job (engine.guided) is written field by field: its sampler draws as usual, but a token the
field does not allow (the answer inside the riddle, an empty line, a runaway value) is masked out of
the logits and drawn again, and the labels are fed by us. Stop strings and max_tokens do not apply to
it; its fields' budgets do. While the answer is written under the story's subject candidates, only the
first token of each candidate's rest (and the end of the line at a whole one) keeps its logit.

The KV cache and its decoded prefix are kept in the worker between calls (closed when the model goes),
so the one-by-one Riddler, which runs here as a batch of one, reuses the few-shot prefix per article.
"""

from __future__ import annotations

import codecs
import ctypes
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import llama_cpp as lc
import numpy as np

from engine.guided import GuidedRiddle, token_budget
from engine.inference import Sampling
from engine.inference.batch_plan import CELL_ROUNDING, UTF8_SLACK, Plan, plan_batch
from engine.quality import Story, examples_in
from engine.riddles import check_riddle

# Progress for the caller (and its chance to cancel single articles) at most this often.
STEP_EVENT_S = 0.2
# Streamed text goes out in small batches, as the worker's own completions do.
TEXT_EVENT_S = 0.03
# A guided field redraws at most this often per token before the attempt gives up.
MAX_REDRAWS = 64
# A kept cache gets this many spare cells, so the next, slightly longer article still fits it.
SPARE_CELLS = 2 * CELL_ROUNDING
HELD_CACHE = "engine.inference.batch:cache"
DEFAULTS = Sampling()  # what a job leaves out (the defaults' one home)


@dataclass
class Attempt:
    """One try of one article in one slot: the prompt, what has been generated, and how it ends."""

    job: int
    number: int  # 1-based, as in the Riddler
    tokens: list[int]
    max_tokens: int
    stop: list[bytes]
    sampling: dict[str, Any]
    seed: int
    slot: int = 0
    fed: int = 0  # prompt tokens already in the cache (the shared prefix included)
    out: list[int] = field(default_factory=list)
    sampled: int = 0  # tokens drawn, the end-of-generation token included
    offsets: list[int] = field(default_factory=list)  # traced: bytes of text after each token
    text: bytes = b""
    pending: list[int] = field(default_factory=list)  # after the prompt: to be decoded in the next step
    pos: int = 0  # position of the next token after the prompt
    guide: GuidedRiddle | None = None
    answer: list[int] = field(default_factory=list)  # guided: the tokens kept in the answer field
    utf8: Any = None  # guided: incremental decoder, so a character split over tokens is judged whole
    streamed: int = 0  # characters of text already sent as "text" events
    last_text: float = 0.0
    multibyte: int = 0
    started: float = 0.0
    first_token_s: float | None = None
    finish: str | None = None
    sampler: Sampler | None = None


class Sampler:
    """Per-sequence sampling, built as `Llama.create_completion` builds its chain: penalties, the
    grammar if any, then greedy (temperature 0) or top-k, typical 1.0, top-p, min-p 0.05, temperature
    and a seeded draw. Plain greedy is an argmax over the logits in numpy (what the greedy sampler
    does, ties to the lowest id) without copying the whole vocabulary into a candidate list."""

    def __init__(self, llm: Any, sampling: dict[str, Any], seed: int, trace: bool = False):
        self.n_vocab = llm.n_vocab()
        self.trace = trace
        self.margins: list[float] = []  # traced greedy runs: top-1 minus top-2 logit, per token
        temperature = float(sampling.get("temperature", DEFAULTS.temperature))
        repeat = float(sampling.get("repeat_penalty", DEFAULTS.repeat_penalty))
        grammar = sampling.get("grammar")
        self.chain = None
        if temperature == 0.0 and repeat == 1.0 and not grammar:
            return
        self.chain = lc.llama_sampler_chain_init(lc.llama_sampler_chain_default_params())
        self._add(lc.llama_sampler_init_penalties(self.n_vocab, llm.last_n_tokens_size, repeat, 0.0, 0.0))
        if grammar:
            vocab = lc.llama_model_get_vocab(llm._model.model)
            self._add(lc.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root"))
        if temperature == 0.0:
            self._add(lc.llama_sampler_init_greedy())
            return
        if temperature > 0.0:
            self._add(lc.llama_sampler_init_top_k(int(sampling.get("top_k", DEFAULTS.top_k))))
            self._add(lc.llama_sampler_init_typical(1.0, 1))
            self._add(lc.llama_sampler_init_top_p(float(sampling.get("top_p", DEFAULTS.top_p)), 1))
            self._add(lc.llama_sampler_init_min_p(float(sampling.get("min_p", DEFAULTS.min_p)), 1))
            self._add(lc.llama_sampler_init_temp(temperature))
        self._add(lc.llama_sampler_init_dist(seed & 0xFFFFFFFF))

    def _add(self, sampler: Any) -> None:
        lc.llama_sampler_chain_add(self.chain, sampler)

    def pick(self, ctx: Any, index: int) -> int:
        if self.chain is not None:
            return int(lc.llama_sampler_sample(self.chain, ctx, index))
        logits = np.ctypeslib.as_array(lc.llama_get_logits_ith(ctx, index), shape=(self.n_vocab,))
        if self.trace:
            top_two = np.partition(logits, -2)[-2:]
            self.margins.append(round(float(top_two[1] - top_two[0]), 5))
        return int(np.argmax(logits))

    def ban(self, ctx: Any, index: int, token: int) -> None:
        """Take a token out of this position's logits, so the next pick draws from the rest."""
        logits = np.ctypeslib.as_array(lc.llama_get_logits_ith(ctx, index), shape=(self.n_vocab,))
        logits[token] = -np.inf

    def keep_only(self, ctx: Any, index: int, tokens: list[int]) -> None:
        """Mask every token but these out of this position's logits (the answer's candidates)."""
        logits = np.ctypeslib.as_array(lc.llama_get_logits_ith(ctx, index), shape=(self.n_vocab,))
        kept = logits[tokens].copy()
        logits[:] = -np.inf
        logits[tokens] = kept

    def close(self) -> None:
        if self.chain is not None:
            lc.llama_sampler_free(self.chain)
            self.chain = None


class SequenceCache:
    """Our own llama.cpp context over the worker's loaded model: one KV cache shared by `n_seq`
    sequences (sequence 0 holds the prefix), and one reusable batch."""

    def __init__(self, llm: Any, plan: Plan):
        params = type(llm.context_params).from_buffer_copy(llm.context_params)
        params.n_ctx = plan.n_ctx
        params.n_seq_max = plan.n_seq
        params.n_batch = plan.n_batch
        params.n_ubatch = min(plan.n_batch, params.n_ubatch)
        # Unified: one buffer, a copied prefix is shared, not duplicated, but every token attends
        # over every sequence's cells (masked). Separate: one buffer per sequence, the prefix copied.
        params.kv_unified = plan.unified
        # llama.cpp picks the prompt-processing thread count for any decode of several tokens; a
        # step of several sequences is generation, though. Each decode gets the count the
        # one-by-one path would use (on a busy 2-core machine two spinning threads made a 4-row
        # step ~3x slower than one thread).
        self.threads = {True: params.n_threads_batch, False: params.n_threads}
        self.unified = plan.unified
        self.n_batch = plan.n_batch
        self.n_ctx, self.n_seq = plan.n_ctx, plan.n_seq
        self.prefix: list[int] = []  # the tokens sequence 0 holds
        self.ctx = lc.llama_init_from_model(llm._model.model, params)
        if not self.ctx:
            raise MemoryError(
                f"llama.cpp could not make a context of {plan.n_ctx} tokens for {plan.width} sequences"
            )
        _apply_adapter(llm, self.ctx)
        self.memory = lc.llama_get_memory(self.ctx)
        self.batch = lc.llama_batch_init(plan.n_batch, 0, 1)

    def add(self, token: int, pos: int, seq: int, logits: bool) -> int:
        """Queue one token for the next decode; returns its index (where its logits will be)."""
        batch, i = self.batch, self.batch.n_tokens
        batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
        batch.seq_id[i][0] = seq
        batch.logits[i] = logits
        batch.n_tokens = i + 1
        return i

    @property
    def room(self) -> int:
        return self.n_batch - self.batch.n_tokens

    def decode(self, prompt: bool = False) -> None:
        """Decode what was added; `prompt` when it holds prompt tokens (not only generated ones)."""
        if self.batch.n_tokens:
            lc.llama_set_n_threads(self.ctx, self.threads[False], self.threads[prompt])
            code = lc.llama_decode(self.ctx, self.batch)
            self.batch.n_tokens = 0
            if code != 0:
                raise RuntimeError(
                    f"llama_decode failed with code {code} (no room left in the batch's KV cache)"
                )

    def fits(self, plan: Plan) -> bool:
        """Whether this cache can run `plan` (it is kept between calls)."""
        return (
            self.unified
            and plan.unified
            and self.n_batch == plan.n_batch
            and self.n_ctx >= plan.n_ctx
            and self.n_seq >= plan.n_seq
        )

    def decode_prefix(self, tokens: list[int]) -> int:
        """Sequence 0 holds exactly `tokens`; what it held before is kept as far as it agrees (returns
        how many tokens were kept, not decoded again)."""
        for seq in range(1, self.n_seq):
            lc.llama_memory_seq_rm(self.memory, seq, -1, -1)
        kept = 0
        while kept < min(len(tokens), len(self.prefix)) and tokens[kept] == self.prefix[kept]:
            kept += 1
        lc.llama_memory_seq_rm(self.memory, 0, kept, -1)
        self.prefix = list(tokens)
        for pos in range(kept, len(tokens)):
            self.add(tokens[pos], pos, 0, False)
            if self.room == 0:
                self.decode(prompt=True)
        self.decode(prompt=True)
        return kept

    def start(self, slot: int, shared: int) -> None:
        lc.llama_memory_seq_rm(self.memory, slot, -1, -1)
        if shared:
            # Sequence 0 holds exactly the shared prefix; across buffers only whole copies work.
            lc.llama_memory_seq_cp(self.memory, 0, slot, -1, -1)

    def free(self, slot: int) -> None:
        lc.llama_memory_seq_rm(self.memory, slot, -1, -1)

    def close(self) -> None:
        lc.llama_batch_free(self.batch)
        lc.llama_free(self.ctx)


def _apply_adapter(llm: Any, ctx: Any) -> None:
    """A LoRA adapter is set per context: llama-cpp-python sets the model's on its own context only,
    so a context of ours would riddle with the bare base (the tuned arm's riddles were the base's,
    word for word, until this)."""
    adapter = getattr(llm, "_lora_adapter", None)
    if adapter is None:
        return
    adapters = (lc.llama_adapter_lora_p_ctypes * 1)(adapter)
    scales = (ctypes.c_float * 1)(float(getattr(llm, "lora_scale", 1.0)))
    if lc.llama_set_adapters_lora(ctx, adapters, 1, scales):
        lc.llama_free(ctx)
        raise RuntimeError(f"llama.cpp could not apply the LoRA adapter {llm.lora_path}")


def run(worker: Any, request: dict[str, Any]) -> None:
    """The worker's entry point (see the module docstring for the request and its events)."""
    rid = str(request["id"])
    llm = worker.llm
    model = llm._model.model
    if lc.llama_model_is_recurrent(model) or lc.llama_model_is_hybrid(model):
        worker.send(_unbatchable(rid, "this model keeps a running state instead of a shareable cache"))
        return
    jobs = request["jobs"]
    attempts = deque(_first_attempt(llm, index, job) for index, job in enumerate(jobs))
    plan = plan_batch(llm, list(attempts), request.get("width"), bool(request.get("unified", True)))
    try:
        cache, kept = _cache_for(worker, llm, plan)
    except MemoryError as error:
        worker.send(_unbatchable(rid, str(error)))
        return
    worker.send({"event": "batch", "id": rid, **plan.as_event()})
    try:
        batch = Batch(worker, rid, llm, cache, plan, jobs, bool(request.get("check")))
        batch.trace = bool(request.get("trace"))
        finish = batch.run(attempts)
    except BaseException:
        if kept:
            worker.release(HELD_CACHE)  # its state is unknown now: the next call starts a fresh one
        raise
    finally:
        if not kept:
            cache.close()
        for index in range(len(jobs)):
            worker.forget_cancel(f"{rid}/{index}")
        worker.forget_cancel(rid)
    worker.send(
        {
            "event": "done",
            "id": rid,
            "finish_reason": finish,
            "tokens": batch.tokens,
            "prefix_reused": batch.reused,
            "elapsed_s": round(time.perf_counter() - batch.started, 4),
        }
    )


def _cache_for(worker: Any, llm: Any, plan: Plan) -> tuple[SequenceCache, bool]:
    """The worker's kept cache when it can run the plan (its prefix is reused), else a new one with a
    few spare cells, kept for the next call. Only unified caches are kept (they share the prefix);
    returns the cache and whether it is kept."""
    held = worker.held.get(HELD_CACHE)
    if held is not None and held.fits(plan):
        return held, True
    worker.release(HELD_CACHE)
    if not plan.unified:
        return SequenceCache(llm, plan), False
    cache = SequenceCache(
        llm, Plan(plan.width, plan.n_ctx + SPARE_CELLS, plan.shared, plan.n_batch, plan.why)
    )
    worker.hold(HELD_CACHE, cache)
    return cache, True


class Batch:
    """The scheduling loop: fill free slots from the queue, decode one step, sample, retire."""

    def __init__(
        self,
        worker: Any,
        rid: str,
        llm: Any,
        cache: SequenceCache,
        plan: Plan,
        jobs: list[dict[str, Any]],
        check: bool,
    ):
        self.worker, self.rid, self.llm, self.cache, self.plan = worker, rid, llm, cache, plan
        self.jobs, self.check = jobs, check
        self.stories = [_story(job) for job in jobs]
        self._spelled: dict[int, list[list[int]] | None] = {}  # job -> its candidates' tokens
        self.trace = False  # tests and benchmarks: report token ids and greedy margins per attempt
        self.vocab = lc.llama_model_get_vocab(llm._model.model)
        self.live: dict[int, Attempt] = {}  # slot -> attempt
        self.tokens = 0
        self.reused = 0  # prefix tokens found in the kept cache, not decoded again
        self.started = time.perf_counter()
        self._last_event = 0.0

    def run(self, queue: deque[Attempt]) -> str:
        self.reused = self.cache.decode_prefix(queue[0].tokens[: self.plan.shared] if queue else [])
        while queue or self.live:
            if self.worker.is_cancelled(self.rid):
                self._drop_all()
                return "cancelled"
            self._drop_cancelled(queue)
            self._refill(queue)
            outputs, prompt = self._fill_batch()
            self.cache.decode(prompt)
            for attempt, index in outputs:
                self._sample(attempt, index, queue)
            self._report(queue)
        return "stop"

    # -- slots ---------------------------------------------------------------------------------
    def _refill(self, queue: deque[Attempt]) -> None:
        free = [slot for slot in range(1, self.plan.width + 1) if slot not in self.live]
        while free and queue:
            attempt = queue[0]
            if attempt.max_tokens <= 0:  # the prompt alone fills the one-by-one context: say so, never decode
                queue.popleft()
                self._finish_too_long(attempt)
                continue
            if not self.plan.fits(list(self.live.values()), attempt):
                break  # wait for a slot's cells: the KV budget is never overdrawn
            queue.popleft()
            # Attempts that start with the batch count the shared prefix's decoding in their first token.
            started = self.started if not self.tokens else time.perf_counter()
            attempt.slot, attempt.fed, attempt.started = free.pop(0), self.plan.shared, started
            guided = bool(self.jobs[attempt.job].get("guided"))
            # A grammar describes a free completion's whole text; a guided one is shaped field by field.
            sampling = {**attempt.sampling, "grammar": None} if guided else attempt.sampling
            attempt.sampler = Sampler(self.llm, sampling, attempt.seed, self.trace)
            attempt.pos = len(attempt.tokens)
            if guided:
                candidates = (self.jobs[attempt.job].get("story") or {}).get("candidates")
                attempt.guide = GuidedRiddle(candidates=None if candidates is None else tuple(candidates))
                attempt.utf8 = codecs.getincrementaldecoder("utf-8")("replace")
            self.cache.start(attempt.slot, self.plan.shared)
            self.live[attempt.slot] = attempt

    def _fill_batch(self) -> tuple[list[tuple[Attempt, int]], bool]:
        """Generating sequences first (one token each), then prompt suffixes in the room left.
        Returns where the logits will be, and whether any prompt tokens went in."""
        outputs, prompt = [], False
        for attempt in self.live.values():
            if attempt.pending and len(attempt.pending) <= self.cache.room:
                # One sampled token, or (guided) the rest of a line and the next field's label.
                for k, token in enumerate(attempt.pending):
                    index = self.cache.add(token, attempt.pos, attempt.slot, k == len(attempt.pending) - 1)
                    attempt.pos += 1
                # A label is a handful of tokens: decoded with the generation threads, never the
                # prompt's (on a busy 2-core machine a 2-thread decode of 5 tokens took 0.4-4.9 s).
                outputs.append((attempt, index))
                attempt.pending = []
        for attempt in self.live.values():
            while attempt.fed < len(attempt.tokens) and self.cache.room:
                last = attempt.fed == len(attempt.tokens) - 1
                index = self.cache.add(attempt.tokens[attempt.fed], attempt.fed, attempt.slot, last)
                attempt.fed, prompt = attempt.fed + 1, True
                if last:
                    outputs.append((attempt, index))
        return outputs, prompt

    # -- tokens --------------------------------------------------------------------------------
    def _sample(self, attempt: Attempt, index: int, queue: deque[Attempt]) -> None:
        if attempt.guide is not None:
            self._sample_guided(attempt, index, queue)
            self._stream(attempt)
            return
        token = attempt.sampler.pick(self.cache.ctx, index)
        self.tokens += 1
        attempt.sampled += 1
        if attempt.first_token_s is None:
            attempt.first_token_s = time.perf_counter() - attempt.started
        if lc.llama_vocab_is_eog(self.vocab, token):
            self._retire(attempt, "stop", queue)
            return
        attempt.out.append(token)
        attempt.text += self.llm.detokenize([token])
        if self.trace:
            attempt.offsets.append(len(attempt.text))
        ending = _ending(attempt)
        if ending is None:
            attempt.pending = [token]
        else:
            self._retire(attempt, ending, queue)

    def _sample_guided(self, attempt: Attempt, index: int, queue: deque[Attempt]) -> None:
        """Draw until the field allows the token (each refused one is masked out), then keep it and
        queue what comes next: the token itself, or the rest of the line and the next label."""
        guide, sampler = attempt.guide, attempt.sampler
        answering = len(guide.values) == 1
        allowed = self._answer_tokens(attempt) if answering else None
        if allowed is not None:
            if not allowed:  # the answer so far begins no candidate (cannot happen, but never guess)
                guide.refuse()
                self._retire(attempt, "stop", queue)
                return
            sampler.keep_only(self.cache.ctx, index, allowed)
        for _ in range(MAX_REDRAWS):
            token = sampler.pick(self.cache.ctx, index)
            if attempt.first_token_s is None:
                attempt.first_token_s = time.perf_counter() - attempt.started
            before = attempt.utf8.getstate()
            piece = attempt.utf8.decode(self.llm.detokenize([token]))
            wanted = allowed is None or token in allowed
            if wanted and not lc.llama_vocab_is_eog(self.vocab, token) and guide.allows(piece):
                break
            attempt.utf8.setstate(before)
            sampler.ban(self.cache.ctx, index, token)
        else:
            guide.refuse()
            self._retire(attempt, "stop", queue)
            return
        self.tokens += 1
        attempt.sampled += 1
        attempt.out.append(token)
        if answering:
            attempt.answer.append(token)
        keep, feed = guide.take(piece)
        if guide.finished:
            self._retire(attempt, "length" if guide.failure.startswith("runaway") else "stop", queue)
            return
        attempt.pending = ([token] if keep else []) + (self._tokens(feed) if feed else [])
        if attempt.pos + len(attempt.pending) > len(attempt.tokens) + attempt.max_tokens:
            guide.failure = "runaway output: the riddle outgrew its token budget"
            self._retire(attempt, "length", queue)

    def _tokens(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def _answer_tokens(self, attempt: Attempt) -> list[int] | None:
        """Under subject candidates, the tokens the answer may take next: the next token of each
        candidate (as the tokenizer writes it after "Answer:") that the answer so far begins, and the
        end of the line after a whole one. Token by token, so a name spelled in several byte tokens is
        followed exactly. None: no candidates, any token may be drawn (and judged by the guide)."""
        spelled = self._candidate_tokens(attempt.job)
        if spelled is None:
            return None
        done = attempt.answer
        allowed = {s[len(done)] for s in spelled if len(s) > len(done) and s[: len(done)] == done}
        if any(s == done for s in spelled):
            allowed.update(self._tokens("\n")[-1:])  # the newline itself, after any space a tokenizer adds
        return sorted(allowed)

    def _candidate_tokens(self, job: int) -> list[list[int]] | None:
        if job not in self._spelled:
            found = (self.jobs[job].get("story") or {}).get("candidates")
            self._spelled[job] = None if found is None else [self._after_primer(job, c) for c in found]
        return self._spelled[job]

    def _after_primer(self, job: int, candidate: str) -> list[int]:
        """The candidate's tokens as the tokenizer writes them after the primer ("Answer:"), so a
        tokenizer that adds a space before a text's first word does not add one here."""
        primer = self.jobs[job].get("primer") or "Answer:"
        head, whole = self._tokens(primer), self._tokens(f"{primer} {candidate.strip()}")
        return whole[len(head) :] if whole[: len(head)] == head else self._tokens(" " + candidate.strip())

    def _stream(self, attempt: Attempt, final: bool = False) -> None:
        """Send a streamed job's new text (guided: the labelled text so far) now and then."""
        if not self.jobs[attempt.job].get("stream") or attempt.guide is None:
            return
        now = time.perf_counter()
        if not final and now - attempt.last_text < TEXT_EVENT_S:
            return
        text = attempt.guide.text()
        if len(text) > attempt.streamed:
            self.worker.send(
                {
                    "event": "text",
                    "id": self.rid,
                    "job": attempt.job,
                    "attempt": attempt.number,
                    "text": text[attempt.streamed :],
                }
            )
            attempt.streamed, attempt.last_text = len(text), now

    def _retire(self, attempt: Attempt, finish: str, queue: deque[Attempt]) -> None:
        attempt.finish = finish
        self._release(attempt)
        primer = self.jobs[attempt.job].get("primer", "")
        if attempt.guide is not None:
            self._stream(attempt, final=True)
            text = attempt.guide.text()
            reason, judged = attempt.guide.failure, {}
            if not reason:
                reason, judged = self._judge(primer, text, attempt.job)
        else:
            text = _cut_at_stop(attempt.text, attempt.stop).decode("utf-8", errors="ignore")
            reason, judged = self._judge(primer, text, attempt.job)
        retry = bool(reason) and attempt.number < len(self.jobs[attempt.job]["seeds"])
        if retry:
            queue.append(
                _attempt(self.llm, attempt.job, self.jobs[attempt.job], attempt.number + 1, attempt.tokens)
            )
        elapsed = time.perf_counter() - attempt.started
        traced = (
            {"tokens": attempt.out, "margins": attempt.sampler.margins, "offsets": attempt.offsets}
            if self.trace
            else {}
        )
        self.worker.send(
            {
                **traced,
                **judged,
                "event": "finished",
                "id": self.rid,
                "job": attempt.job,
                "attempt": attempt.number,
                "text": text,
                "accepted": not reason,
                "retry": retry,
                "reason": reason,
                "finish_reason": finish,
                "prompt_tokens": len(attempt.tokens),
                "completion_tokens": attempt.sampled,
                # Tokens after the prompt in the sequence: the values and, guided, the labels we fed.
                "sequence_tokens": attempt.pos - len(attempt.tokens) + len(attempt.pending),
                "latency_s": round(elapsed, 4),
                "first_token_s": round(attempt.first_token_s or elapsed, 4),
            }
        )

    def _judge(self, primer: str, text: str, job: int) -> tuple[str, dict[str, Any]]:
        """Why the attempt is refused ("" when accepted) and, accepted, the riddle as parsed once here
        and its quality flags, for the caller to keep as they are."""
        if not self.check:
            return "", {}
        try:
            riddle, quality = check_riddle(primer, text, self.stories[job])
        except ValueError as rejected:
            return str(rejected) or "rejected", {}
        parsed = {"text": riddle.text, "answer": riddle.answer, "hints": list(riddle.hints)}
        return "", {"riddle": {**parsed, "difficulty": riddle.difficulty}, "quality": quality.stored()}

    def _finish_too_long(self, attempt: Attempt) -> None:
        n_ctx = self.llm.n_ctx()
        self._give_up(
            attempt,
            "error",
            f"the prompt has {len(attempt.tokens)} tokens but the context holds only {n_ctx}; "
            "raise the context length in Settings",
        )

    def _give_up(self, attempt: Attempt, finish_reason: str, reason: str) -> None:
        """An attempt that ends with no text and no retry (too long for the context, or cancelled)."""
        self.worker.send(
            {
                "event": "finished",
                "id": self.rid,
                "job": attempt.job,
                "attempt": attempt.number,
                "text": "",
                "accepted": False,
                "retry": False,
                "finish_reason": finish_reason,
                "reason": reason,
            }
        )

    # -- cancel --------------------------------------------------------------------------------
    def _drop_cancelled(self, queue: deque[Attempt]) -> None:
        for attempt in [a for a in list(queue) + list(self.live.values()) if self._cancelled(a)]:
            if attempt.slot in self.live and self.live[attempt.slot] is attempt:
                self._release(attempt)
            else:
                queue.remove(attempt)
            self._give_up(attempt, "cancelled", "cancelled")

    def _cancelled(self, attempt: Attempt) -> bool:
        return self.worker.is_cancelled(f"{self.rid}/{attempt.job}")

    def _drop_all(self) -> None:
        for attempt in list(self.live.values()):
            self._release(attempt)

    def _release(self, attempt: Attempt) -> None:
        self.live.pop(attempt.slot, None)
        self.cache.free(attempt.slot)
        if attempt.sampler is not None:
            attempt.sampler.close()

    def _report(self, queue: deque[Attempt]) -> None:
        now = time.perf_counter()
        if now - self._last_event >= STEP_EVENT_S:
            self._last_event = now
            self.worker.send(
                {
                    "event": "step",
                    "id": self.rid,
                    "live": len(self.live),
                    "queued": len(queue),
                    "tokens": self.tokens,
                }
            )


# -- attempts ------------------------------------------------------------------------------------
def _first_attempt(llm: Any, index: int, job: dict[str, Any]) -> Attempt:
    tokens = llm.tokenize(job["prompt"].encode("utf-8"), add_bos=True, special=True)
    return _attempt(llm, index, job, 1, tokens)


def _attempt(llm: Any, index: int, job: dict[str, Any], number: int, tokens: list[int]) -> Attempt:
    sampling = job.get("sampling", {})
    # As create_completion: the answer may use what the one-by-one context leaves after the prompt.
    # A guided attempt needs its fields' budgets instead (and ignores stop strings).
    wanted = token_budget() if job.get("guided") else int(sampling.get("max_tokens", DEFAULTS.max_tokens))
    max_tokens = min(wanted, llm.n_ctx() - len(tokens))
    return Attempt(
        job=index,
        number=number,
        tokens=tokens,
        max_tokens=max_tokens,
        stop=[s.encode("utf-8") for s in sampling.get("stop", []) if s],
        sampling=sampling,
        seed=int(job["seeds"][number - 1]),
    )


def _ending(attempt: Attempt) -> str | None:
    """create_completion's rules after each token: text that ends inside a UTF-8 character is not
    searched for stops (nor counted against max_tokens) until it is whole."""
    for k, char in enumerate(attempt.text[-3:]):
        k = 3 - k
        for size, pattern in ((2, 192), (3, 224), (4, 240)):
            if size > k and pattern & char == pattern:
                attempt.multibyte = size - k
    if attempt.multibyte > 0 and len(attempt.out) < attempt.max_tokens + UTF8_SLACK:
        attempt.multibyte -= 1
        return None
    if any(stop in attempt.text for stop in attempt.stop):
        return "stop"
    if len(attempt.out) >= attempt.max_tokens:  # never past the cells the plan reserved for it
        return "length"
    return None


def _cut_at_stop(text: bytes, stops: list[bytes]) -> bytes:
    found = [text.index(stop) for stop in stops if stop in text]
    return text[: min(found)] if found else text


def _story(job: dict[str, Any]) -> Story | None:
    """What the quality checks judge a job's riddle against: its story and the prompt's examples."""
    story = job.get("story")
    if not story:
        return None
    return Story(story.get("title", ""), story.get("summary", ""), examples_in(job.get("prompt", "")))


def _unbatchable(rid: str, why: str) -> dict[str, Any]:
    return {"event": "done", "id": rid, "finish_reason": "unbatchable", "reason": why}

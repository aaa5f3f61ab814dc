"""The inference worker: a separate process that owns llama.cpp, so a native crash (SIGILL,
SIGSEGV, abort, OOM kill) cannot take the window down.

Protocol: one JSON object per line. Requests arrive on stdin; events leave on a private copy of
the original stdout. fd 1 itself is pointed at stderr, so anything llama.cpp prints lands in the
log, never in the protocol stream.

Requests:  {"op": "load", ...}  {"op": "complete", "id", "prompt", "sampling"}  {"op": "cancel", "id"}
           {"op": "call", "target": "engine.module:function", "id", ...}  {"op": "unload"}  {"op": "exit"}
           ("call" runs function(worker, request) here, next to the loaded model: how features such as
           batched generation add worker-side code without touching this file.)
Events:    {"event": "loaded", ...info}  {"event": "text", "id", "text"}  {"event": "done", "id", ...}
           {"event": "error", "id", "kind", "message"}
"""

from __future__ import annotations

import importlib
import json
import os
import queue
import sys
import threading
import time
from typing import Any, BinaryIO

from engine.errors import ModelError
from engine.inference import Sampling, backends

# Streamed text is sent in small batches: often enough to look live, rarely enough that the pipe
# costs nothing per token.
FLUSH_INTERVAL_S = 0.03
# A chat template longer than this is not rendered (real ones are a few KB; the cap bounds the work).
MAX_TEMPLATE_CHARS = 64_000
DEFAULTS = Sampling()  # what a request leaves out (the defaults' one home)


class Worker:
    def __init__(self, out: BinaryIO):
        self._out = out
        self._out_lock = threading.Lock()
        self._requests: queue.Queue[dict[str, Any]] = queue.Queue()
        self._cancelled: set[str] = set()
        self._llm = None
        self._model_key: tuple | None = None
        self._info: dict[str, Any] = {}
        self._grammars: dict[str, Any] = {}  # GBNF text -> compiled LlamaGrammar, per loaded model
        # What worker-side features keep next to the loaded model between calls (e.g. the batch's KV
        # cache, engine.inference.batch): each has close(), called before the model goes.
        self.held: dict[str, Any] = {}

    # -- plumbing -----------------------------------------------------------------------------
    def send(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n"
        with self._out_lock:
            self._out.write(line)
            self._out.flush()

    def read_requests(self, stream: BinaryIO) -> None:
        """Runs on its own thread so a cancel can arrive while a completion is running."""
        for raw in stream:
            try:
                request = json.loads(raw)
            except ValueError:
                continue
            if request.get("op") == "cancel":
                self._cancelled.add(str(request.get("id")))
            else:
                self._requests.put(request)
        self._requests.put({"op": "exit"})

    def serve(self) -> None:
        while True:
            request = self._requests.get()
            op = request.get("op")
            if op == "exit":
                return
            try:
                if op == "load":
                    self.load(request)
                elif op == "unload":
                    self.release_all()
                    self._llm, self._model_key, self._grammars = None, None, {}
                    self.send({"event": "unloaded"})
                elif op == "complete":
                    self.complete(request)
                elif op == "call":
                    module_name, _, function = str(request["target"]).partition(":")
                    if not module_name.startswith("engine."):
                        raise ValueError(f"refusing to call {request['target']!r}")
                    getattr(importlib.import_module(module_name), function)(self, request)
                elif op == "tokenize":
                    self.send(
                        {"event": "tokens", "id": request.get("id"), "count": self.count(request["text"])}
                    )
            except Exception as exc:  # reported to the parent, which raises a typed error
                self.send({"event": "error", "id": request.get("id"), "kind": op, "message": str(exc)[:500]})

    # -- the work ------------------------------------------------------------------------------
    def load(self, request: dict[str, Any]) -> None:
        from llama_cpp import Llama, llama_model_n_layer, llama_supports_gpu_offload
        from llama_cpp._logger import set_verbose

        key = tuple(sorted((k, str(v)) for k, v in request.items() if k not in ("op", "id")))
        if self._llm is not None and key == self._model_key:
            self.send({"event": "loaded", **self._info, "cached": True})
            return
        # Drop the old model first, so two never share the memory.
        self.release_all()
        self._llm, self._model_key, self._grammars = None, None, {}
        started = time.perf_counter()
        try:
            kernels = backends.ensure_loaded()
        except ModelError as missing:  # said as is: the file is not at fault
            self.send({"event": "error", "id": request.get("id"), "kind": "kernels", "message": str(missing)})
            return
        wanted_gpu = int(request.get("n_gpu_layers", 0))
        # llama.cpp's load log (devices, offloaded layers, buffer sizes) goes to stderr, which the
        # parent forwards to its log; the placement lines are also kept for ModelInfo.
        with _PlacementLog() as placement:
            llm = Llama(
                model_path=request["path"],
                n_ctx=int(request.get("n_ctx", 2048)),
                n_threads=request.get("n_threads") or None,
                n_gpu_layers=wanted_gpu,
                lora_path=request.get("lora_path") or None,
                seed=int(request.get("seed", 0xC0FFEE)),
                n_batch=int(request.get("n_batch", 512)),
                verbose=True,
            )
        llm.verbose = False  # per-completion timings would flood the log
        set_verbose(False)
        # llama.cpp's first decode allocates its compute graph and can take a second; do it now, so
        # the first riddle's first token (and a cancel during it) are not held up by it.
        llm.eval([max(llm.token_bos(), 0)])
        llm.reset()
        template = str(llm.metadata.get("tokenizer.chat_template", ""))
        meta = {k: str(v)[:200] for k, v in llm.metadata.items() if k != "tokenizer.chat_template"}
        n_layers = int(llama_model_n_layer(llm._model.model))
        offloaded = min(wanted_gpu if wanted_gpu >= 0 else n_layers + 1, n_layers + 1)
        self._info = {
            "path": request["path"],
            "n_ctx": llm.n_ctx(),
            "n_params": int(llm._model.n_params()),
            "architecture": llm.metadata.get("general.architecture", ""),
            "has_chat_template": bool(template),
            "gpu_layers": offloaded if llama_supports_gpu_offload() else 0,
            "load_s": time.perf_counter() - started,
            "metadata": meta,
            "chat_template": template if len(template) <= MAX_TEMPLATE_CHARS else "",
            "bos_token": _token_text(llm, llm.token_bos()),
            "eos_token": _token_text(llm, llm.token_eos()),
            "placement": "\n".join(placement.lines)[:4000],
            "kernels": kernels.describe(),
            "kernel_notes": list(kernels.skipped),
        }
        self._llm, self._model_key = llm, key
        self.send({"event": "loaded", **self._info, "cached": False})

    def count(self, text: str) -> int:
        return len(self._require_model().tokenize(text.encode("utf-8"), add_bos=True, special=True))

    def complete(self, request: dict[str, Any]) -> None:
        llm = self._require_model()
        rid = str(request["id"])
        sampling = request.get("sampling", {})
        started = time.perf_counter()
        first = None
        pieces: list[str] = []
        pending: list[str] = []
        last_flush = started
        finish = "stop"
        # Checked by llama.cpp's sampling loop after every token, even while no text is ready to yield
        # (llama-cpp-python holds back partial UTF-8 and possible stop-string prefixes).
        from llama_cpp import StoppingCriteriaList

        n_prompt = self.count(request["prompt"])
        if n_prompt >= llm.n_ctx():
            raise ValueError(
                f"the prompt has {n_prompt} tokens but the context holds only {llm.n_ctx()}; "
                "raise the context length in Settings"
            )
        seen = [0]  # longest context seen by the criterion: counts tokens exactly, unlike stream chunks

        def stop_when_cancelled(ids, _logits) -> bool:  # noqa: ANN001
            seen[0] = max(seen[0], len(ids))
            return rid in self._cancelled

        stream = llm.create_completion(
            request["prompt"],
            max_tokens=int(sampling.get("max_tokens", DEFAULTS.max_tokens)),
            temperature=float(sampling.get("temperature", DEFAULTS.temperature)),
            top_p=float(sampling.get("top_p", DEFAULTS.top_p)),
            seed=sampling.get("seed"),
            top_k=int(sampling.get("top_k", DEFAULTS.top_k)),
            min_p=float(sampling.get("min_p", DEFAULTS.min_p)),
            repeat_penalty=float(sampling.get("repeat_penalty", DEFAULTS.repeat_penalty)),
            stop=list(sampling.get("stop", [])) or None,
            grammar=self._grammar(sampling.get("grammar")),
            stream=True,
            stopping_criteria=StoppingCriteriaList([stop_when_cancelled]),
        )
        for chunk in stream:
            if rid in self._cancelled:
                finish = "cancelled"
                break
            choice = chunk["choices"][0]
            piece = choice.get("text", "")
            if first is None:
                first = time.perf_counter() - started
            if piece:
                pieces.append(piece)
                pending.append(piece)
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
            now = time.perf_counter()
            if pending and now - last_flush >= FLUSH_INTERVAL_S:
                self.send({"event": "text", "id": rid, "text": "".join(pending)})
                pending, last_flush = [], now
        if rid in self._cancelled:
            finish = "cancelled"
        if pending and finish != "cancelled":
            self.send({"event": "text", "id": rid, "text": "".join(pending)})
        self._cancelled.discard(rid)
        elapsed = time.perf_counter() - started
        self.send(
            {
                "event": "done",
                "id": rid,
                "text": "".join(pieces),
                "prompt_tokens": n_prompt,
                # The criterion runs before each new token joins the context, hence the +1.
                "completion_tokens": seen[0] - n_prompt + 1 if seen[0] else 0,
                "latency_s": elapsed,
                "first_token_s": first if first is not None else elapsed,
                "finish_reason": finish,
            }
        )

    def _grammar(self, text: str | None):  # noqa: ANN202 - llama_cpp.LlamaGrammar | None
        if not text:
            return None
        if text not in self._grammars:
            from llama_cpp import LlamaGrammar

            self._grammars[text] = LlamaGrammar.from_string(text, verbose=False)
        return self._grammars[text]

    def hold(self, key: str, thing: Any) -> None:
        self.release(key)
        self.held[key] = thing

    def release(self, key: str) -> None:
        thing = self.held.pop(key, None)
        if thing is not None:
            thing.close()

    def release_all(self) -> None:
        for key in list(self.held):
            self.release(key)

    def is_cancelled(self, request_id: str) -> bool:
        return request_id in self._cancelled

    def forget_cancel(self, request_id: str) -> None:
        self._cancelled.discard(request_id)

    @property
    def llm(self):  # noqa: ANN201 - llama_cpp.Llama
        return self._require_model()

    def _require_model(self):  # noqa: ANN202 - llama_cpp.Llama, imported lazily
        if self._llm is None:
            raise RuntimeError("no model is loaded")
        return self._llm


class _PlacementLog:
    """While a model loads, keep llama.cpp's log lines that say where the weights went (llama-cpp-python
    prints its log callback to sys.stderr); every line still reaches stderr."""

    _KEEP = ("offload", "buffer size", "using device", "gpu")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._stderr = sys.stderr

    def write(self, text: str) -> int:
        self._stderr.write(text)
        for line in text.splitlines():
            if any(word in line.lower() for word in self._KEEP) and len(self.lines) < 40:
                self.lines.append(line.strip())
        return len(text)

    def flush(self) -> None:
        self._stderr.flush()

    def __enter__(self) -> _PlacementLog:
        sys.stderr = self  # type: ignore[assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        sys.stderr = self._stderr


def _token_text(llm, token: int) -> str:  # noqa: ANN001 - llama_cpp.Llama
    return llm._model.token_get_text(token) if token >= 0 else ""


def main() -> None:
    # Keep a private handle on the real stdout for the protocol, then send fd 1 to stderr.
    protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = Worker(protocol_out)
    threading.Thread(target=worker.read_requests, args=(sys.stdin.buffer,), daemon=True).start()
    worker.send({"event": "ready", "pid": os.getpid()})
    worker.serve()
    # Leave without interpreter shutdown: the reader thread is still blocked inside stdin's buffered
    # read, holding its lock, and finalizing the interpreter under it aborts the process (SIGABRT,
    # "could not acquire lock for <stdin>"): a crash report for every clean exit. Nothing is left to
    # flush but stderr; the OS takes back the model's memory as it does on any exit.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()

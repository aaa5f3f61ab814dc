"""The calling side of the llama.cpp worker process: start it, load a model once and keep it warm,
stream completions, cancel them, and turn a dead worker into a sentence (then start afresh)."""

from __future__ import annotations

import collections
import itertools
import json
import logging
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.errors import Cancelled, EngineCrashed, GenerationError, ModelError
from engine.inference import Completion, ModelInfo, Sampling, TextCallback
from engine.inference.exits import exit_sentence
from engine.inference.placement import failure_cause, fallback_sentence, read_placement
from engine.progress import CancelToken

log = logging.getLogger(__name__)

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
# How often a waiting caller looks at its cancel token: bounds cancel latency from our side.
_POLL_S = 0.05


@dataclass(frozen=True)
class LocalSettings:
    n_ctx: int = 2048
    n_threads: int | None = None
    n_gpu_layers: int = 0
    lora_path: str | None = None
    idle_unload_s: float | None = 600.0
    load_timeout_s: float = 120.0


def worker_command() -> list[str]:
    """How to start the worker: the bundled executable re-enters itself with a flag; a source
    install runs the module with the same interpreter."""
    # A command to run the worker under, for the portability check of a bundle (bench/portability.py
    # --bundle): e.g. "qemu-x86_64 -cpu Nehalem", so the worker runs on the same emulated CPU as the app.
    prefix = shlex.split(os.environ.get("RIDDLEWIRE_WORKER_PREFIX", ""))
    if getattr(sys, "frozen", False):
        return [*prefix, sys.executable, "--engine-worker"]
    return [*prefix, sys.executable, "-m", "engine.inference.worker"]


class LocalModel:
    """One GGUF model behind a worker process. Thread-safe: calls are serialised."""

    def __init__(self, path: Path | str, settings: LocalSettings | None = None, log_file: Path | None = None):
        self.path = Path(path)
        self.settings = settings or LocalSettings()
        self.log_file = log_file
        self.info: ModelInfo | None = None
        self._proc: subprocess.Popen | None = None
        self._events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._idle_timer: threading.Timer | None = None
        self._stderr_reader: threading.Thread | None = None
        self._last_exit_code: int | None = None
        # Set when a GPU load failed and the CPU load worked: the sentence saying so, kept for later loads.
        self.gpu_refused = ""

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def load(self) -> ModelInfo:
        """Start the worker if needed and load the model (a no-op when it is already warm).

        A load meant for the GPU that fails (llama.cpp refuses, or the worker dies in native code,
        as a CUDA fault does) is tried once more on the CPU in a fresh worker; ModelInfo.fallback then
        says why. This LocalModel stays on the CPU from then on, so a GPU that cannot take the model
        is not retried on every request; new settings (switch_to, or a new LocalModel) try it again."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None and self.info is not None:
                return self.info
            if not self.path.is_file():
                raise ModelError(f"The model file {self.path} does not exist. Download or import it again.")
            settings = replace(self.settings, n_gpu_layers=0) if self.gpu_refused else self.settings
            self._start(hide_gpus=bool(self.gpu_refused))
            try:
                info = self._load_in_worker(settings)
            except (ModelError, EngineCrashed) as failure:
                if settings.n_gpu_layers == 0:
                    raise
                sentence = fallback_sentence(self._failure_cause(failure))
                log.warning(
                    "GPU load of %s failed; loading it on the CPU instead. %s", self.path.name, sentence
                )
                self._start(
                    hide_gpus=True
                )  # a fresh worker: a failed CUDA load can leave the old one unusable
                info = self._load_in_worker(replace(settings, n_gpu_layers=0))
                self.gpu_refused = sentence  # only once the CPU load worked: else the file is at fault
            if self.gpu_refused:
                info = replace(info, fallback=self.gpu_refused)
            elif settings.n_gpu_layers != 0 and info.gpu_layers == 0:
                info = replace(
                    info, fallback="llama.cpp found no GPU it could use, so this model runs on the CPU."
                )
            self.info = info
            log.info(
                "loaded %s in %.2fs: %d of %d layers on %s",
                self.path.name,
                info.load_s,
                info.gpu_layers,
                info.layers_total,
                info.backend,
            )
            if info.placement:
                log.info("llama.cpp placement for %s:\n%s", self.path.name, info.placement)
            return info

    def _load_in_worker(self, settings: LocalSettings) -> ModelInfo:
        self._stderr_tail.clear()  # the failure cause, if any, is read from this load's lines only
        self._send(
            {
                "op": "load",
                "path": str(self.path),
                "n_ctx": settings.n_ctx,
                "n_threads": settings.n_threads,
                "n_gpu_layers": settings.n_gpu_layers,
                "lora_path": settings.lora_path,
            }
        )
        event = self._next_event(timeout=settings.load_timeout_s)
        if event.get("event") == "error":
            self._stop()
            if event.get("kind") == "kernels":  # llama.cpp itself cannot run here: the file is fine
                raise ModelError(str(event.get("message")))
            raise ModelError(
                f"The model {self.path.name} could not be loaded: {event.get('message', 'unknown reason')}. "
                "The file may be damaged or not a model llama.cpp can run."
            )
        fields = {k: event[k] for k in ModelInfo.__dataclass_fields__ if k in event}
        fields["kernel_notes"] = tuple(fields.get("kernel_notes", ()))
        info = ModelInfo(**fields)
        # The worker's own gpu_layers is the request, clamped; llama.cpp's log says what it did.
        blocks = info.metadata.get(f"{info.architecture}.block_count", "")
        total = int(blocks) + 1 if blocks.isdigit() else 0
        placed = read_placement(info.placement)
        if placed is None:  # a build that cannot offload logs no offload line: all on the CPU
            return replace(info, gpu_layers=0, layers_total=total, backend="CPU")
        return replace(
            info,
            gpu_layers=placed.gpu_layers,
            layers_total=placed.layers_total or total,
            backend=placed.backend,
        )

    def _failure_cause(self, failure: ModelError | EngineCrashed) -> str:
        """llama.cpp's reason from the failed worker's last lines, else the signal that ended it."""
        if self._stderr_reader is not None:
            self._stderr_reader.join(timeout=2)  # the worker has exited: wait for its last lines
        cause = failure_cause(list(self._stderr_tail))
        if cause or isinstance(failure, ModelError):
            return cause
        code = self._last_exit_code
        if code is not None and code < 0:
            try:
                return f"the engine crashed with {signal.Signals(-code).name} while loading it on the GPU"
            except ValueError:
                return f"the engine stopped on signal {-code} while loading it on the GPU"
        said = failure.sentence.rstrip(".")  # e.g. a load that did not answer in time
        return said[:1].lower() + said[1:]

    def close(self) -> None:
        """Stop the worker and give its memory back."""
        with self._lock:
            self._stop()

    def switch_to(self, path: Path | str, settings: LocalSettings | None = None) -> None:
        """Use another model (or other settings) from the next call on. The worker exits, which gives
        all of the old model's memory back at once; the new one loads on first use."""
        with self._lock:
            self._stop()
            if Path(path) != self.path or (settings is not None and settings != self.settings):
                self.gpu_refused = ""  # new model or settings: the GPU gets another try
            self.path = Path(path)
            self.settings = settings or self.settings

    def _start(self, hide_gpus: bool = False) -> None:
        self._stop()
        env = dict(os.environ)
        if hide_gpus:
            # A CUDA build still makes a GPU context, compute buffers and prompt-batch offloads with
            # n_gpu_layers=0, so a GPU out of memory (or in a bad state) would fail the CPU load too.
            env.update(CUDA_VISIBLE_DEVICES="", HIP_VISIBLE_DEVICES="")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
        self._events = queue.Queue()
        self._proc = subprocess.Popen(
            worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            bufsize=0,
        )
        threading.Thread(target=self._read_events, args=(self._proc, self._events), daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, args=(self._proc,), daemon=True)
        self._stderr_reader.start()
        ready = self._next_event(timeout=60)
        if ready.get("event") != "ready":
            raise EngineCrashed("The engine did not start: " + json.dumps(ready)[:200])

    def _stop(self) -> None:
        self._cancel_idle_timer()
        proc, self._proc, self.info = self._proc, None, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.stdin.write(b'{"op": "exit"}\n')
                proc.stdin.flush()
                proc.wait(timeout=3)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        try:
            proc.stdin.close()
        except OSError:
            pass
        # stdout and stderr are closed by their reader threads when they reach the end: closing them
        # here, under a thread still reading, raised "Bad file descriptor" in that thread.

    # -- generation ----------------------------------------------------------------------------
    def complete(
        self,
        prompt: str,
        sampling: Sampling,
        on_text: TextCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        with self._lock:
            self._cancel_idle_timer()
            try:
                self.load()
                return self._complete(prompt, sampling, on_text, cancel)
            finally:
                self._arm_idle_timer()

    def _complete(self, prompt, sampling, on_text, cancel) -> Completion:  # noqa: ANN001
        def on_event(event: dict[str, Any]) -> None:
            if event.get("event") == "text" and on_text is not None and not (cancel and cancel.cancelled):
                on_text(event["text"])

        done = self._stream(
            {"op": "complete", "prompt": prompt, "sampling": _sampling_dict(sampling)}, on_event, cancel
        )
        return Completion(
            text=done["text"],
            prompt_tokens=done["prompt_tokens"],
            completion_tokens=done["completion_tokens"],
            latency_s=done["latency_s"],
            first_token_s=done["first_token_s"],
            finish_reason=done["finish_reason"],
        )

    def call(
        self,
        target: str,
        request: dict[str, Any],
        on_event: Callable[[dict[str, Any]], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> dict[str, Any]:
        """Run `target` ("engine.module:function") inside the worker with the model loaded, passing
        every event it sends to on_event, until its "done" event, which is returned."""
        with self._lock:
            self._cancel_idle_timer()
            try:
                self.load()
                return self._stream(
                    {"op": "call", "target": target, **request}, on_event or (lambda _e: None), cancel
                )
            finally:
                self._arm_idle_timer()

    def cancel_part(self, part_id: str) -> None:
        """Cancel one part of a running call ("<call id>/<part>", e.g. one article of a batch: issue 10)
        while the rest goes on. Call it from that call's on_event, the thread that owns the pipe."""
        self._send({"op": "cancel", "id": part_id})

    def _stream(
        self, request: dict[str, Any], on_event: Callable[[dict[str, Any]], None], cancel: CancelToken | None
    ) -> dict[str, Any]:
        """Send one request and pump its events until "done" (returned) or "error" (raised).
        A cancel is passed on to the worker and raises Cancelled at once: the caller never waits for
        the worker's next token (a starved CPU can delay that by seconds). The worker stops at that
        token, before it reads the next request; its late events carry an old id and are dropped."""
        rid = str(next(self._ids))
        self._send({**request, "id": rid})
        while True:
            if cancel is not None and cancel.cancelled:
                self._send({"op": "cancel", "id": rid})
                raise Cancelled()
            event = self._poll()
            if event is None:
                continue
            if event.get("id") not in (rid, None):
                continue  # a late event of an earlier, abandoned request
            kind = event.get("event")
            if kind == "error":
                raise GenerationError(f"The model could not generate text: {event.get('message')}.")
            if kind == "done":
                if event.get("finish_reason") == "cancelled":
                    raise Cancelled()
                return event
            on_event(event)

    # -- idle unload ---------------------------------------------------------------------------
    def _arm_idle_timer(self) -> None:
        seconds = self.settings.idle_unload_s
        if seconds:
            self._idle_timer = threading.Timer(seconds, self._unload_if_idle)
            self._idle_timer.daemon = True
            self._idle_timer.start()

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _unload_if_idle(self) -> None:
        if self._lock.acquire(blocking=False):
            try:
                log.info("unloading %s after %.0fs idle", self.path.name, self.settings.idle_unload_s)
                self._stop()
            finally:
                self._lock.release()

    # -- pipes ---------------------------------------------------------------------------------
    def _send(self, request: dict[str, Any]) -> None:
        try:
            self._proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            self._proc.stdin.flush()
        except (OSError, AttributeError):
            self._died()

    def _next_event(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self._poll()
            if event is None:
                continue
            if event.get("id") is not None:
                continue  # a late event of a request its caller cancelled
            return event
        self._stop()
        raise EngineCrashed(f"The engine did not answer within {timeout:.0f} seconds and was stopped.")

    def _poll(self) -> dict[str, Any] | None:
        """The next event, or None after a short wait; a dead worker raises EngineCrashed here."""
        try:
            event = self._events.get(timeout=_POLL_S)
        except queue.Empty:
            self._check_alive()
            return None
        if event is None:  # the reader thread saw the pipe close
            self._died()
        return event

    def _check_alive(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._died()

    def _died(self) -> None:
        """The worker is gone: report why, and forget it so the next call starts a fresh one."""
        proc = self._proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
        self._last_exit_code = code
        time.sleep(0.05)  # let the stderr reader catch the last lines
        sentence = exit_sentence(code, "\n".join(self._stderr_tail))
        log.error("engine worker died (%s): %s", code, sentence)
        self._proc, self.info = None, None
        raise EngineCrashed(sentence)

    @staticmethod
    def _read_events(proc: subprocess.Popen, events: queue.Queue) -> None:
        with proc.stdout:
            for raw in proc.stdout:
                try:
                    events.put(json.loads(raw))
                except ValueError:
                    log.warning("engine sent a line that is not JSON: %r", raw[:200])
        events.put(None)

    def _read_stderr(self, proc: subprocess.Popen) -> None:
        engine_log = logging.getLogger("engine.worker")
        with proc.stderr:
            for raw in proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    self._stderr_tail.append(line)
                    engine_log.debug("%s", line)


def _sampling_dict(sampling: Sampling) -> dict[str, Any]:
    return {
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "seed": sampling.seed,
        "stop": list(sampling.stop),
        "top_k": sampling.top_k,
        "min_p": sampling.min_p,
        "repeat_penalty": sampling.repeat_penalty,
        "grammar": sampling.grammar,
    }

"""LLM as a service: any OpenAI-compatible endpoint (llama.cpp's or llama-cpp-python's server, vLLM,
Ollama, a paid API) behind the same Backend protocol as the local worker.

The prompt goes out as one user message to `{base_url}/chat/completions` and the reply streams back
as server-sent events. The HTTP read runs on its own thread, so a cancel is honoured within one poll
even while the server is silent, and every response is bounded in time and size."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from engine.errors import Cancelled, ServiceError
from engine.inference import Completion, Sampling, TextCallback
from engine.progress import CancelToken

_POLL_S = 0.05
MAX_REPLY_CHARS = 64_000
MAX_STOP_STRINGS = 4  # the OpenAI API's own limit


@dataclass(frozen=True)
class ServiceSettings:
    """Where the service is. The API key is not here: it lives in the OS keyring (engine.secrets)."""

    base_url: str  # e.g. http://127.0.0.1:8080/v1
    model: str
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 120.0  # longest silence between two streamed pieces


class ServiceBackend:
    """Completions from an OpenAI-compatible endpoint. Thread-safe: one request at a time per client."""

    def __init__(self, settings: ServiceSettings, api_key: str | None = None):
        self.settings = settings
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        timeout = httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)
        self._client = httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/", headers=headers, timeout=timeout
        )

    def complete(
        self,
        prompt: str,
        sampling: Sampling,
        on_text: TextCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        events: queue.Queue[tuple[str, Any]] = queue.Queue()
        started = time.perf_counter()
        stream = _Stream(self._client, self._body(prompt, sampling), events)
        threading.Thread(target=stream.run, daemon=True).start()
        pieces: list[str] = []
        first: float | None = None
        while True:
            if cancel is not None and cancel.cancelled:
                stream.close()
                raise Cancelled()
            try:
                kind, value = events.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if kind == "error":
                raise value
            if kind == "done":
                return self._completion(pieces, value, started, first)
            first = first if first is not None else time.perf_counter() - started
            pieces.append(value)
            if on_text is not None:
                on_text(value)

    def close(self) -> None:
        self._client.close()

    def _body(self, prompt: str, sampling: Sampling) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "stream": True,
        }
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        if sampling.stop:
            body["stop"] = list(sampling.stop[:MAX_STOP_STRINGS])
        return body

    def _completion(
        self, pieces: list[str], done: dict[str, Any], started: float, first: float | None
    ) -> Completion:
        elapsed = time.perf_counter() - started
        usage = done.get("usage") or {}
        return Completion(
            text="".join(pieces),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            # Servers stream about one token per event; usage, when sent, is exact.
            completion_tokens=int(usage.get("completion_tokens") or len(pieces)),
            latency_s=elapsed,
            first_token_s=first if first is not None else elapsed,
            finish_reason=done.get("finish_reason") or "stop",
        )


class _Stream:
    """One streamed request, read on a thread: puts ("text", str), then ("done", info) or ("error", exc)."""

    def __init__(self, client: httpx.Client, body: dict[str, Any], events: queue.Queue):
        self._client, self._body, self._events = client, body, events
        self._response: httpx.Response | None = None
        self._closed = False

    def close(self) -> None:
        self._closed = True
        if self._response is not None:
            self._response.close()

    def run(self) -> None:
        url = str(self._client.base_url)
        try:
            with self._client.stream("POST", "chat/completions", json=self._body) as response:
                self._response = response
                if response.status_code >= 400:
                    response.read()
                    raise _refusal(response, url, self._body["model"])
                self._events.put(("done", self._read(response)))
        except ServiceError as error:
            self._events.put(("error", error))
        except httpx.TimeoutException:
            self._events.put(
                (
                    "error",
                    ServiceError(
                        f"The service at {url} stopped answering (timed out). Try again, or check the server."
                    ),
                )
            )
        except (httpx.HTTPError, OSError) as error:
            if not self._closed:
                self._events.put(
                    (
                        "error",
                        ServiceError(
                            f"Could not reach the service at {url} ({error.__class__.__name__}). Check the "
                            "address and that the server is running."
                        ),
                    )
                )

    def _read(self, response: httpx.Response) -> dict[str, Any]:
        done: dict[str, Any] = {}
        size = 0
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            chunk = _json(data)
            if chunk.get("usage"):
                done["usage"] = chunk["usage"]
            for choice in chunk.get("choices") or []:
                text = (choice.get("delta") or {}).get("content") or choice.get("text") or ""
                if text:
                    size += len(text)
                    if size > MAX_REPLY_CHARS:
                        return {**done, "finish_reason": "length"}
                    self._events.put(("text", text))
                if choice.get("finish_reason"):
                    done["finish_reason"] = choice["finish_reason"]
        return done


def _json(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as error:
        raise ServiceError("The service sent something that is not OpenAI-compatible JSON.") from error
    if isinstance(value, dict) and value.get("error"):
        message = str(
            value["error"].get("message", value["error"])
            if isinstance(value["error"], dict)
            else value["error"]
        )
        raise ServiceError(f"The service reported an error: {message[:200]}")
    return value if isinstance(value, dict) else {}


def _refusal(response: httpx.Response, url: str, model: str) -> ServiceError:
    status = response.status_code
    if status in (401, 403):
        return ServiceError(
            f"The service at {url} refused the API key (HTTP {status}). Check the key in Settings."
        )
    if status == 404:
        return ServiceError(
            f"The service at {url} has no chat endpoint or no model named {model!r} (HTTP 404). "
            "Check the base URL (it usually ends in /v1) and the model name."
        )
    if status == 429:
        return ServiceError(
            f"The service at {url} is rate-limiting requests (HTTP 429). Wait a moment and retry."
        )
    detail = " ".join(response.text[:200].split())
    return ServiceError(f"The service at {url} failed the request (HTTP {status}): {detail}")

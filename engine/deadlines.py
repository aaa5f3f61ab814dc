"""A deadline for a whole HTTP exchange, headers included.

httpx's timeouts bound each single read. A server that drips its status line and headers one byte
every few seconds never trips them, and the body's own deadline (engine/feeds/fetch.py) only starts
once the headers are complete, so such a server held a feed refresh forever (found by
tests/robustness/test_hostile_feeds.py). Here every socket read and write made on a thread inside
`deadline(seconds)` gets at most the time that is left, and none once it has passed: the request then
fails with httpx.ReadTimeout, which callers already turn into a sentence."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx

_local = threading.local()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Bound every read and write on this thread's requests (through a client from `bounded_transport`)."""
    outer = getattr(_local, "at", None)
    _local.at = min(time.monotonic() + seconds, outer or float("inf"))
    try:
        yield
    finally:
        _local.at = outer


def bounded_transport(**options: Any) -> httpx.HTTPTransport:
    """An httpx transport whose connections obey `deadline()` (options as for httpx.HTTPTransport)."""
    transport = httpx.HTTPTransport(**options)
    # httpx has no public hook for the network backend; the pool's is wrapped in place. The slowloris
    # test in tests/robustness fails loudly if a new httpx moves it.
    pool = transport._pool
    pool._network_backend = _Backend(pool._network_backend)
    return transport


def _left(timeout: float | None) -> float | None:
    at = getattr(_local, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend):
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_tcp(host, port, _left(timeout), local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)

"""A real OpenAI-compatible peer: llama-cpp-python's own server (its `llama_cpp.server` module) on
127.0.0.1, serving a GGUF file. Nothing is mocked; the service backend talks HTTP to it.

llama.cpp is built with runtime CPU dispatch (GGML_BACKEND_DL): every program that hosts it loads its
CPU kernels first, as our worker does, or the model fails with "no backends are loaded". So the
server runs under a two-line launcher that loads them through engine.inference.backends first."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

_LAUNCHER = (
    "import runpy; from engine.inference.backends import ensure_loaded; ensure_loaded(); "
    "runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def llama_server(model: Path, *, api_key: str | None = None, n_ctx: int = 2048) -> Iterator[str]:
    """Start the server and yield its base URL ("http://127.0.0.1:PORT/v1"); stop it afterwards."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        _LAUNCHER,
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--model_alias",
        "riddler",
    ]
    if api_key:
        command += ["--api_key", api_key]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(proc, base, api_key)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen, base: str, api_key: str | None, timeout: float = 90.0) -> None:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                "llama_cpp.server exited: " + proc.stderr.read().decode("utf-8", "replace")[-2000:]
            )
        try:
            if httpx.get(f"{base}/models", headers=headers, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("llama_cpp.server did not start in time")

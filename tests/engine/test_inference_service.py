"""The service backend against a real OpenAI-compatible peer: llama-cpp-python's own server on
127.0.0.1 serving the scripted synthetic model. Failure cases use real sockets too."""

import socket
import threading
import time

import pytest

from engine.errors import Cancelled, ServiceError
from engine.inference import Sampling
from engine.inference.service import ServiceBackend, ServiceSettings
from engine.progress import CancelToken
from tests.support.llama_server import free_port, llama_server
from tests.support.synthetic_gguf import SCRIPT, SCRIPT_TEXT

GREEDY = Sampling(temperature=0.0, max_tokens=64, seed=3)
KEY = "sk-test-riddlewire"


@pytest.fixture(scope="module")
def server(scripted_gguf):
    with llama_server(scripted_gguf, api_key=KEY) as base:
        yield base


def test_streams_a_completion_in_order(server):
    backend = ServiceBackend(ServiceSettings(server, "riddler"), api_key=KEY)
    pieces = []
    completion = backend.complete("Make a riddle.", GREEDY, on_text=pieces.append)
    backend.close()
    assert completion.text == SCRIPT_TEXT
    assert pieces == list(SCRIPT)  # one event per token, in order
    assert completion.completion_tokens == len(SCRIPT)
    assert 0 < completion.first_token_s <= completion.latency_s and completion.finish_reason == "stop"


def test_stop_strings_reach_the_server(server):
    backend = ServiceBackend(ServiceSettings(server, "riddler"), api_key=KEY)
    completion = backend.complete("x", Sampling(temperature=0.0, max_tokens=64, stop=("\nHint 1",)))
    backend.close()
    assert completion.text == SCRIPT_TEXT[: SCRIPT_TEXT.index("\nHint 1")]


def test_a_wrong_key_is_a_sentence(server):
    backend = ServiceBackend(ServiceSettings(server, "riddler"), api_key="wrong")
    with pytest.raises(ServiceError, match="refused the API key"):
        backend.complete("x", GREEDY)


def test_an_unreachable_service_is_a_sentence():
    backend = ServiceBackend(ServiceSettings(f"http://127.0.0.1:{free_port()}/v1", "m", connect_timeout_s=2))
    with pytest.raises(ServiceError, match="Could not reach the service"):
        backend.complete("x", GREEDY)


@pytest.fixture
def silent_server():
    """Accepts connections and never answers: a stuck service."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_cancel_works_while_the_service_is_silent(silent_server):
    backend = ServiceBackend(ServiceSettings(silent_server, "m"))
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    started = time.perf_counter()
    with pytest.raises(Cancelled):
        backend.complete("x", GREEDY, cancel=token)
    assert time.perf_counter() - started < 0.3 + 0.4


def test_a_silent_service_times_out_with_a_sentence(silent_server):
    backend = ServiceBackend(ServiceSettings(silent_server, "m", read_timeout_s=0.5))
    with pytest.raises(ServiceError, match="stopped answering"):
        backend.complete("x", GREEDY)

"""The llama.cpp worker process, driven with real GGUF files (synthetic: milliseconds to load)."""

import os
import signal
import threading
import time

import pytest

from engine.errors import Cancelled, EngineCrashed, ModelError
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.progress import CancelToken
from tests.support.synthetic_gguf import SCRIPT_TEXT

GREEDY = Sampling(temperature=0.0, max_tokens=64, seed=1)


@pytest.fixture
def scripted(scripted_gguf):
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=512, idle_unload_s=None))
    yield model
    model.close()


def test_completes_and_streams_in_order(scripted):
    pieces = []
    completion = scripted.complete("News: x\nRiddle:", GREEDY, on_text=pieces.append)
    assert completion.text == SCRIPT_TEXT
    assert "".join(pieces) == SCRIPT_TEXT
    assert completion.completion_tokens >= 8 and completion.prompt_tokens > 5
    assert 0 < completion.first_token_s <= completion.latency_s


def test_model_stays_warm_between_calls(scripted):
    scripted.complete("a:", GREEDY)
    pid = scripted.pid
    scripted.complete("b:", GREEDY)
    assert scripted.pid == pid


def test_stop_strings_end_generation(scripted):
    completion = scripted.complete("x:", Sampling(temperature=0.0, max_tokens=64, stop=("\nHint 1",)))
    assert completion.text == SCRIPT_TEXT[: SCRIPT_TEXT.index("\nHint 1")]


# A long context lets the random model generate for many seconds unless cancelled.
LONG = LocalSettings(n_ctx=32768, idle_unload_s=None)


def test_cancel_stops_within_200ms(random_gguf):
    model = LocalModel(random_gguf, LONG)
    try:
        model.load()
        token = CancelToken()
        errors = []

        def run():
            try:
                model.complete("w1 w2", Sampling(max_tokens=30_000, temperature=1.0), cancel=token)
            except Cancelled as stop:
                errors.append(stop)

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "generation ended before it could be cancelled"
        started = time.perf_counter()
        token.cancel()
        thread.join(5)
        latency = time.perf_counter() - started
        assert errors and isinstance(errors[0], Cancelled)
        assert latency < 0.2 + 0.3, f"cancel took {latency:.3f}s"  # generous on a loaded 2-core CI box
        assert model.complete("w1", Sampling(max_tokens=3)).completion_tokens == 3  # usable afterwards
    finally:
        model.close()


def _kill_while_generating(model: LocalModel, sig: int) -> EngineCrashed:
    model.load()
    killer = threading.Timer(0.4, lambda: os.kill(model.pid, sig))
    killer.start()
    with pytest.raises(EngineCrashed) as caught:
        model.complete("w1", Sampling(max_tokens=30_000))
    killer.join()
    return caught.value


def test_sigkill_mid_generation_is_a_sentence_and_next_request_works(random_gguf):
    model = LocalModel(random_gguf, LONG)
    try:
        error = _kill_while_generating(model, signal.SIGKILL)
        assert "killed" in error.sentence and "memory" in error.sentence
        assert model.complete("w1", Sampling(max_tokens=4)).completion_tokens == 4
    finally:
        model.close()


def test_sigill_is_explained_as_an_illegal_instruction(random_gguf):
    model = LocalModel(random_gguf, LONG)
    try:
        error = _kill_while_generating(model, signal.SIGILL)
        assert "illegal instruction" in error.sentence
    finally:
        model.close()


def test_idle_model_is_unloaded(scripted_gguf):
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=512, idle_unload_s=0.3))
    try:
        model.complete("x:", GREEDY)
        assert model.pid is not None
        deadline = time.monotonic() + 5
        while model.pid is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert model.pid is None
        assert model.complete("x:", GREEDY).text == SCRIPT_TEXT  # and comes back on demand
    finally:
        model.close()


def test_missing_and_broken_models_say_so(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        LocalModel(tmp_path / "nope.gguf").load()
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 100)
    model = LocalModel(broken)
    with pytest.raises((ModelError, EngineCrashed)):
        model.load()
    model.close()


def test_model_info_says_what_loaded_and_where(scripted_gguf):
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=512, idle_unload_s=None))
    try:
        info = model.load()
    finally:
        model.close()
    assert info.n_ctx == 512 and info.architecture == "llama" and not info.has_chat_template
    assert info.gpu_layers == 0  # this CPU build offloads nothing, whatever was asked
    assert "CPU" in info.placement  # llama.cpp's own words about where the weights went
    assert info.bos_token == "<s>" and info.eos_token == "</s>"


def test_switching_models_ends_the_old_worker(scripted_gguf, random_gguf):
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=512, idle_unload_s=None))
    try:
        model.load()
        old_pid = model.pid
        model.switch_to(random_gguf)
        assert model.pid is None  # the old worker has exited: all of its memory is back
        with pytest.raises(ProcessLookupError):
            os.kill(old_pid, 0)
        assert model.load().path == str(random_gguf) and model.pid != old_pid
    finally:
        model.close()


def test_a_grammar_constrains_the_output(random_gguf):
    model = LocalModel(random_gguf, LocalSettings(n_ctx=512, idle_unload_s=None))
    grammar = 'root ::= " w1" (" w2" | " w3") " w4"'
    try:
        completion = model.complete("w5", Sampling(temperature=1.0, max_tokens=20, seed=4, grammar=grammar))
    finally:
        model.close()
    assert completion.text in (" w1 w2 w4", " w1 w3 w4")


def test_a_prompt_longer_than_the_context_is_a_sentence(random_gguf):
    from engine.errors import GenerationError

    model = LocalModel(random_gguf, LocalSettings(n_ctx=256, idle_unload_s=None))
    try:
        with pytest.raises(GenerationError, match="raise the context length"):
            model.complete("w1 " * 400, Sampling(max_tokens=4))
        assert model.complete("w1", Sampling(max_tokens=2)).completion_tokens == 2
    finally:
        model.close()

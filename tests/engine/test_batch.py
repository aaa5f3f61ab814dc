"""Batched riddling (issue 10) with real llama.cpp on synthetic GGUF files: the worker's batch
generator directly, and the caller's riddle_*_batched against the one-by-one path."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from engine.batching import SKIPPED, ArticleSkips, riddle_articles_batched, riddle_pending_batched
from engine.errors import Cancelled
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.progress import CancelToken
from engine.prompts import Prompt
from engine.riddling import ModelIdentity, Riddler, riddle_articles
from engine.samples import sample_articles
from engine.store import Store
from tests.support.synthetic_gguf import SCRIPT_ANSWER, SCRIPT_TEXT

BATCH = "engine.inference.batch:run"
GREEDY = {"temperature": 0.0, "top_p": 0.95, "max_tokens": 24, "stop": []}


class ShortPipeline:
    """A two-line prompt: the synthetic models' byte-level vocabularies make the real few-shot
    prefix thousands of tokens long, which would only slow these plumbing tests down."""

    name = "few-shot"

    def prompt(self, article) -> Prompt:  # noqa: ANN001
        return Prompt(prefix="Riddles from the news.\n", suffix=f"News: {article.title[:40]}\nAnswer:")


def riddler_for(model: LocalModel, sampling: Sampling, attempts: int = 3) -> Riddler:
    """subjects=False: these are plumbing tests, the scripted model answers "lantern" (the answer
    constraint has its own tests in test_subjects.py)."""
    return Riddler(
        model,
        ShortPipeline(),
        ModelIdentity("m.gguf", "", "tiny"),
        sampling,
        max_attempts=attempts,
        subjects=False,
    )


def lantern_news(count: int) -> list:
    """Sample articles that mention a lantern, so the scripted model's answer names their story (the
    quality checks refuse an answer that is not in it)."""
    return [replace(a, summary=f"{a.summary} A lantern marks the spot.") for a in sample_articles()[:count]]


def run_batch(model: LocalModel, prompts: list[str], sampling: dict, width: int, **extra):
    events: list[dict] = []
    jobs = [{"prompt": p, "primer": "", "seeds": [7], "sampling": sampling} for p in prompts]
    done = model.call(BATCH, {"jobs": jobs, "width": width, **extra}, events.append)
    return done, events


def finished(events: list[dict]) -> list[dict]:
    return [e for e in events if e["event"] == "finished"]


@pytest.fixture
def scripted(scripted_gguf):
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=2048, idle_unload_s=None))
    yield model
    model.close()


@pytest.fixture
def random_model(random_gguf):
    model = LocalModel(random_gguf, LocalSettings(n_ctx=2048, idle_unload_s=None))
    yield model
    model.close()


def test_greedy_batch_equals_one_by_one_token_for_token(random_model):
    """Random weights make greedy decoding chaotic, so any slip in positions, prefix sharing or
    sampling shows up at once. (Batched float numerics could in principle flip a near-tie; on this
    f32 model they do not, and the real-model test below measures the Q4_K case.)"""
    prompts = [f"w{i} w{i + 7} w{3 * i} w{i + 1}" for i in range(1, 7)]
    one_by_one = [
        random_model.complete(p, Sampling(temperature=0.0, max_tokens=24, seed=7)).text for p in prompts
    ]
    done, events = run_batch(random_model, prompts, GREEDY, width=4, trace=True)
    assert done["finish_reason"] == "stop"
    by_job = {e["job"]: e for e in finished(events)}
    assert [by_job[i]["text"] for i in range(len(prompts))] == one_by_one
    assert all(e["finish_reason"] == "length" and len(e["tokens"]) == 24 for e in by_job.values())


def test_queue_longer_than_width_refills_slots_and_never_exceeds_width(scripted):
    prompts = [f"News {i}: a lamp\nRiddle:" for i in range(7)]
    done, events = run_batch(scripted, prompts, GREEDY | {"max_tokens": 64}, width=2)
    plan = next(e for e in events if e["event"] == "batch")
    assert plan["width"] == 2 and plan["shared_tokens"] > 0
    ends = finished(events)
    assert sorted(e["job"] for e in ends) == list(range(7))
    assert all(e["text"] == SCRIPT_TEXT and e["finish_reason"] == "stop" for e in ends)
    assert all(e["live"] <= 2 for e in events if e["event"] == "step")


def test_stop_strings_end_each_sequence(scripted):
    prompts = [f"Item {i}:" for i in range(5)]
    _, events = run_batch(scripted, prompts, GREEDY | {"max_tokens": 64, "stop": ["\nHint 1"]}, width=2)
    texts = [e["text"] for e in finished(events)]
    assert len(texts) == 5 and all(t == SCRIPT_TEXT[: SCRIPT_TEXT.index("\nHint 1")] for t in texts)


def test_batched_riddles_equal_one_by_one_riddles_and_arrive_one_by_one(scripted, tmp_path):
    articles = lantern_news(6)
    riddler = riddler_for(scripted, Sampling(temperature=0.0, max_tokens=64, seed=3))
    serial = riddle_articles(Store(tmp_path / "serial.db"), articles, riddler)
    store = Store(tmp_path / "batched.db")
    seen = []
    run = riddle_articles_batched(store, articles, riddler, seen.append, width=2)
    assert not run.failed and len(run.stored) == 6 == store.count_riddles()
    assert [p.item.id for p in seen if p.item] == [s.id for s in run.stored]  # each reported when stored
    assert {s.article.key: s.riddle for s in run.stored} == {s.article.key: s.riddle for s in serial.stored}
    first = run.stored[0]
    assert first.riddle.answer == SCRIPT_ANSWER and first.provenance.completion_tokens > 0
    assert '"seed": 3' in first.provenance.sampling  # attempt 1 uses the Riddler's base seed


def test_rejected_attempts_rejoin_the_queue_then_fail_with_the_riddlers_sentence(random_model, tmp_path):
    articles = sample_articles()[:2]
    riddler = riddler_for(random_model, Sampling(temperature=0.8, max_tokens=6, seed=11))
    events: list[dict] = []
    original = random_model.call

    def recording_call(target, request, on_event=None, cancel=None):  # noqa: ANN001, ANN202
        return original(target, request, lambda e: (events.append(e), on_event(e)), cancel)

    random_model.call = recording_call
    run = riddle_articles_batched(Store(tmp_path / "h.db"), articles, riddler, width=1)
    assert not run.stored and len(run.failed) == 2
    assert all("after 3 tries" in sentence for _, sentence in run.failed)
    # Width 1 shows the queue order: each retry goes to the back, behind the other article.
    assert [(e["job"], e["attempt"]) for e in finished(events)] == [
        (0, 1),
        (1, 1),
        (0, 2),
        (1, 2),
        (0, 3),
        (1, 3),
    ]
    assert [e["retry"] for e in finished(events)] == [True, True, True, True, False, False]


def test_cancel_stops_the_whole_batch_and_the_model_stays_usable(random_model, tmp_path):
    token = CancelToken()
    riddler = riddler_for(random_model, Sampling(temperature=1.0, max_tokens=1500, seed=1))
    started = threading.Event()

    def progress(p):  # noqa: ANN001
        if "at a time" in p.message:
            started.set()

    timer = threading.Thread(target=lambda: (started.wait(30), token.cancel()))
    timer.start()
    store = Store(tmp_path / "h.db")
    with pytest.raises(Cancelled):
        riddle_articles_batched(store, sample_articles()[:4], riddler, progress, token, width=2)
    timer.join()
    assert store.count_riddles() == 0
    assert random_model.complete("w1", Sampling(max_tokens=3)).completion_tokens == 3


def test_skipping_one_article_drops_it_and_the_rest_go_on(scripted, tmp_path):
    articles = lantern_news(4)
    skips = ArticleSkips()
    riddler = riddler_for(scripted, Sampling(temperature=0.0, max_tokens=64))

    def progress(p):  # noqa: ANN001 - the first riddle done: drop the last article, still queued
        if p.item is not None:
            skips.skip(articles[3])

    run = riddle_articles_batched(Store(tmp_path / "h.db"), articles, riddler, progress, width=1, skips=skips)
    assert sorted(s.article.key for s in run.stored) == sorted(a.key for a in articles[:3])
    assert [(a.key, sentence) for a, sentence in run.failed] == [(articles[3].key, SKIPPED)]


def test_skipping_a_running_article_frees_its_slot(random_model, tmp_path):
    articles = sample_articles()[:2]
    skips = ArticleSkips()
    riddler = riddler_for(random_model, Sampling(temperature=1.0, max_tokens=400, seed=5), attempts=1)

    def progress(p):  # noqa: ANN001
        if "at a time" in p.message:
            skips.skip(articles[0])

    run = riddle_articles_batched(Store(tmp_path / "h.db"), articles, riddler, progress, width=2, skips=skips)
    reasons = dict((a.key, s) for a, s in run.failed)
    assert reasons[articles[0].key] == SKIPPED
    assert "after 1 tries" in reasons[articles[1].key]


def test_long_prompts_stay_inside_the_kv_budget(random_gguf):
    """Prompts near the one-by-one context (2048) in a 4-wide batch: the cache is sized for them and
    decoding never runs out of cells; a prompt longer than the context fails alone, with a sentence."""
    model = LocalModel(random_gguf, LocalSettings(n_ctx=2048, idle_unload_s=None))
    try:
        # One byte token per letter in this vocabulary: prompts of 1700 to 1860 tokens, nothing shared.
        long = [chr(ord("a") + i) * (1700 + 40 * i) for i in range(5)]
        too_long = "z" * 2300
        done, events = run_batch(model, [*long, too_long], GREEDY | {"max_tokens": 400}, width=4)
    finally:
        model.close()
    assert done["finish_reason"] == "stop"
    plan = next(e for e in events if e["event"] == "batch")
    ends = {e["job"]: e for e in finished(events)}
    assert all(ends[i]["finish_reason"] == "length" for i in range(5))
    # As create_completion: the answer gets what the 2048-token context leaves after the prompt (and
    # may finish a UTF-8 character: these random byte tokens often start one).
    assert all(2048 <= ends[i]["prompt_tokens"] + ends[i]["completion_tokens"] <= 2048 + 4 for i in range(5))
    assert ends[5]["finish_reason"] == "error" and "context holds only 2048" in ends[5]["reason"]
    # Sized for four of the longest (prompt + answer = 2048 cells each), never for the one that cannot run.
    assert plan["width"] == 4 and 4 * 2048 <= plan["n_ctx"] < 5 * 2048


def test_first_run_batches_the_bundled_sample_news(scripted, tmp_path):
    store = Store(tmp_path / "h.db")
    riddler = riddler_for(scripted, Sampling(temperature=0.0))
    riddler.subjects = True  # as the reader riddles: each answer one of its story's subjects
    run = riddle_pending_batched(store, riddler, limit=3, width=3)
    assert len(run.stored) == 3 and store.count_articles() == 20


class OneAtATime:
    """A backend that is neither the local worker nor a service (a wrapper, as an evaluation might
    add): the batched call must fall back to one by one and say so."""

    def __init__(self, model: LocalModel):
        self.model = model

    def complete(self, prompt, sampling, on_text=None, cancel=None):  # noqa: ANN001, ANN201
        return self.model.complete(prompt, sampling, on_text, cancel)

    def close(self) -> None:
        self.model.close()


def test_other_backends_fall_back_to_one_by_one_and_say_so(scripted, tmp_path):
    riddler = Riddler(
        OneAtATime(scripted), ShortPipeline(), ModelIdentity("m", "", "tiny"), Sampling(temperature=0)
    )
    messages = []
    run = riddle_articles_batched(
        Store(tmp_path / "h.db"), lantern_news(2), riddler, lambda p: messages.append(p.message)
    )
    assert len(run.stored) == 2
    assert any("one article at a time" in m for m in messages)


class CountingService:
    """A real OpenAI-compatible HTTP peer on 127.0.0.1 that answers every chat completion with the
    scripted riddle after a short pause, counting requests in flight. It stands in for a batching
    server (vLLM, llama.cpp's server with slots), which cannot run on this machine; llama-cpp-python's
    own server takes one request at a time, so it could not show the bound."""

    def __init__(self) -> None:
        import http.server
        import json
        import time

        self.in_flight = self.most = 0
        lock = threading.Lock()
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    service.in_flight += 1
                    service.most = max(service.most, service.in_flight)
                time.sleep(0.3)
                chunk = {"choices": [{"delta": {"content": SCRIPT_TEXT}, "finish_reason": "stop"}]}
                body = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
                with lock:
                    service.in_flight -= 1
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:  # noqa: ANN002
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_service_gets_a_bounded_number_of_concurrent_requests(tmp_path):
    from engine.inference.service import ServiceBackend, ServiceSettings

    service = CountingService()
    backend = ServiceBackend(ServiceSettings(base_url=service.url, model="riddler"))
    riddler = Riddler(
        backend, ShortPipeline(), ModelIdentity("service", "", "remote"), Sampling(temperature=0)
    )
    try:
        run = riddle_articles_batched(Store(tmp_path / "h.db"), lantern_news(7), riddler, width=3)
    finally:
        backend.close()
        service.close()
    assert len(run.stored) == 7 and not run.failed
    assert service.most == 3  # concurrent, and never more than asked

"""The inference engine against its own baselines, measured in the same run:

- structure: how valid riddles are made, on the starter model over the 20 sample articles (valid
  riddles after the bounded retries, valid first try, answers on the story's subject, riddles per
  minute), all in one run: the old riddle-first format with parse-and-retry, the answer-first format
  with parse-and-retry, guided field-by-field generation one by one and batched (the reader's path),
  and optionally the GBNF grammar (BENCH_STRUCTURES=old,free,guided,batched,grammar);
- speed: our pipeline's tokens/s against a raw in-process llama-cpp-python completion of the same prompt;
- prefix reuse: time to first token for articles 2..N of a few-shot batch against the first article's;
- overhead: worker protocol cost per generated token (synthetic model, tokens cost ~1 ms each);
- cancel: caller-side cancel latency (p50/p95) while generating;
- ui: the longest UI-thread stall while a BackgroundOp riddles with the starter model.

    .venv/bin/python -m bench.inference [structure speed prefix overhead cancel ui]

BENCH_RUNS=2 repeats the structure comparison (rows interleaved run by run); BENCH_RIDDLES=path writes
every valid riddle of it as JSON lines, to read the riddles themselves.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path

from bench.common import machine, table
from engine.errors import Cancelled, GenerationError
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.pipelines import FewShotPipeline
from engine.progress import CancelToken
from engine.prompts import INSTRUCTION, SEPARATOR, Example, Prompt, load_examples, news_line
from engine.riddles import LABELLED_GRAMMAR, fold, key_words
from engine.riddling import DEFAULT_SAMPLING, ModelIdentity, Riddler
from engine.samples import sample_articles

CACHE = Path(
    os.environ.get("RIDDLEWIRE_BENCH_MODELS", Path(tempfile.gettempdir()) / "riddlewire-bench-models")
)
# The app's default (llama-cpp-python picks half the cores). On a shared, oversubscribed 2-core box,
# two spinning llama.cpp threads would turn scheduler noise into the result.
THREADS: int | None = int(os.environ["BENCH_THREADS"]) if os.environ.get("BENCH_THREADS") else None
PROTOCOL_THREADS = 1
ATTEMPTS = int(os.environ.get("BENCH_ATTEMPTS", "3"))
STRUCTURES = os.environ.get("BENCH_STRUCTURES", "old,free,guided,batched").split(",")
TEMPERATURES = tuple(float(t) for t in os.environ.get("BENCH_TEMPERATURES", "0.7").split(","))
RUNS = int(os.environ.get("BENCH_RUNS", "1"))
RIDDLES_FILE = os.environ.get("BENCH_RIDDLES")


def starter() -> Path:
    from engine.starter import ensure_starter_model

    return ensure_starter_model(CACHE).path


def synthetic() -> Path:
    from tests.support.synthetic_gguf import write_random_model

    CACHE.mkdir(parents=True, exist_ok=True)
    return write_random_model(CACHE / "random-4x256.gguf")


def _settings(**kw: object) -> LocalSettings:
    return LocalSettings(**{"n_ctx": 4096, "n_threads": THREADS, "idle_unload_s": None, **kw})


# -- structure: how valid riddles are made ----------------------------------------------------------
def _on_subject(answer: str, article) -> bool:  # noqa: ANN001
    """A cheap proxy for a good answer: its key words come from the story (the story's subject)."""
    story = fold(article.title + " " + article.summary)
    return any(word[:5] in story for word in key_words(answer))


class RiddleFirstPipeline:
    """The format before issue 4's guided generation, kept here only as the baseline: riddle first,
    then the answer, parse-and-retry (the prompt ends with "Riddle:")."""

    name = "few-shot"

    def __init__(self, shots: int = 6):
        blocks = [self._block(e) for e in load_examples()[:shots]]
        self.prefix = (
            INSTRUCTION.replace("The answer comes first; the riddle", "The riddle")
            + "\n\n"
            + "\n".join(blocks)
            + "\n"
        )

    @staticmethod
    def _block(e: Example) -> str:
        return (
            f"{news_line(e.title, e.summary)}\nRiddle: {e.riddle}\nAnswer: {e.answer}\nHint 1: {e.hints[0]}\n"
            f"Hint 2: {e.hints[1]}\nDifficulty: {e.difficulty}\n{SEPARATOR}\n"
        )

    def prompt(self, article) -> Prompt:  # noqa: ANN001
        suffix = f"{news_line(article.title, article.summary)}\nRiddle:"
        return Prompt(prefix=self.prefix, suffix=suffix, primer="Riddle:", guided=False)


def _score(label: str, made: list[tuple[object, object, object]], n: int, elapsed: float) -> list[object]:
    """made: (article, riddle, provenance) of each valid riddle."""
    valid = len(made)
    first_try = sum(p.attempts == 1 for _, _, p in made)
    on_subject = sum(_on_subject(r.answer, a) for a, r, _ in made)
    if RIDDLES_FILE:
        with open(RIDDLES_FILE, "a", encoding="utf-8") as out:
            for article, riddle, provenance in made:
                out.write(
                    json.dumps(
                        {
                            "row": label,
                            "title": article.title,
                            **asdict(riddle),
                            "attempts": provenance.attempts,
                        }
                    )
                    + "\n"
                )
    return [
        label,
        f"{valid}/{n} ({valid / n:.0%})",
        f"{first_try / n:.0%}",
        f"{on_subject}/{valid}",
        elapsed,
        60 * valid / elapsed,
    ]


def structure_run(
    model: LocalModel, sampling: Sampling, label: str, pipeline: object = None, guided: bool = False
) -> list[object]:
    """One article after another through Riddler.riddle (guided: the worker's loop one wide)."""
    riddler = Riddler(
        model,
        pipeline or FewShotPipeline(),
        ModelIdentity("starter", "", "tiny"),
        sampling,
        max_attempts=ATTEMPTS,
        guided=guided,
    )
    articles = sample_articles()
    made = []
    started = time.perf_counter()
    for article in articles:
        try:
            riddle, provenance = riddler.riddle(article)
        except GenerationError as error:
            print(f"  {label}: failed: {error.sentence[-90:]}", file=sys.stderr, flush=True)
            continue
        print(f"  {label}: {riddle.answer!r} ({provenance.attempts} tries)", file=sys.stderr, flush=True)
        made.append((article, riddle, provenance))
    return _score(label, made, len(articles), time.perf_counter() - started)


def batched_run(model: LocalModel, sampling: Sampling, label: str) -> list[object]:
    """All 20 articles at once through the reader's path (engine.batching, guided, automatic width)."""
    from engine.batching import riddle_articles_batched
    from engine.store import Store

    riddler = Riddler(
        model, FewShotPipeline(), ModelIdentity("starter", "", "tiny"), sampling, max_attempts=ATTEMPTS
    )
    articles = sample_articles()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db")
        try:
            started = time.perf_counter()
            run = riddle_articles_batched(store, articles, riddler)
            elapsed = time.perf_counter() - started
        finally:
            store.close()
    for _article, sentence in run.failed:
        print(f"  {label}: failed: {sentence[-90:]}", file=sys.stderr, flush=True)
    made = [(s.article, s.riddle, s.provenance) for s in run.stored]
    return _score(label, made, len(articles), elapsed)


def load_average() -> str:
    return (
        subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip().split("load average:")[-1]
    )


def structure_row(name: str, model: LocalModel, sampling: Sampling, tag: str) -> list[object]:
    if name == "old":
        return structure_run(model, sampling, f"riddle first, parse-and-retry, {tag}", RiddleFirstPipeline())
    if name == "free":
        return structure_run(model, sampling, f"answer first, parse-and-retry, {tag}")
    if name == "grammar":
        return structure_run(
            model,
            replace(sampling, grammar=LABELLED_GRAMMAR),
            f"riddle first, GBNF grammar, {tag}",
            RiddleFirstPipeline(),
        )
    if name == "guided":
        return structure_run(model, sampling, f"answer first, guided, one by one, {tag}", guided=True)
    if name == "batched":
        return batched_run(model, sampling, f"answer first, guided, batched, {tag}")
    raise ValueError(f"unknown structure {name!r}")


def bench_structure() -> str:
    model = LocalModel(starter(), _settings())
    base = replace(DEFAULT_SAMPLING, seed=1234)
    rows = []
    try:
        model.load()
        for run in range(1, RUNS + 1):
            for temperature in TEMPERATURES:
                tag = f"t={temperature}" + (f", run {run}" if RUNS > 1 else "")
                for name in STRUCTURES:
                    before = load_average()
                    row = structure_row(name, model, replace(base, temperature=temperature), tag)
                    rows.append([*row, f"{before} → {load_average()}"])
    finally:
        model.close()
    headers = [
        "structure",
        f"valid after ≤{ATTEMPTS} tries",
        "valid first try",
        "answer from the story",
        "time s",
        "riddles/min",
        "load average (1, 5, 15 min) before → after",
    ]
    return table(headers, rows)


# -- speed: pipeline vs raw llama-cpp-python ---------------------------------------------------------
def bench_speed(repeats: int = 5) -> str:
    from llama_cpp import Llama

    path = starter()
    prompt = FewShotPipeline().prompt(sample_articles()[0]).text
    greedy = Sampling(temperature=0.0, max_tokens=96, seed=1)
    raw = Llama(str(path), n_ctx=4096, n_threads=THREADS, verbose=False)
    model = LocalModel(path, _settings())
    riddler = Riddler(model, FewShotPipeline(), ModelIdentity("starter", "", "tiny"), greedy, max_attempts=1)
    raw_rates, ours_rates, guided_rates, text_rates = [], [], [], []
    try:
        for _ in range(repeats + 1):  # the first round warms both prefix caches and is dropped
            started = time.perf_counter()
            out = raw.create_completion(prompt, max_tokens=96, temperature=0.0, seed=1)
            raw_rates.append(out["usage"]["completion_tokens"] / (time.perf_counter() - started))
            started = time.perf_counter()
            done = model.complete(prompt, greedy, on_text=lambda _t: None)
            ours_rates.append(done.completion_tokens / (time.perf_counter() - started))
            generated, in_text = guided_rate(model, riddler)
            guided_rates.append(generated)
            text_rates.append(in_text)
    finally:
        model.close()
        raw.close()
    raw_med, ours_med = statistics.median(raw_rates[1:]), statistics.median(ours_rates[1:])
    guided_med, text_med = statistics.median(guided_rates[1:]), statistics.median(text_rates[1:])
    return table(
        ["same prompt, greedy", f"tokens/s (median of {repeats})", "ratio"],
        [
            ["raw llama-cpp-python, in process, 96 tokens", raw_med, 1.0],
            ["Riddlewire pipeline (worker process, streamed), 96 tokens", ours_med, ours_med / raw_med],
            [
                "guided riddle, one by one (worker's batch loop, width 1): generated tokens",
                guided_med,
                guided_med / raw_med,
            ],
            [
                "the same: tokens of the riddle's text (generated + labels we feed)",
                text_med,
                text_med / raw_med,
            ],
        ],
    )


def guided_rate(model: LocalModel, riddler: Riddler) -> tuple[float, float]:
    """One guided attempt at the first article, as the Riddler sends it, per second of wall time:
    tokens the model generated, and tokens of the labelled text (generated, plus the labels fed in
    one decode each, which a free completion generates one token at a time)."""
    from engine.riddling import BATCH_TARGET, CHECK_TARGET

    ends: list[dict] = []
    job = riddler.job(sample_articles()[0])
    started = time.perf_counter()
    model.call(
        BATCH_TARGET,
        {"jobs": [job.request()], "check": CHECK_TARGET, "width": 1},
        lambda e: ends.append(e) if e.get("event") == "finished" else None,
    )
    elapsed = time.perf_counter() - started
    return (
        sum(e["completion_tokens"] for e in ends) / elapsed,
        sum(e["sequence_tokens"] for e in ends) / elapsed,
    )


# -- prefix reuse: first token of articles 2..N vs the first -----------------------------------------
def bench_prefix(articles: int = 8) -> str:
    model = LocalModel(starter(), _settings())
    pipeline = FewShotPipeline()
    sampling = replace(
        DEFAULT_SAMPLING, seed=5, max_tokens=8, stop=tuple(pipeline.prompt(sample_articles()[0]).stop)
    )
    firsts = []
    try:
        model.load()
        for article in sample_articles()[:articles]:
            firsts.append(model.complete(pipeline.prompt(article).text, sampling).first_token_s)
    finally:
        model.close()
    guided = guided_firsts(articles)
    rest, guided_rest = statistics.median(firsts[1:]), statistics.median(guided[1:])
    return table(
        ["few-shot, one article after another", "time to first token s", "ratio"],
        [
            ["completion: article 1 (prefix evaluated)", firsts[0], 1.0],
            [f"completion: articles 2..{articles} (median, prefix reused)", rest, rest / firsts[0]],
            ["guided Riddler: article 1 (prefix evaluated)", guided[0], 1.0],
            [
                f"guided Riddler: articles 2..{articles} (median, kept cache)",
                guided_rest,
                guided_rest / guided[0],
            ],
        ],
    )


def guided_firsts(articles: int) -> list[float]:
    """Time to the first token of each article's first attempt as the guided Riddler runs it (a fresh
    worker, so article 1 decodes the few-shot prefix into the batch loop's cache)."""
    from engine.riddling import BATCH_TARGET, CHECK_TARGET

    model = LocalModel(starter(), _settings())
    riddler = Riddler(
        model,
        FewShotPipeline(),
        ModelIdentity("starter", "", "tiny"),
        replace(DEFAULT_SAMPLING, seed=5),
        max_attempts=1,
    )
    firsts: list[float] = []
    try:
        model.load()
        for article in sample_articles()[:articles]:
            request = {"jobs": [riddler.job(article).request()], "check": CHECK_TARGET, "width": 1}
            model.call(
                BATCH_TARGET,
                request,
                lambda e: firsts.append(e["first_token_s"]) if e.get("event") == "finished" else None,
            )
    finally:
        model.close()
    return firsts


# -- worker overhead per token -----------------------------------------------------------------------
def bench_overhead(repeats: int = 7, tokens: int = 400) -> str:
    from llama_cpp import Llama

    path = synthetic()
    raw = Llama(str(path), n_ctx=2048, n_threads=PROTOCOL_THREADS, verbose=False)
    model = LocalModel(path, _settings(n_ctx=2048, n_threads=PROTOCOL_THREADS))
    raw_s, ours_s, counts = [], [], []
    try:
        for _ in range(repeats + 1):
            started = time.perf_counter()
            out = raw.create_completion("w1 w2", max_tokens=tokens, temperature=0.0)
            raw_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            done = model.complete(
                "w1 w2", Sampling(temperature=0.0, max_tokens=tokens), on_text=lambda _t: None
            )
            ours_s.append(time.perf_counter() - started)
            counts.append((out["usage"]["completion_tokens"], done.completion_tokens))
    finally:
        model.close()
        raw.close()
    n = counts[-1][1]
    raw_med, ours_med = statistics.median(raw_s[1:]), statistics.median(ours_s[1:])
    per_token_ms = 1000 * (ours_med - raw_med) / max(n, 1)
    return table(
        ["synthetic model, greedy", "tokens", "time s (median)", "per token ms"],
        [
            ["raw llama-cpp-python", counts[-1][0], raw_med, 1000 * raw_med / max(counts[-1][0], 1)],
            ["worker process", n, ours_med, 1000 * ours_med / max(n, 1)],
            ["worker overhead per token", "", "", per_token_ms],
        ],
    )


# -- cancel latency ----------------------------------------------------------------------------------
def bench_cancel(trials: int = 20) -> str:
    model = LocalModel(synthetic(), _settings(n_ctx=32768, n_threads=PROTOCOL_THREADS))
    caller, recovered = [], []
    try:
        model.load()
        for i in range(trials):
            token, cancelled_at = CancelToken(), []

            def fire(token: CancelToken = token, at: list[float] = cancelled_at) -> None:
                at.append(time.perf_counter())
                token.cancel()

            threading.Timer(0.1 + 0.01 * i, fire).start()
            try:
                model.complete("w1", Sampling(max_tokens=30_000, temperature=1.0), cancel=token)
            except Cancelled:
                returned = time.perf_counter()
            caller.append(returned - cancelled_at[0])
            # The worker is free again once a tiny request completes after the cancel.
            model.complete("w1", Sampling(max_tokens=1))
            recovered.append(time.perf_counter() - returned)
    finally:
        model.close()
    p95 = lambda xs: statistics.quantiles(xs, n=20)[-1]  # noqa: E731
    return table(
        [f"cancel while generating ({trials} trials)", "p50 ms", "p95 ms"],
        [
            ["cancel() → caller has control", 1000 * statistics.median(caller), 1000 * p95(caller)],
            [
                "then → worker answers a new request",
                1000 * statistics.median(recovered),
                1000 * p95(recovered),
            ],
        ],
    )


# -- UI stall ----------------------------------------------------------------------------------------
def bench_ui(articles: int = 3) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.ops import BackgroundOp

    app = QApplication.instance() or QApplication([])
    model = LocalModel(starter(), _settings())
    riddler = Riddler(
        model, FewShotPipeline(), ModelIdentity("starter", "", "tiny"), replace(DEFAULT_SAMPLING, seed=9)
    )

    def probe(work: object | None, seconds: float = 3.0) -> float:
        gaps, clock, loop = [0.0], QElapsedTimer(), QEventLoop()
        ticker = QTimer(interval=5)
        clock.start()

        def tick() -> None:
            gaps.append(clock.restart() / 1000)

        ticker.timeout.connect(tick)
        ticker.start()
        if work is None:
            QTimer.singleShot(int(seconds * 1000), loop.quit)
        else:
            BackgroundOp(work, on_success=lambda _r: loop.quit(), on_failure=lambda _e: loop.quit()).start()
        loop.exec()
        ticker.stop()
        return max(gaps)

    def riddle_some(cancel: CancelToken, report) -> None:  # noqa: ANN001
        for article in sample_articles()[:articles]:
            try:
                riddler.riddle(article, cancel=cancel, on_text=lambda _t: None)
            except GenerationError:
                pass

    try:
        idle = probe(None)
        busy = probe(riddle_some)
    finally:
        model.close()
    del app
    return table(
        ["UI thread, 5 ms probe timer", "max stall ms"],
        [["idle (baseline)", 1000 * idle], [f"riddling {articles} articles (starter model)", 1000 * busy]],
    )


SECTIONS = {
    "structure": bench_structure,
    "speed": bench_speed,
    "prefix": bench_prefix,
    "overhead": bench_overhead,
    "cancel": bench_cancel,
    "ui": bench_ui,
}


def main(names: list[str] | None = None) -> None:
    print(f"Machine: {machine()}\n")
    for name in names or list(SECTIONS):
        print(f"#### {name}\n\n{SECTIONS[name]()}\n", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or None)

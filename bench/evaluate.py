"""Harness overhead: the same generations (same model, articles, prompts and seeds) made by a bare
Riddler loop and by the evaluation harness (metrics, row writes to SQLite, memory reads, run records).
Target: harness / bare <= 1.05, median of several interleaved runs. The solver's cost is shown too;
it is model work, not overhead, so it is outside the target.

    .venv/bin/python -m bench.evaluate [--articles 4] [--repeats 3] [--model PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import machine
from engine.evaluate.articleset import freeze
from engine.evaluate.candidates import Candidate, RecordingBackend
from engine.evaluate.harness import RunSpec, evaluate
from engine.inference.local import LocalModel, LocalSettings
from engine.paths import app_paths
from engine.pipelines import FewShotPipeline
from engine.riddling import DEFAULT_SAMPLING, ModelIdentity, Riddler
from engine.samples import sample_articles
from engine.starter import ensure_starter_model
from engine.store import Store

SEED = 5
SETTINGS = LocalSettings(n_ctx=2048, idle_unload_s=None)


def bare(model_path: Path, articles: int) -> float:
    """Load, then generate each article once: what the harness does minus everything it adds."""
    started = time.perf_counter()
    local = LocalModel(model_path, SETTINGS)
    riddler = Riddler(
        RecordingBackend(local),
        FewShotPipeline(),
        ModelIdentity(model_path.name, "", ""),
        DEFAULT_SAMPLING,
        max_attempts=1,
    )
    try:
        local.load()
        for article in freeze(sample_articles(), articles, SEED):
            riddler.sampling = replace(riddler.sampling, seed=SEED * 1000 + article.position)
            try:
                riddler.riddle(article.article())
            except Exception:  # noqa: BLE001 - an unusable riddle costs the same time; that is all we count
                pass
    finally:
        local.close()
    return time.perf_counter() - started


def harness(model_path: Path, articles: int, solve: bool) -> float:
    paths = app_paths().ensure()
    store = Store(paths.database)
    spec = RunSpec(
        (Candidate(str(model_path), "few-shot"),),
        articles=articles,
        seed=SEED,
        solver=str(model_path),
        solve=solve,
        settings=SETTINGS,
    )
    started = time.perf_counter()
    try:
        evaluate(store, spec, paths, news=sample_articles())
    finally:
        store.close()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", type=Path)
    args = parser.parse_args(argv or [])  # `python -m bench` calls main() with no arguments
    os.environ["RIDDLEWIRE_HOME"] = tempfile.mkdtemp(prefix="rw-bench-eval-")
    model = args.model or ensure_starter_model(app_paths().ensure().models).path
    times: dict[str, list[float]] = {"bare": [], "harness": [], "harness + solver": []}
    for _ in range(args.repeats):  # interleaved, so drift in machine load hits all three alike
        times["bare"].append(bare(model, args.articles))
        times["harness"].append(harness(model, args.articles, solve=False))
        times["harness + solver"].append(harness(model, args.articles, solve=True))
    base = statistics.median(times["bare"])
    print(f"Machine: {machine()}\n")
    print(f"| variant ({model.name}, {args.articles} articles, {args.repeats} runs) | median s | ratio |")
    print("| --- | --- | --- |")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {median / base:.3f} |")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Batch riddling (issue 10): the whole day at once against one article at a time, same run.

riddles: the 20 sample-feed articles with the starter model and the app's sampling (temperature 0.7,
  top-p 0.95, 120 tokens, seeded), articles finished per minute for
    raw      llama-cpp-python in this process, create_completion one prompt after another (its own
             prefix cache; no validation, no retries: the floor of what one-by-one can cost)
    serial   our engine one by one (riddle_articles: worker process, validation, retries)
    batch/N  our engine batched (riddle_articles_batched) at width N, and at the automatic width
  Each configuration runs `repeats` times in rotation (so machine load hits all alike); the median
  is reported with its ratio to serial and to raw.
tokens: aggregate generated tokens/s of the worker's batch generator (no validation, fixed length,
  no stops) against LocalModel.complete one by one, for each width: the curve for any model, e.g. a
  synthetic one on a GPU machine.

    .venv/bin/python -m bench.batch [riddles|tokens] [--widths 1,2,4,8,16] [--repeats 3]
                                    [--model PATH] [--gpu-layers N] [--threads N] [--articles 20]
                                    [--synthetic-prompts]
`--synthetic-prompts` (tokens only) makes few-shot-shaped prompts from the model's own vocabulary (a
700-token shared prefix, 80 tokens per article), so a synthetic model runs where the app's
dependencies are not installed (the GPU machine): only engine.inference is imported then.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bench.common import machine, table
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings

BATCH_TARGET = "engine.inference.batch:run"  # as engine.batching, which needs the app's dependencies

CACHE = Path(
    os.environ.get("RIDDLEWIRE_BENCH_MODELS", Path(tempfile.gettempdir()) / "riddlewire-bench-models")
)


def starter() -> Path:
    from engine.starter import ensure_starter_model

    return ensure_starter_model(CACHE).path


# -- riddles: the user's job, end to end -------------------------------------------------------------
def riddles(
    model_path: Path,
    widths: list[int],
    repeats: int,
    n_articles: int,
    settings: LocalSettings,
    _synthetic: bool,
) -> None:
    from engine.pipelines import FewShotPipeline
    from engine.riddling import DEFAULT_SAMPLING, ModelIdentity, Riddler
    from engine.samples import sample_articles

    articles = sample_articles()[:n_articles]
    model = LocalModel(model_path, settings)
    pipeline = FewShotPipeline()
    riddler = Riddler(model, pipeline, ModelIdentity(model_path.name, "", "bench"), DEFAULT_SAMPLING)
    raw = _raw_llama(model_path, settings)
    configs: dict[str, Callable[[int], tuple[int, int]]] = {
        "raw": lambda seed: _raw_run(raw, pipeline, articles, seed),
        "serial": lambda seed: _engine_run(model, riddler, articles, seed, None),
        **{f"batch/{w}": (lambda seed, w=w: _engine_run(model, riddler, articles, seed, w)) for w in widths},
        "batch/auto": lambda seed: _engine_run(model, riddler, articles, seed, 0),
    }
    model.load()
    rates: dict[str, list[float]] = {name: [] for name in configs}
    valid: dict[str, list[int]] = {name: [] for name in configs}
    for repeat in range(repeats):
        for name, run in configs.items():
            started = time.perf_counter()
            finished, ok = run(1000 + repeat)
            rates[name].append(finished / (time.perf_counter() - started) * 60)
            valid[name].append(ok)
            print(f"  run {repeat + 1} {name}: {rates[name][-1]:.1f} articles/min, {ok} valid", flush=True)
    model.close()
    serial, floor = statistics.median(rates["serial"]), statistics.median(rates["raw"])
    rows = [
        [
            name,
            statistics.median(r),
            statistics.median(r) / serial,
            statistics.median(r) / floor,
            f"{statistics.median(valid[name]):.0f}/{n_articles}",
        ]
        for name, r in rates.items()
    ]
    print(f"\nRiddles, {n_articles} sample articles, starter sampling; {machine()}; median of {repeats}\n")
    print(table(["configuration", "articles/min", "× serial", "× raw", "valid riddles"], rows))


def _raw_llama(model_path: Path, settings: LocalSettings):  # noqa: ANN202 - llama_cpp.Llama
    from llama_cpp import Llama

    return Llama(
        model_path=str(model_path),
        n_ctx=settings.n_ctx,
        n_gpu_layers=settings.n_gpu_layers,
        n_threads=settings.n_threads,
        verbose=False,
    )


def _raw_run(llm, pipeline, articles: list, seed: int) -> tuple[int, int]:  # noqa: ANN001
    from engine.riddles import RiddleRejected, parse_riddle
    from engine.riddling import DEFAULT_SAMPLING, labelled

    llm.reset()  # every run starts with a cold prefix, as the engine runs do
    ok = 0
    for index, article in enumerate(articles):
        prompt = pipeline.prompt(article)
        s = DEFAULT_SAMPLING
        out = llm.create_completion(
            prompt.text,
            max_tokens=s.max_tokens,
            temperature=s.temperature,
            top_p=s.top_p,
            seed=seed + index,
            stop=list(prompt.stop),
        )
        try:
            parse_riddle(labelled(prompt.primer, out["choices"][0]["text"]))
            ok += 1
        except RiddleRejected:
            pass
    return len(articles), ok


def _engine_run(
    model: LocalModel,
    riddler,
    articles: list,
    seed: int,
    width: int | None,  # noqa: ANN001
) -> tuple[int, int]:
    from engine.batching import riddle_articles_batched
    from engine.riddling import DEFAULT_SAMPLING, riddle_articles
    from engine.store import Store

    model.complete("Cold start.", replace(DEFAULT_SAMPLING, max_tokens=1))  # evict the cached prefix
    riddler.sampling = replace(DEFAULT_SAMPLING, seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db")
        if width is None:
            run = riddle_articles(store, articles, riddler)
        else:
            run = riddle_articles_batched(store, articles, riddler, width=width or None)
        store.close()
    return len(run.stored) + len(run.failed), len(run.stored)


# -- tokens: the generator's raw throughput ------------------------------------------------------------
def tokens(
    model_path: Path,
    widths: list[int],
    repeats: int,
    n_articles: int,
    settings: LocalSettings,
    synthetic: bool,
) -> None:
    max_tokens = 64
    model = LocalModel(model_path, settings)
    prompts = _synthetic_prompts(n_articles) if synthetic else _article_prompts(n_articles)
    sampling = {"temperature": 0.0, "top_p": 1.0, "max_tokens": max_tokens, "stop": []}
    jobs = [{"prompt": p, "primer": "", "seeds": [1], "sampling": sampling} for p in prompts]

    def serial() -> int:
        greedy = Sampling(temperature=0.0, top_p=1.0, max_tokens=max_tokens)
        return sum(model.complete(p, greedy).completion_tokens for p in prompts)

    def batched(width: int) -> int:
        return int(model.call(BATCH_TARGET, {"jobs": jobs, "width": width})["tokens"])

    configs: dict[str, Callable[[], int]] = {
        "serial": serial,
        **{f"batch/{w}": (lambda w=w: batched(w)) for w in widths},
    }
    model.load()
    rates: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(repeats):
        for name, run in configs.items():
            started = time.perf_counter()
            count = run()
            rates[name].append(count / (time.perf_counter() - started))
    info = model.info
    model.close()
    base = statistics.median(rates["serial"])
    rows = [[name, statistics.median(r), statistics.median(r) / base] for name, r in rates.items()]
    print(
        f"\nGenerated tokens/s, {len(prompts)} prompts × {max_tokens} tokens, {model_path.name}, "
        f"GPU layers {info.gpu_layers if info else settings.n_gpu_layers}, threads "
        f"{settings.n_threads or 'auto'}; {machine()}; median of {repeats}\n"
    )
    print(table(["configuration", "tokens/s", "× serial"], rows))


def _article_prompts(n: int) -> list[str]:
    from engine.pipelines import FewShotPipeline
    from engine.samples import sample_articles

    pipeline = FewShotPipeline()
    return [pipeline.prompt(a).text for a in sample_articles()[:n]]


def _synthetic_prompts(n: int) -> list[str]:
    """Few-shot-shaped text for a synthetic model: bytes, one token each in its vocabulary."""
    prefix = "".join(chr(97 + (k * 7) % 26) for k in range(700))
    return [prefix + "".join(chr(97 + (k * 11 + i) % 26) for k in range(80)) + ":" for i in range(n)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.batch")
    parser.add_argument("mode", nargs="?", default="riddles", choices=["riddles", "tokens"])
    parser.add_argument("--widths", default="1,2,4,8,16")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--gpu-layers", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="default: the app's (llama.cpp's choice)")
    parser.add_argument("--synthetic-prompts", action="store_true")
    args = parser.parse_args(argv if argv is not None else [])
    widths = [int(w) for w in args.widths.split(",") if w]
    settings = LocalSettings(n_gpu_layers=args.gpu_layers, n_threads=args.threads, idle_unload_s=None)
    run = riddles if args.mode == "riddles" else tokens
    run(args.model or starter(), widths, args.repeats, args.articles, settings, args.synthetic_prompts)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

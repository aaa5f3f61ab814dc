"""Riddles per minute of each rating arm, measured in one run on the same held-out stories, so the
blind ratings' "good riddle" rate can be turned into good riddles per minute without the machine's
load at rating time (the arms of a rating batch are made at different times) moving the comparison.

Each repeat riddles the same stories with every arm, in a rotated order, on the reader's road
(`engine.evaluate.arms.riddle_arm`: batched, guided where the arm guides, the same retries and
checks, the model's load included). The baseline is the bundled model as it ships (guided).

    .venv/bin/python -m bench.arms [--stories 32] [--repeats 2] [--adapter PATH] [--model PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import machine
from engine.active_model import custom_choice, worker_settings
from engine.evaluate.arms import ARMS, choose, load_stories, riddle_arm
from engine.paths import app_paths, resource
from engine.riddling import DEFAULT_SAMPLING
from engine.settings import Settings
from engine.settings import sampling as user_sampling
from engine.starter import ensure_starter_model

SEED = 7
BASELINE = "guided"
ADAPTER = resource("adapters", "starter-riddles", "starter-riddles.gguf")


def one_arm(name: str, stories, everything, model_path: Path, adapter: Path) -> tuple[int, float]:
    """Riddles made and seconds taken by one arm on the stories."""
    paths = app_paths().ensure()
    model = custom_choice(model_path)
    settings = worker_settings(model, Settings(), paths)
    sampling = user_sampling(Settings(), DEFAULT_SAMPLING).with_seed(SEED)
    started = time.perf_counter()
    items = riddle_arm(ARMS[name], stories, everything, model, settings, sampling, adapter=adapter, seed=SEED)
    return sum(1 for i in items if not i.failure), time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--arms", default="guided,parse-and-retry,tuned")
    parser.add_argument("--adapter", type=Path, default=ADAPTER)
    parser.add_argument("--model", type=Path)
    args = parser.parse_args(argv or [])  # `python -m bench` calls main() with no arguments
    os.environ["RIDDLEWIRE_HOME"] = tempfile.mkdtemp(prefix="rw-bench-arms-")
    model = args.model or ensure_starter_model(app_paths().ensure().models).path
    everything = load_stories(sorted(resource("riddles", "heldout_news").glob("*.jsonl")))
    stories = choose(everything, args.stories, SEED)
    names = args.arms.split(",")
    rates: dict[str, list[float]] = {n: [] for n in names}
    made: dict[str, list[int]] = {n: [] for n in names}
    loads = []
    for repeat in range(args.repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]  # drift hits every arm alike
        for name in order:
            count, seconds = one_arm(name, stories, everything, model, args.adapter)
            rates[name].append(count / seconds * 60)
            made[name].append(count)
            loads.append(os.getloadavg()[0])
    base = statistics.median(rates[BASELINE]) if BASELINE in rates else None
    print(f"Machine: {machine()}; load average during the runs {min(loads):.1f}-{max(loads):.1f}\n")
    what = f"{len(stories)} held-out stories, {args.repeats} runs"
    print(f"| arm ({what}) | riddles made | riddles/min (median) | ratio to {BASELINE} |")
    print("|---|---|---|---|")
    for name in names:
        median = statistics.median(rates[name])
        ratio = f"{median / base:.2f}" if base else "-"
        print(f"| {name} | {'/'.join(map(str, made[name]))} | {median:.1f} | {ratio} |")


if __name__ == "__main__":
    main(sys.argv[1:])

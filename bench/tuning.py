"""Fine-tuning (issue 11): a default training run on the shipped set (throughput, time), then the
A/B on the held-out news: base few-shot vs base + adapter (instruction-only prompt, and few-shot).

    .venv/bin/python -m bench.tuning [--max-steps N] [--limit N] [--home DIR]

The converted base model is cached under --home, so a second run skips the conversion. One training
run (minutes on 2 cores), not a median: the figures say so. Results also go to --home/bench.json."""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

from bench.common import machine, table
from engine.starter import ensure_starter_model
from engine.tuning.ab import run_ab
from engine.tuning.config import TuneConfig
from engine.tuning.data import assemble, heldout_items, shipped_examples
from engine.tuning.run import BaseModel, new_run, train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.tuning")
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None, help="held-out items for the A/B (default all)")
    parser.add_argument("--home", type=Path, default=Path("/tmp/riddlewire-bench-tuning"))
    args = parser.parse_args(argv)
    home = args.home
    starter = ensure_starter_model(home / "models")
    training_set = assemble(shipped_examples(), heldout_items())
    config = TuneConfig(max_steps=args.max_steps)
    run_dir = new_run(home / "runs", training_set, config, BaseModel(starter.path, starter.sha256), home / "cache")
    started = time.perf_counter()
    result = train(run_dir, progress=lambda p: print("  ", p.message, flush=True))
    wall = time.perf_counter() - started
    items = heldout_items()[: args.limit]
    ab = run_ab(starter.path, result.adapter, items)
    record = {"machine": machine(), "load_average": os.getloadavg(), "config": config.as_dict(),
              "training": {**asdict(result), "wall_s": wall}, "ab": asdict(ab)}
    (home / "bench.json").write_text(json.dumps(record, indent=1, default=str), encoding="utf-8")
    print(report(record))


def report(record: dict) -> str:
    t = record["training"]
    lines = [f"Machine: {record['machine']}; load average at the end {record['load_average'][0]:.1f}.", "",
             table(["examples", "steps", "wall (incl. load)", "training", "examples/s", "loss first→last",
                    "validation loss before→after"],
                   [[t["train_examples"], t["steps"], f"{t['wall_s']:.0f} s", f"{t['train_seconds']:.0f} s",
                     t["examples_per_s"], f"{t['first_loss']:.2f}→{t['last_loss']:.2f}",
                     f"{t['val_start']:.2f}→{t['val_end']:.2f}"]]), ""]
    rows = []
    for arm in record["ab"]["arms"]:
        n = arm["items"]
        rows.append([arm["name"], n, f"{arm['valid']}/{n}", f"{arm['leaked']}/{n}", f"{arm['on_target']}/{n}",
                     f"{arm['cold_first_token_s']:.2f} s", f"{arm['first_token_s']:.2f} s",
                     f"{arm['tokens_per_s']:.1f}", f"{arm['prompt_tokens']:.0f}"])
    lines.append(table(["arm", "items", "valid", "leaked", "names the subject", "first token (cold)",
                        "first token (median)", "tokens/s", "prompt tokens"], rows))
    d, low, high = record["ab"]["validity_difference"]
    lines += ["", f"Validity difference (adapter, no examples − base few-shot): {d:+.0%} "
                  f"(95% interval {low:+.0%} to {high:+.0%}). {record['ab']['verdict']}"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

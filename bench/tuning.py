"""Fine-tuning (issue 11): a default training run on the shipped set (throughput, time), then the
A/B on the held-out news: base few-shot vs base + adapter (instruction-only prompt, and few-shot),
with validity, leakage, solvability (the base model as solver, three held-out distractors) and
speed; optionally the merge-and-quantize of the result (--merge).

    .venv/bin/python -m bench.tuning [--max-steps N] [--epochs N] [--limit N] [--adapter FILE] [--merge]

The data is what the app's "Train on my riddles" gathers for a user with no history
(engine.tuning.workflow.training_set), trained and measured by the same functions the app calls.
--adapter skips training and measures an adapter trained before. The converted base model is cached
under --home, so a second run skips the conversion. One training run, not a median: the figures say
so. The load average is sampled through the run (the machine is shared). Results go to
--home/bench.json."""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from dataclasses import asdict
from pathlib import Path

from bench.common import machine, table
from engine.starter import ensure_starter_model
from engine.tuning.config import TuneConfig
from engine.tuning.data import heldout_items
from engine.tuning.run import BaseModel, new_run, train


class LoadSampler:
    """The 1-minute load average every few seconds, per phase: what else ran while we measured."""

    def __init__(self, every_s: float = 5.0):
        self.samples: dict[str, list[float]] = {}
        self.phase = "start"
        self._every = every_s
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self.samples.setdefault(self.phase, []).append(os.getloadavg()[0])

    def summary(self) -> dict[str, list[float]]:
        self._stop.set()
        return {phase: [min(v), sum(v) / len(v), max(v)] for phase, v in self.samples.items() if v}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.tuning")
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: TuneConfig's)")
    parser.add_argument(
        "--arms",
        default="all",
        choices=("all", "adapter"),
        help="adapter: only base + adapter without examples (the base arms do not depend on "
        "the adapter: same seeds, same output as a run with all arms)",
    )
    parser.add_argument("--limit", type=int, default=None, help="held-out items for the A/B (default all)")
    parser.add_argument("--adapter", type=Path, help="measure this adapter instead of training one")
    parser.add_argument(
        "--merge", action="store_true", help="also merge and quantize the adapter and compare"
    )
    parser.add_argument("--home", type=Path, default=Path("/tmp/riddlewire-bench-tuning"))
    args = parser.parse_args(argv)
    # here, not at the top: bench.tuning_sweep imports only LoadSampler
    from engine.tuning.ab import default_arms, run_ab
    from engine.tuning.workflow import training_set

    home = args.home
    load = LoadSampler()
    starter = ensure_starter_model(home / "models")
    overrides = {
        **({"epochs": args.epochs} if args.epochs else {}),
        **({"learning_rate": args.lr} if args.lr else {}),
    }
    config = TuneConfig(max_steps=args.max_steps, **overrides)
    record: dict = {"machine": machine(), "load_before": os.getloadavg(), "config": config.as_dict()}
    adapter = args.adapter
    if adapter is None:
        load.phase = "training"
        data = training_set([])
        run_dir = new_run(
            home / "runs", data, config, BaseModel(starter.path, starter.sha256), home / "cache"
        )
        started = time.perf_counter()
        result = train(run_dir, progress=lambda p: print("  ", p.message, flush=True))
        record["training"] = {
            **asdict(result),
            "wall_s": time.perf_counter() - started,
            "excluded": len(data.excluded),
        }
        adapter = result.adapter
    record["adapter"] = str(adapter)
    load.phase = "A/B"
    items = heldout_items()[: args.limit]
    started = time.perf_counter()
    arms = default_arms() if args.arms == "all" else default_arms(False)
    ab = run_ab(
        starter.path,
        adapter,
        items,
        arms,
        progress=lambda p: print(f"   {p.message}", flush=True) if p.done % 10 == 0 else None,
    )
    record["ab"] = {**asdict(ab), "wall_s": time.perf_counter() - started}
    if args.merge:
        load.phase = "merge"
        record["merge"] = merge_check(starter.path, Path(adapter), home / "merged.gguf")
    record["load"] = load.summary()
    record["load_after"] = os.getloadavg()
    (home / "bench.json").write_text(json.dumps(record, indent=1, default=str), encoding="utf-8")
    print(report(record))


def merge_check(base: Path, adapter: Path, out: Path) -> dict:
    """Merge, then compare greedy riddles of the merged file with base + adapter on held-out news."""
    from engine.inference import Sampling
    from engine.inference.local import LocalModel, LocalSettings
    from engine.tuning.format import adapter_pipeline, article_for
    from engine.tuning.merge import merge_adapter

    merged = merge_adapter(base, adapter, out, name="bench merged")
    prompts = [adapter_pipeline().prompt(article_for(i.title, i.summary)) for i in heldout_items()[:5]]
    texts = []
    for path, lora in ((base, str(adapter)), (merged.path, None)):
        model = LocalModel(path, LocalSettings(lora_path=lora, idle_unload_s=None))
        try:
            texts.append(
                [
                    model.complete(p.text, Sampling(temperature=0.0, max_tokens=60, stop=p.stop)).text
                    for p in prompts
                ]
            )
        finally:
            model.close()
    same = sum(a == b for a, b in zip(*texts, strict=True))
    return {
        **asdict(merged),
        "base_bytes": base.stat().st_size,
        "greedy_same": same,
        "greedy_of": len(prompts),
        "adapter_texts": texts[0],
        "merged_texts": texts[1],
    }


def report(record: dict) -> str:
    lines = [f"Machine: {record['machine']}.", ""]
    loads = "; ".join(
        f"{phase} {lo:.1f}–{hi:.1f} (mean {mean:.1f})"
        for phase, (lo, mean, hi) in record.get("load", {}).items()
    )
    lines += [f"Load average (1 min) during: {loads}.", ""]
    if "training" in record:
        t, c = record["training"], record["config"]
        lines.append(
            table(
                [
                    "examples (train/val)",
                    "steps",
                    "epochs",
                    "wall (incl. load)",
                    "training",
                    "s/step",
                    "examples/s",
                    "loss first→last",
                    "validation loss before→after",
                ],
                [
                    [
                        f"{t['train_examples']}/{t['validation_examples']}",
                        t["steps"],
                        c["epochs"],
                        f"{t['wall_s']:.0f} s",
                        f"{t['train_seconds']:.0f} s",
                        f"{t['train_seconds'] / max(1, t['steps']):.1f}",
                        t["examples_per_s"],
                        f"{t['first_loss']:.2f}→{t['last_loss']:.2f}",
                        f"{t['val_start']:.2f}→{t['val_end']:.2f}",
                    ]
                ],
            )
        )
        lines.append("")
    rows = []
    for arm in record["ab"]["arms"]:
        n, valid = arm["items"], arm["valid"]
        rows.append(
            [
                arm["name"],
                n,
                f"{valid}/{n}",
                f"{arm['leaked']}/{n}",
                f"{arm['solved']}/{valid}",
                f"{arm['on_target']}/{n}",
                f"{arm['cold_first_token_s']:.2f} s",
                f"{arm['first_token_s']:.2f} s",
                f"{arm['tokens_per_s']:.1f}",
                f"{arm['latency_s']:.2f} s",
                f"{arm['prompt_tokens']:.0f}",
            ]
        )
    lines.append(
        table(
            [
                "arm",
                "items",
                "valid",
                "leaked",
                "solved (of valid)",
                "names the subject",
                "first token (cold)",
                "first token (median)",
                "tokens/s",
                "latency (median)",
                "prompt tokens",
            ],
            rows,
        )
    )
    d, low, high = record["ab"]["validity_difference"]
    lines += [
        "",
        f"Validity difference (adapter, no examples − base few-shot): {d:+.0%} "
        f"(95% interval {low:+.0%} to {high:+.0%}). {record['ab']['verdict']} "
        f"Solver: {record['ab']['solver']}. A/B wall time {record['ab']['wall_s']:.0f} s.",
    ]
    if "merge" in record:
        m = record["merge"]
        lines += [
            "",
            f"Merge and quantize: {m['merged_tensors']} tensors merged, {m['quant']}, {m['size_bytes']:,} "
            f"bytes (base {m['base_bytes']:,}), {m['seconds']:.0f} s; greedy riddles equal to base + "
            f"adapter on {m['greedy_same']} of {m['greedy_of']} held-out items.",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""The log-likelihood solver's ceiling: its accuracy on riddles people wrote (resources/riddles),
each shown with its own headline and three others drawn from the same files (seeded). If even these
are solved near chance (<= 35%), the solver is too weak to report.

    python -m bench.solver_ceiling [--limit N] [--model PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from engine.evaluate.articleset import FrozenArticle
from engine.evaluate.likelihood import LikelihoodSolver
from engine.evaluate.ratings import wilson
from engine.inference.local import LocalSettings
from engine.paths import resource

FILES = ("train.jsonl", "news/*.jsonl")


def rows() -> list[dict]:
    folder = Path(resource("riddles"))
    found = []
    for pattern in FILES:
        for path in sorted(folder.glob(pattern)):
            found += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in found if r.get("riddle") and len(r.get("hints", ())) == 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=120)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from engine.paths import app_paths
    from engine.starter import ensure_starter_model

    model = args.model or ensure_starter_model(app_paths().ensure().models).path
    everything = rows()
    rng = random.Random(args.seed)
    sample = rng.sample(everything, min(args.limit, len(everything)))
    solver = LikelihoodSolver(model, LocalSettings(n_ctx=2048, idle_unload_s=None))
    right, started = 0, time.perf_counter()
    try:
        for n, row in enumerate(sample):
            others = rng.sample([r["title"] for r in everything if r["title"] != row["title"]], 3)
            options = [row["title"], *others]
            rng.shuffle(options)
            article = FrozenArticle(
                n, row["title"], "", "", "", "", tuple(options), options.index(row["title"])
            )
            right += (
                solver.choose(row["riddle"], article, args.seed, hints=tuple(row["hints"]))
                == article.answer_index
            )
    finally:
        solver.close()
    low, high = wilson(right, len(sample))
    print(
        f"{model.name}: {right}/{len(sample)} = {right / len(sample):.0%} (95% CI {low:.0%}-{high:.0%}; "
        f"chance 25%) on hand-written riddles, {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()

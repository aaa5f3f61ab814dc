"""Batched against one-by-one greedy output on the real starter model (Gemma 3 270M, Q4_K_M).

On this model the two paths are not always equal token for token, and this test measures why:
llama.cpp's CPU matrix kernels take different paths for one row and for several (and group a
prompt's rows by the batch it arrives in), so a row's logits differ in the last bits depending on
what it travels with. Greedy decoding only notices where the top two logits are nearly tied; from
there on the two texts are different but equally likely continuations. So the test asserts that
every divergence starts at such a near-tie: a wrong position, prefix or sampler would diverge at a
clear choice (a gap of whole logits) and fail. Measured 2026-11-26 (6 articles, 32 tokens, width 3):
0/6 identical; first divergences at tokens 1-15, top-2 gaps 0.01-0.27.
"""

from __future__ import annotations

import pytest

from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.pipelines import FewShotPipeline
from engine.samples import sample_articles

TOKENS = 32
# A flip needs the top two logits within the kernels' rounding differences (measured ~1e-3 to 1e-2
# on this model); clear choices have gaps of whole units.
NEAR_TIE = 0.5


def first_divergence(batched: dict, serial_text: str) -> int | None:
    """Index of the first batched token whose text leaves the one-by-one text, or None."""
    ours, theirs = batched["text"].encode(), serial_text.encode()
    if ours == theirs:
        return None
    differs_at = next(
        (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), min(len(ours), len(theirs))
    )
    return next(
        (k for k, end in enumerate(batched["offsets"]) if end > differs_at), len(batched["offsets"]) - 1
    )


@pytest.mark.slow
def test_greedy_batch_matches_one_by_one_except_at_measured_near_ties(starter_gguf):
    model = LocalModel(starter_gguf, LocalSettings(idle_unload_s=None))
    pipeline = FewShotPipeline()
    prompts = [pipeline.prompt(a).text for a in sample_articles()[:6]]
    greedy = Sampling(temperature=0.0, top_p=1.0, max_tokens=TOKENS)
    try:
        serial = [model.complete(p, greedy).text for p in prompts]
        events: list[dict] = []
        jobs = [
            {"prompt": p, "primer": "", "seeds": [1], "sampling": {"temperature": 0.0, "max_tokens": TOKENS}}
            for p in prompts
        ]
        model.call("engine.inference.batch:run", {"jobs": jobs, "width": 3, "trace": True}, events.append)
    finally:
        model.close()
    batched = {e["job"]: e for e in events if e["event"] == "finished"}
    report = []
    for job, text in enumerate(serial):
        at = first_divergence(batched[job], text)
        if at is not None:
            report.append((job, at, batched[job]["margins"][at]))
    print(
        f"\nidentical: {len(prompts) - len(report)}/{len(prompts)}; divergences (job, token, top-2 gap): "
        f"{report}"
    )
    assert len(batched) == len(prompts)
    assert all(gap < NEAR_TIE for _, _, gap in report), report

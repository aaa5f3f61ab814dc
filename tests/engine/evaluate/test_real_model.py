"""The real Gemma 3 270M base model as candidate and solver, over two sample articles: every number in
its valid range, and a rerun with the same seed writes the same riddles and makes the same picks."""

import pytest

from engine.evaluate.candidates import Candidate
from engine.evaluate.harness import RunSpec, evaluate
from engine.evaluate.summary import summarize
from engine.inference.local import LocalSettings
from engine.paths import app_paths
from engine.store import Store


@pytest.mark.slow
def test_the_starter_model_evaluated_on_sample_news_is_in_range_and_reproducible(installed_starter):
    paths = app_paths().ensure()
    store = Store(paths.database)
    spec = RunSpec(
        (Candidate("starter", "few-shot"),),
        articles=2,
        seed=3,
        solver_rotations=1,
        settings=LocalSettings(n_ctx=2048, idle_unload_s=None),
    )
    first = evaluate(store, spec, paths)
    assert first.solver_model.endswith("gemma-3-270m-q4_k_m.gguf")  # the largest (only) installed model
    (summary,) = summarize(first)
    for share in (summary.validity, summary.leakage, summary.grounding, summary.solvability):
        assert 0.0 <= share <= 1.0
    assert 0 < summary.load_s < 60 and 0 < summary.first_token_s < 60
    assert 1 < summary.tokens_per_s < 2000 and summary.riddles_per_min >= 0
    assert 200 < summary.peak_rss_mb < 4000 and summary.file_mb == pytest.approx(241.4, abs=0.1)
    rows = first.candidates[0].rows
    assert all(r.completion_tokens > 0 for r in rows)
    assert all((r.solved is None) == (not r.valid) for r in rows)
    second = evaluate(store, spec, paths)
    assert [(r.output, r.choice) for r in second.candidates[0].rows] == [(r.output, r.choice) for r in rows]
    store.close()

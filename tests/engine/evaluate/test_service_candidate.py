"""A service candidate: the evaluation riddles through a real OpenAI-compatible server on 127.0.0.1
(llama-cpp-python's own, serving the synthetic scripted model), beside a local candidate."""

from engine.evaluate.candidates import Candidate
from engine.evaluate.harness import RunSpec, evaluate
from engine.evaluate.summary import summarize
from engine.inference.local import LocalSettings
from engine.paths import app_paths
from engine.store import Store
from tests.support.llama_server import llama_server
from tests.support.synthetic_gguf import SCRIPT_ANSWER


def test_a_service_candidate_is_evaluated_like_a_local_one(scripted_gguf):
    paths = app_paths().ensure()
    store = Store(paths.database)
    with llama_server(scripted_gguf, n_ctx=4096) as base_url:
        spec = RunSpec(
            candidates=(
                Candidate(f"{base_url}#riddler", "service"),
                Candidate(str(scripted_gguf), "few-shot"),
            ),
            articles=3,
            seed=5,
            solve=False,
            settings=LocalSettings(n_ctx=8192, idle_unload_s=None),
        )
        record = evaluate(store, spec, paths)
    service, local = record.candidates
    assert service.status == "done" and service.model_file == "riddler" and service.pipeline == "service"
    assert len(service.rows) == 3
    for row in service.rows:
        assert row.valid and row.answer == SCRIPT_ANSWER and row.completion_tokens > 0
    by_label = {s.label: s for s in summarize(record)}
    served = by_label["riddler · service"]
    assert served.validity == 1.0 and served.riddles_per_min > 0
    assert served.load_s is None or served.load_s == 0  # nothing of ours was loaded for a service
    assert local.status == "done" and len(local.rows) == 3
    store.close()

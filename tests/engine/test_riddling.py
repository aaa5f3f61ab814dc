from engine.active_model import ModelChoice, open_riddler
from engine.inference import Sampling
from engine.inference.local import LocalSettings
from engine.progress import CancelToken
from engine.riddling import riddle_pending
from engine.store import Store
from tests.support.synthetic_gguf import SCRIPT_ANSWER


def test_first_run_riddles_the_bundled_sample_news_into_the_store(scripted_gguf, tmp_path):
    choice = ModelChoice(scripted_gguf, "00" * 32, "scripted", "tiny", "base")
    riddler, model = open_riddler(choice, LocalSettings(n_ctx=8192, idle_unload_s=None), Sampling(temperature=0.0))
    store = Store(tmp_path / "h.db")
    seen = []
    try:
        run = riddle_pending(store, riddler, limit=4, progress=seen.append)
    finally:
        model.close()
    assert len(run.stored) == 4 and not run.failed
    assert store.count_articles() == 20 and store.count_riddles() == 4
    assert [p.item.id for p in seen if p.item] == [s.id for s in run.stored]
    first = store.riddle(run.stored[0].id)
    assert first.riddle.answer == SCRIPT_ANSWER and len(first.riddle.hints) == 2
    assert first.provenance.pipeline == "few-shot" and first.provenance.model_file == "scripted.gguf"
    assert first.provenance.completion_tokens > 0


def test_unusable_output_is_retried_then_reported_not_stored(random_gguf, tmp_path):
    choice = ModelChoice(random_gguf, "", "random", "tiny", "base")
    riddler, model = open_riddler(choice, LocalSettings(n_ctx=8192, idle_unload_s=None), Sampling(max_tokens=8))
    store = Store(tmp_path / "h.db")
    try:
        run = riddle_pending(store, riddler, limit=2)
    finally:
        model.close()
    assert not run.stored and len(run.failed) == 2
    assert "after 3 tries" in run.failed[0][1]
    assert store.count_riddles() == 0


def test_cancel_before_start_stores_nothing(scripted_gguf, tmp_path):
    import pytest

    from engine.errors import Cancelled

    choice = ModelChoice(scripted_gguf, "", "scripted", "tiny", "base")
    riddler, model = open_riddler(choice, LocalSettings(n_ctx=8192, idle_unload_s=None))
    token = CancelToken()
    token.cancel()
    store = Store(tmp_path / "h.db")
    try:
        with pytest.raises(Cancelled):
            riddle_pending(store, riddler, cancel=token)
    finally:
        model.close()
    assert store.count_riddles() == 0

"""The tuned starter's adapter as shipped (resources/adapters/starter-riddles): its provenance is
true to the file, it loads on the bundled base in llama.cpp, passes the import check, and riddles
the held-out news through the app's own riddler; the switch that makes it the default for new
installs is one constant, and a riddle's provenance says which (base or tuned) made it."""

import hashlib
import json

import pytest

from engine import model_registry, starter
from engine.active_model import ModelChoice, active_choice, open_riddler, pipeline_for
from engine.inference.local import LocalSettings
from engine.paths import app_paths
from engine.pipelines import adapter_pipeline
from engine.starter import SHA256, shipped_adapter
from engine.tuning.adapter_check import check_adapter
from engine.tuning.data import heldout_items
from engine.tuning.format import article_for

pytestmark = pytest.mark.slow


def test_the_shipped_adapter_is_the_file_its_provenance_describes():
    adapter = shipped_adapter()
    assert adapter is not None, "resources/adapters/starter-riddles/ holds no usable adapter"
    record = adapter.provenance
    assert adapter.sha256 == hashlib.sha256(adapter.path.read_bytes()).hexdigest()
    assert record["base_sha256"] == SHA256 and record["adapter_bytes"] == adapter.path.stat().st_size
    assert adapter.path.stat().st_size < 20_000_000  # small enough to commit
    assert len(record["data"]["sha256"]) == 64 and record["data"]["train_examples"] >= 400
    assert record["recipe"]["rank"] >= 8 and record["training"]["steps"] > 0
    assert record["training"]["val_end"] < record["training"]["val_start"]


def test_the_shipped_adapter_loads_on_the_bundled_base_and_riddles(starter_gguf):
    adapter = shipped_adapter()
    info = check_adapter(adapter.path, starter_gguf)
    assert info.rank == adapter.provenance["recipe"]["rank"]
    choice = ModelChoice(starter_gguf, SHA256, "starter", "tiny", "base", lora_path=adapter.path)
    assert pipeline_for(choice).prefix == adapter_pipeline().prefix  # trained here: no examples
    riddler, model = open_riddler(choice, LocalSettings(n_ctx=2048, idle_unload_s=None))
    try:
        item = heldout_items()[-1]
        riddle, provenance = riddler.riddle(article_for(item.title, item.summary))
    finally:
        model.close()
    assert riddle.text and riddle.answer and len(riddle.hints) == 2
    # provenance names the adapter: a tuned riddle never passes for the base's
    assert provenance.adapter == "starter-riddles.gguf" and provenance.model_file == starter_gguf.name


def test_new_installs_start_with_the_tuned_starter_only_when_the_switch_is_on(monkeypatch, installed_starter):
    paths = app_paths().ensure()
    assert active_choice(paths).lora_path is None  # the switch is off: the base, as before
    monkeypatch.setattr(starter, "TUNED_STARTER_DEFAULT", True)
    assert active_choice(paths).lora_path == shipped_adapter().path
    # a user who switched it off stays with the base
    model_registry.detach_adapter(paths, model_registry.load(paths).models[0].key)
    assert active_choice(paths).lora_path is None
    assert json.loads(model_registry.registry_file(paths).read_text())["starter_adapter"] is None


def test_the_batched_road_riddles_with_the_adapter_not_the_bare_base(starter_gguf):
    """The reader riddles in the worker's batch loop, on a llama.cpp context of its own; a LoRA adapter
    is set per context, so that context must get it too. Greedy, the same prompts: with the adapter
    the text differs from the base's (before the fix, all 125 riddles of a blind run were the base's
    word for word), and the batch agrees with the one-by-one completion, which llama-cpp-python
    always ran with the adapter."""
    from engine.inference import Sampling
    from engine.inference.local import LocalModel
    from engine.samples import sample_articles

    adapter = shipped_adapter()
    prompts = [adapter_pipeline().prompt(a).text for a in sample_articles()[:3]]
    request = {
        "jobs": [
            {"prompt": p, "primer": "", "seeds": [1], "sampling": {"temperature": 0.0, "max_tokens": 24}}
            for p in prompts
        ],
        "width": 3,
    }

    def batched(lora: str | None) -> tuple[list[str], str]:
        model = LocalModel(starter_gguf, LocalSettings(idle_unload_s=None, lora_path=lora))
        events: list[dict] = []
        try:
            model.call("engine.inference.batch:run", request, events.append)
            one = model.complete(prompts[0], Sampling(temperature=0.0, top_p=1.0, max_tokens=24)).text
        finally:
            model.close()
        texts = {e["job"]: e["text"] for e in events if e["event"] == "finished"}
        return [texts[i] for i in range(len(prompts))], one

    base, _ = batched(None)
    tuned, tuned_one_by_one = batched(str(adapter.path))
    assert sum(a != b for a, b in zip(base, tuned, strict=True)) >= 2, (base, tuned)
    # The first 8 characters: past them a near-tie in the kernels' rounding may flip a token.
    assert tuned[0][:8] == tuned_one_by_one[:8], (tuned[0], tuned_one_by_one)

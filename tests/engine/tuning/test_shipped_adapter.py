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

"""A base with one of our own tuned adapters riddles with the prompt the adapter was trained on (no
examples); a foreign adapter, and a base without one, keep the few-shot pipeline."""

from __future__ import annotations

from pathlib import Path

from engine.active_model import ModelChoice, pipeline_for
from engine.pipelines import ADAPTER_SHOTS, PROVENANCE_FILE, FewShotPipeline, adapter_pipeline


def _choice(lora: Path | None) -> ModelChoice:
    return ModelChoice(Path("base.gguf"), "", "base", "tiny", "base", lora)


def test_our_tuned_adapter_gets_the_training_prompt(tmp_path: Path) -> None:
    adapter = tmp_path / "riddles-1" / "adapter.gguf"
    adapter.parent.mkdir()
    adapter.write_bytes(b"GGUF")
    (adapter.parent / PROVENANCE_FILE).write_text("{}", encoding="utf-8")
    pipeline = pipeline_for(_choice(adapter))
    assert isinstance(pipeline, FewShotPipeline) and pipeline.shots == ADAPTER_SHOTS
    assert pipeline.prefix == adapter_pipeline().prefix


def test_foreign_adapter_and_plain_base_keep_the_examples(tmp_path: Path) -> None:
    foreign = tmp_path / "someone-elses.gguf"
    foreign.write_bytes(b"GGUF")
    for choice in (_choice(foreign), _choice(None)):
        pipeline = pipeline_for(choice)
        assert isinstance(pipeline, FewShotPipeline) and pipeline.shots > ADAPTER_SHOTS

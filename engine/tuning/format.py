"""The text a model is trained on is exactly the text it sees at inference: the prompt comes from the
same pipeline object the app riddles with, and the target is the labelled riddle the few-shot
examples show (engine.prompts.format_example), ending at the separator where generation stops."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.articles import Article
from engine.pipelines import Pipeline, adapter_pipeline
from engine.prompts import format_example
from engine.tuning.data import TrainingExample


def article_for(title: str, summary: str) -> Article:
    return Article(
        title=title, link="", source="", published=datetime(2026, 1, 1, tzinfo=UTC), summary=summary
    )


def training_prompt(record_prompt: str) -> str:
    """The full prompt for a completion-format record: the adapter pipeline's prefix, then the record's
    "News: …\nRiddle:" (the pipeline's own suffix; tests hold the two equal)."""
    return adapter_pipeline().prefix + record_prompt


def training_pair(example: TrainingExample, pipeline: Pipeline) -> tuple[str, str]:
    """(prompt, completion): prompt + completion is one few-shot block after the pipeline's prefix."""
    prompt = pipeline.prompt(article_for(example.title, example.summary))
    block = format_example(example.as_example())
    label = "\n" + prompt.primer
    if label not in block or not prompt.text.endswith(prompt.primer):
        raise ValueError("the prompt format changed: the pipeline no longer ends with the riddle label")
    completion = block.split(label, 1)[1]
    return prompt.text, completion.rstrip("\n")

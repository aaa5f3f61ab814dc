"""The ways of asking a model for a riddle (the course module's pipelines). Each turns an Article
into a Prompt; the Riddler does the rest. The default for a model follows its metadata."""

from __future__ import annotations

from typing import Protocol

from engine.articles import Article
from engine.prompts import Prompt, few_shot_prefix, few_shot_prompt, load_examples


class Pipeline(Protocol):
    name: str  # "few-shot" | "zero-shot" | "service"

    def prompt(self, article: Article) -> Prompt: ...


class FewShotPipeline:
    """A base model continues a pattern: instructions and hand-written examples, then the article."""

    name = "few-shot"

    def __init__(self, shots: int = 6):
        self.prefix = few_shot_prefix(load_examples(), shots=shots)

    def prompt(self, article: Article) -> Prompt:
        return few_shot_prompt(article, self.prefix)

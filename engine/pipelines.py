"""The ways of asking a model for a riddle (the course module's pipelines). Each turns an Article
into a Prompt; the Riddler does the rest. The default for a model follows its metadata: a chat
template means an instruction model (zero-shot), none means a base model (few-shot).

    few-shot   base model; hand-written examples as a fixed prefix, the article last
    zero-shot  instruction model; its own chat template (sandboxed) around one instruction
    service    any OpenAI-compatible endpoint; the instruction as a chat message
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from engine.articles import Article
from engine.errors import ModelError
from engine.inference import ModelInfo
from engine.inference.chat_template import ChatTemplate
from engine.prompts import (
    Prompt,
    few_shot_prefix,
    few_shot_prompt,
    load_examples,
    service_prompt,
    zero_shot_prompt,
)

PIPELINES = ("few-shot", "zero-shot", "service")
# A tuned model has learnt the format, so it riddles without examples in its prompt: the
# instruction alone (a shorter prompt, hence a faster first token).
ADAPTER_SHOTS = 0
PROVENANCE_FILE = "provenance.json"  # written beside an adapter by engine.tuning.adapters.register


class Pipeline(Protocol):
    name: str  # one of PIPELINES

    def prompt(self, article: Article) -> Prompt: ...


class FewShotPipeline:
    """A base model continues a pattern: instructions and hand-written examples, then the article."""

    name = "few-shot"

    def __init__(self, shots: int = 6):
        self.shots = shots
        self.prefix = few_shot_prefix(load_examples(), shots=shots)

    def prompt(self, article: Article) -> Prompt:
        return few_shot_prompt(article, self.prefix)


class ZeroShotPipeline:
    """An instruction model gets one instruction, wrapped in its own chat template.

    `model_info` is called on first use (LocalModel.load: the worker reads the template from the
    GGUF), so building the pipeline costs nothing and the template is read from what really loaded."""

    name = "zero-shot"

    def __init__(self, model_info: Callable[[], ModelInfo]):
        self._model_info = model_info
        self._template: ChatTemplate | None = None
        self._last_render: tuple[str, str] = ("", "")

    def prompt(self, article: Article) -> Prompt:
        return zero_shot_prompt(article, self._chat)

    def _chat(self, message: str) -> str:
        # The prompt renders the same marker message for every article: keep the last render.
        if self._last_render[0] != message:
            self._last_render = (message, self.template().render([{"role": "user", "content": message}]))
        return self._last_render[1]

    def template(self) -> ChatTemplate:
        if self._template is None:
            info = self._model_info()
            if not info.chat_template:
                raise ModelError(
                    f"The model {info.path.rsplit('/', 1)[-1]} has no chat template, so it cannot run "
                    "zero-shot. Use the few-shot pipeline with it."
                )
            self._template = ChatTemplate(info.chat_template, info.bos_token, info.eos_token)
        return self._template


class ServicePipeline:
    """For an OpenAI-compatible endpoint (engine.inference.service.ServiceBackend): the server applies
    its own chat template to the instruction message."""

    name = "service"

    def prompt(self, article: Article) -> Prompt:
        return service_prompt(article)


def default_pipeline_name(has_chat_template: bool) -> str:
    return "zero-shot" if has_chat_template else "few-shot"


def pipeline_named(name: str, model_info: Callable[[], ModelInfo] | None = None) -> Pipeline:
    """The pipeline a user (or the model's metadata) chose. Zero-shot needs `model_info`
    (e.g. LocalModel.load) to reach the model's chat template."""
    if name == "few-shot":
        return FewShotPipeline()
    if name == "service":
        return ServicePipeline()
    if name == "zero-shot":
        if model_info is None:
            raise ValueError("the zero-shot pipeline needs the model's info to find its chat template")
        return ZeroShotPipeline(model_info)
    raise ValueError(f"unknown pipeline {name!r}; choose one of {', '.join(PIPELINES)}")


def default_pipeline(has_chat_template: bool, model_info: Callable[[], ModelInfo] | None = None) -> Pipeline:
    """What a model gets unless the user overrides it: zero-shot with a chat template, else few-shot."""
    return pipeline_named(default_pipeline_name(has_chat_template), model_info)


# -- adapters: the rule lives here, not in engine.tuning, so engine.active_model (which picks a
# pipeline) and engine.tuning (which trains on it, and asks active_model what to tune) do not import
# each other.
def adapter_pipeline() -> FewShotPipeline:
    """The prompt our own adapters are trained on and riddle with."""
    return FewShotPipeline(shots=ADAPTER_SHOTS)


def tuned_here(adapter_path: Path) -> bool:
    """Whether an adapter file was trained by Riddlewire (engine.tuning.adapters keeps its provenance
    beside it), hence trained on adapter_pipeline()'s prompt."""
    return (Path(adapter_path).parent / PROVENANCE_FILE).is_file()

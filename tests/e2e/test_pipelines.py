"""All three pipelines end to end: sample articles -> prompt -> real llama.cpp (in our worker, or
behind llama-cpp-python's own OpenAI-compatible server) -> validated riddles -> the SQLite history."""

from dataclasses import replace

import pytest

from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.inference.service import ServiceBackend, ServiceSettings
from engine.pipelines import FewShotPipeline, ServicePipeline, ZeroShotPipeline
from engine.riddling import ModelIdentity, Riddler, riddle_articles
from engine.samples import sample_articles
from engine.store import Store
from engine.subjects import candidates
from tests.support.llama_server import llama_server
from tests.support.synthetic_gguf import SCRIPT_ANSWER, write_scripted_model

GREEDY = Sampling(temperature=0.0, max_tokens=64)
GEMMA_LIKE = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m['role'] }}\n{{ m['content'] }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


# A chat service is not guided, so the scripted model's answer ("lantern") must be in its stories:
# a riddle whose answer is not in the story is refused (engine.quality).
LANTERN_NEWS = (
    ("Lantern festival lights up the old harbour", "Thousands of paper lanterns floated over the water."),
    ("Museum restores a ship's brass lantern", "The lantern hung on a whaling ship for forty years."),
    ("Village keeps its gas street lanterns", "The council voted to keep the lanterns lit by hand."),
)


def lantern_articles():
    return [
        replace(article, title=title, summary=summary, link=f"https://example.org/lantern/{n}")
        for n, (article, (title, summary)) in enumerate(zip(sample_articles(), LANTERN_NEWS, strict=False))
    ]


def _riddle_three(tmp_path, backend, pipeline, name, guided=True):
    store = Store(tmp_path / f"{name}.db")
    seen = []
    riddler = Riddler(backend, pipeline, ModelIdentity(f"{name}.gguf", "", "tiny"), GREEDY)
    articles = sample_articles()[:3] if guided else lantern_articles()
    run = riddle_articles(store, articles, riddler, progress=seen.append)
    assert not run.failed and len(run.stored) == 3
    assert [(p.done, p.total) for p in seen] == [(0, 3), (1, 3), (2, 3), (3, 3)]  # the queue reports n of m
    stored = store.riddles()
    assert len(stored) == 3
    if guided:  # the answer is chosen among the story's subjects, whatever the model would say
        for s in stored:
            assert s.riddle.answer in candidates(s.article.title, s.article.summary), s.riddle.answer
    else:  # a chat service is never guided: the scripted model's own answer comes through
        assert {s.riddle.answer for s in stored} == {SCRIPT_ANSWER}
    assert {s.provenance.pipeline for s in stored} == {name}
    assert all(len(s.riddle.hints) == 2 and s.provenance.completion_tokens > 0 for s in stored)
    store.close()


def test_few_shot_pipeline_stores_riddles(scripted_gguf, tmp_path):
    # The scripted model spells the few-shot examples byte by byte: about 4,800 tokens.
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=8192, idle_unload_s=None))
    try:
        _riddle_three(tmp_path, model, FewShotPipeline(), "few-shot")
    finally:
        model.close()


def test_zero_shot_pipeline_stores_riddles_with_the_models_own_template(tmp_path):
    path = write_scripted_model(tmp_path / "instruct.gguf", chat_template=GEMMA_LIKE)
    model = LocalModel(path, LocalSettings(n_ctx=2048, idle_unload_s=None))
    try:
        pipeline = ZeroShotPipeline(model.load)
        assert "<start_of_turn>model\n" in pipeline.prompt(sample_articles()[0]).text
        _riddle_three(tmp_path, model, pipeline, "zero-shot")
    finally:
        model.close()


@pytest.mark.slow
def test_service_pipeline_stores_riddles_from_an_openai_compatible_server(scripted_gguf, tmp_path):
    with llama_server(scripted_gguf) as base:
        backend = ServiceBackend(ServiceSettings(base, "riddler"))
        try:
            _riddle_three(tmp_path, backend, ServicePipeline(), "service", guided=False)
        finally:
            backend.close()

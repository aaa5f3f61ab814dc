"""Chat templates from GGUF metadata render in a sandbox; a template that tries to escape it never
runs code. The hostile template travels inside a real GGUF and comes back through the real worker."""

from pathlib import Path

import pytest

from engine.errors import ModelError
from engine.inference.chat_template import ChatTemplate
from engine.inference.local import LocalModel, LocalSettings
from engine.pipelines import ZeroShotPipeline, default_pipeline, default_pipeline_name
from engine.samples import sample_articles
from tests.support.synthetic_gguf import write_scripted_model

CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}{% "
    "endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def escape_templates(marker: Path) -> list[str]:
    """Known ways out of a Jinja sandbox; each would create `marker` if it ran."""
    command = f"touch {marker}"
    return [
        "{{ cycler.__init__.__globals__.os.popen('" + command + "').read() }}",
        "{{ ''.__class__.__mro__[1].__subclasses__()[0]('" + command + "') }}",
        "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('" + command + "') }}",
        "{% set x = namespace() %}{{ x.__init__.__globals__['os'].system('" + command + "') }}",
        "{{ messages.append({'role': 'system'}) }}{{ raise_exception.__globals__['os'].system('"
        + command
        + "') }}",
    ]


def test_renders_a_chat_template_with_special_tokens():
    text = ChatTemplate("{{ bos_token }}" + CHATML, bos_token="<s>").render(
        [{"role": "user", "content": "hi"}]
    )
    assert text == "<s><|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.parametrize("index", range(5))
def test_a_sandbox_escape_is_refused_and_runs_nothing(tmp_path, index):
    marker = tmp_path / "escaped"
    template = ChatTemplate(escape_templates(marker)[index])
    with pytest.raises(ModelError, match="chat template"):
        template.render([{"role": "user", "content": "hi"}])
    assert not marker.exists()


def test_broken_and_runaway_templates_are_sentences():
    with pytest.raises(ModelError, match="not valid Jinja"):
        ChatTemplate("{% for %}").render([])
    with pytest.raises(ModelError, match="could not be used"):
        ChatTemplate("{% for i in range(10**9) %}x{% endfor %}").render([])
    with pytest.raises(ModelError, match="could not be used"):
        ChatTemplate("{{ raise_exception('roles must alternate') }}").render([])
    with pytest.raises(ModelError, match="no chat template"):
        ChatTemplate("").render([])


def test_a_hostile_gguf_template_reaches_the_pipeline_and_is_refused(tmp_path):
    marker = tmp_path / "escaped-from-gguf"
    model_path = write_scripted_model(tmp_path / "hostile.gguf", chat_template=escape_templates(marker)[0])
    model = LocalModel(model_path, LocalSettings(n_ctx=512, idle_unload_s=None))
    try:
        info = model.load()
        assert info.has_chat_template and "__globals__" in info.chat_template
        pipeline = default_pipeline(info.has_chat_template, model.load)
        assert pipeline.name == "zero-shot"
        with pytest.raises(ModelError, match="outside its sandbox"):
            pipeline.prompt(sample_articles()[0])
    finally:
        model.close()
    assert not marker.exists()


def test_zero_shot_prefix_is_shared_and_the_article_comes_last(tmp_path):
    model_path = write_scripted_model(tmp_path / "chat.gguf", chat_template="{{ bos_token }}" + CHATML)
    model = LocalModel(model_path, LocalSettings(n_ctx=512, idle_unload_s=None))
    try:
        pipeline = ZeroShotPipeline(model.load)
        first, second = sample_articles()[:2]
        p1, p2 = pipeline.prompt(first), pipeline.prompt(second)
    finally:
        model.close()
    assert p1.prefix == p2.prefix and p1.prefix.startswith("<s><|im_start|>user\n")
    assert first.title.rstrip(".") in p1.suffix and first.title.rstrip(".") not in p1.prefix
    assert p1.suffix.endswith("<|im_end|>\n<|im_start|>assistant\nAnswer:")


def test_default_pipeline_follows_the_metadata():
    assert default_pipeline_name(True) == "zero-shot"
    assert default_pipeline_name(False) == "few-shot"
    assert default_pipeline(False).name == "few-shot"


def test_zero_shot_on_a_model_without_a_template_says_what_to_do(scripted_gguf):
    model = LocalModel(scripted_gguf, LocalSettings(n_ctx=512, idle_unload_s=None))
    try:
        with pytest.raises(ModelError, match="few-shot"):
            ZeroShotPipeline(model.load).prompt(sample_articles()[0])
    finally:
        model.close()

"""A model's own chat template (Jinja, from its GGUF metadata), rendered in a sandbox.

The template is untrusted text from a downloaded file. It runs in jinja2's
ImmutableSandboxedEnvironment, as llama-cpp-python and transformers do: no attribute starting with an
underscore, no mutation of objects, ranges capped. A template that reaches outside the sandbox is
refused with a sentence; it never runs code. The output is capped so a template cannot flood memory."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
import jinja2.ext
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from engine.errors import ModelError

MAX_TEMPLATE_CHARS = 64_000
MAX_RENDERED_CHARS = 200_000
# A template is a program: loops inside loops can run for hours. Real templates render in milliseconds.
RENDER_DEADLINE_S = 2.0


class _GenerationTags(jinja2.ext.Extension):
    """Accept transformers' `{% generation %}...{% endgeneration %}` blocks and render their body."""

    tags = {"generation"}

    def parse(self, parser: jinja2.parser.Parser) -> list[nodes.Node]:
        next(parser.stream)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


def _raise_exception(message: str) -> None:
    raise jinja2.TemplateError(message)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None, **_: Any) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)


@dataclass(frozen=True)
class ChatTemplate:
    """A chat template with the special tokens it refers to."""

    source: str
    bos_token: str = ""
    eos_token: str = ""

    def render(self, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        """The prompt text for `messages`, or ModelError with a sentence if the template is unsafe or
        broken."""
        template = _compile(self.source)
        try:
            text = _render_in_time(
                template,
                messages=messages,
                add_generation_prompt=add_generation_prompt,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
            )
        except _TooSlow as error:
            raise ModelError(
                f"This model's chat template took more than {RENDER_DEADLINE_S:g} s to fill in, so it was "
                "not used. Use the few-shot pipeline with this model, or choose another model."
            ) from error
        except SecurityError as error:
            raise ModelError(
                "This model's chat template tried to reach outside its sandbox, so it was not run "
                f"({str(error)[:120]}). Use the few-shot pipeline with this model, or choose another model."
            ) from error
        except (jinja2.TemplateError, TypeError, ValueError, OverflowError) as error:
            raise ModelError(
                f"This model's chat template could not be used ({str(error)[:120]}). "
                "Use the few-shot pipeline with this model, or choose another model."
            ) from error
        if len(text) > MAX_RENDERED_CHARS:
            raise ModelError(
                "This model's chat template produced an oversized prompt. Use the few-shot pipeline."
            )
        return text


class _TooSlow(jinja2.TemplateError):
    pass


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, where `*` and `**` may not build huge values: `'x' * 10**10` would take all memory
    before the output's size could be checked (found by tests/robustness/test_hostile_gguf.py)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and right > 1024:
            raise SecurityError("an exponent that large is not allowed")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | list | tuple)
                    and isinstance(times, int)
                    and len(sequence) * times > MAX_RENDERED_CHARS
                ):
                    raise SecurityError("a repeated value that large is not allowed")
        return super().call_binop(context, operator, left, right)


def _render_in_time(template: jinja2.Template, **context: Any) -> str:
    """Render, stopping after RENDER_DEADLINE_S: a trace function on this thread only, active just for
    the render (which happens once per riddler: ZeroShotPipeline keeps it), checks the clock on every line
    the compiled template runs. Any tracer already set (a debugger, coverage) is put back afterwards."""
    limit = time.monotonic() + RENDER_DEADLINE_S

    def check(_frame: Any, _event: str, _arg: Any) -> Any:
        if time.monotonic() > limit:
            raise _TooSlow("too slow")
        return check

    previous = sys.gettrace()
    sys.settrace(check)
    try:
        return template.render(**context)
    finally:
        sys.settrace(previous)


def _compile(source: str) -> jinja2.Template:
    if not source.strip():
        raise ModelError("This model has no chat template. Use the few-shot pipeline with it.")
    if len(source) > MAX_TEMPLATE_CHARS:
        raise ModelError(
            "This model's chat template is too large to trust. Use the few-shot pipeline with it."
        )
    env = _BoundedSandbox(
        loader=jinja2.BaseLoader(),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_GenerationTags, jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = _tojson
    env.globals.update(raise_exception=_raise_exception, strftime_now=_strftime_now)
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as error:
        raise ModelError(
            f"This model's chat template is not valid Jinja ({error.message}). Use the few-shot pipeline "
            f"with it."
        ) from error

"""Build your own: fine-tune a riddle LoRA adapter on the user's data, export it as a GGUF adapter that
llama.cpp applies to the quantized base, register it, and measure it against the base on held-out news.

The heavy libraries (torch, transformers, peft) are an optional extra and are imported only inside
the training process (engine/tuning/trainer.py), never in the app's own process."""

from __future__ import annotations

import importlib.util

from engine.errors import EngineError

EXTRA_MODULES = ("torch", "transformers", "peft", "sentencepiece")
INSTALL_HINT = ".venv/bin/pip install 'riddlewire[tune]'  (or: pip install -e '.[tune]')"


class TuningError(EngineError):
    """Fine-tuning cannot start, failed, or produced an adapter that cannot be used."""


def missing_extra() -> list[str]:
    """The training libraries that are not installed (found without importing them: torch alone
    takes seconds to import)."""
    return [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]


def explain_missing_extra(missing: list[str]) -> str:
    return (
        f"Training needs the optional fine-tuning libraries, and {', '.join(missing)} "
        f"{'is' if len(missing) == 1 else 'are'} not installed. Install them with: {INSTALL_HINT}, "
        "then restart Riddlewire. Everything else works without them."
    )


def require_extra() -> None:
    missing = missing_extra()
    if missing:
        raise TuningError(explain_missing_extra(missing))

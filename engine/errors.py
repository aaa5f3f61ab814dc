"""Typed errors. Every one carries a sentence a person can act on; the edges (CLI, GUI) show it as is."""


class EngineError(Exception):
    """Root of every error the engine raises on purpose. str(error) is the user-facing sentence."""

    def __init__(self, sentence: str):
        super().__init__(sentence)
        self.sentence = sentence


class Cancelled(EngineError):
    def __init__(self, sentence: str = "Stopped at your request."):
        super().__init__(sentence)


class FeedError(EngineError):
    """A feed could not be fetched or read."""


class ModelError(EngineError):
    """A model file is missing, broken or cannot run here."""


class EngineCrashed(EngineError):
    """The inference worker process died; the next request starts a fresh one."""


class GenerationError(EngineError):
    """The model ran but gave nothing usable, even after the allowed retries."""


class StoreError(EngineError):
    """The history database cannot be opened or written."""


class DownloadError(EngineError):
    """A model download failed; completed bytes are kept for a resume where possible."""


class ServiceError(EngineError):
    """An OpenAI-compatible service refused or failed a request."""

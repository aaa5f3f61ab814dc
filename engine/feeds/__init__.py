"""News feeds: parse (from bytes), and later fetch, normalise, dedupe and OPML."""

from engine.feeds.parse import parse

__all__ = ["parse"]

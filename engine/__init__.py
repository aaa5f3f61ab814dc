"""Riddlewire's engine: everything that is not a screen. It never imports Qt (a test guards that)."""

from importlib import metadata

try:
    __version__ = metadata.version("riddlewire")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

"""`riddlewire diagnostics`: print the same report as Help → Diagnostics, ready to paste into a bug report."""

from __future__ import annotations

import argparse

from engine.diagnostics import collect
from engine.paths import app_paths
from engine.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "diagnostics", help="print versions, the llama.cpp build, folders and last errors"
    )
    p.set_defaults(run=run)


def run(_args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    print(collect(paths, load_settings(paths.settings_file)).report(), end="")
    return 0

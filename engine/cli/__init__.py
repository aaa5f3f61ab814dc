"""The command line: a thin shell over the engine. Each subcommand lives in its own module in this
package and exposes `register(subparsers)`; modules are found automatically. Engine errors are
printed as their sentence with exit status 1 — that is the edge where they are translated."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from engine import __version__
from engine.errors import Cancelled, EngineError
from engine.logs import start_logging
from engine.paths import app_paths


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riddlewire", description="Turn the day's news into riddles with a model on your own machine."
    )
    parser.add_argument("--version", action="version", version=f"riddlewire {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if hasattr(module, "register"):
            module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The same rotating log file as the app; the console only hears warnings unless -v.
    start_logging(app_paths().logs, "info" if args.verbose else "warning")
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except Cancelled as stop:
        print(stop.sentence, file=sys.stderr)
        return 130
    except EngineError as error:
        print(f"riddlewire: {error.sentence}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

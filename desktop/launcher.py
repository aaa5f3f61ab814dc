"""The `riddlewire` command: the window by default, headless subcommands when asked, and the
engine worker when the bundled executable re-enters itself. Qt is imported only for the window."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--engine-worker"]:
        from engine.inference.worker import main as worker_main

        worker_main()
        return 0
    if argv[:1] == ["--llama-build"]:  # diagnostics asks about llama.cpp in a child process
        import json

        from engine.diagnostics import probe_llama

        print(json.dumps(probe_llama()))
        return 0
    if argv[:1] == ["--self-test"]:
        from engine.selftest import main as self_test

        return self_test()
    if argv and argv[0] not in ("--gui",) and not argv[0].startswith("-qt"):
        from engine.cli import build_parser
        from engine.cli import main as cli_main

        commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
        if argv[0] in commands or argv[0] in ("--version", "-h", "--help", "-v", "--verbose"):
            return cli_main(argv)
    from desktop.app import run_app

    return run_app([a for a in argv if a != "--gui"])


if __name__ == "__main__":
    sys.exit(main())

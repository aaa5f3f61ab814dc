"""Why the worker process died, in words a person can act on."""

from __future__ import annotations

import signal

_BY_SIGNAL = {
    signal.SIGILL: (
        "The engine stopped with an illegal instruction: this llama.cpp build uses CPU instructions "
        "this machine does not allow. Reinstall the app (or rebuild llama-cpp-python without "
        "-march=native, see the README) and try again."
    ),
    signal.SIGSEGV: (
        "The engine crashed with a memory fault while running the model. The model file may be "
        "damaged or made for a newer llama.cpp; try another model or download this one again."
    ),
    signal.SIGABRT: (
        "The engine aborted: llama.cpp stopped on an internal check, often a broken or unsupported "
        "model file. Try another model."
    ),
    signal.SIGBUS: (
        "The engine crashed reading the model file (bus error). The file may have been changed or "
        "truncated while in use; download or import it again."
    ),
    signal.SIGKILL: (
        "The engine was killed, usually because the computer ran out of memory. Choose a smaller "
        "model or a shorter context length, or close other programs."
    ),
    signal.SIGTERM: "The engine was stopped from outside the app. It will start again on the next riddle.",
}


def exit_sentence(returncode: int | None, stderr_tail: str = "") -> str:
    """A sentence for a worker exit status as Popen reports it (negative = killed by a signal)."""
    if returncode is not None and returncode < 0:
        try:
            sig = signal.Signals(-returncode)
        except ValueError:
            return f"The engine stopped on signal {-returncode}. It will start again on the next riddle."
        return _BY_SIGNAL.get(
            sig, f"The engine stopped on {sig.name}. It will start again on the next riddle."
        )
    detail = stderr_tail.strip().splitlines()[-1][:200] if stderr_tail.strip() else ""
    code = "" if returncode is None else f" (exit code {returncode})"
    return f"The engine stopped unexpectedly{code}." + (f" Its last words: {detail}" if detail else "")

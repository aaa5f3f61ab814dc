"""A worker told to exit leaves cleanly: status 0, nothing on stderr. Before, interpreter shutdown
under the stdin reader thread aborted it (status 134, "could not acquire lock for <stdin>") on most
exits, which a desktop crash reporter would show as a crash."""

from __future__ import annotations

import subprocess
import sys
import time


def test_the_worker_exits_cleanly_when_told_to():
    for _ in range(5):  # the abort was a race the reader thread usually lost: try several times
        worker = subprocess.Popen(
            [sys.executable, "-m", "engine.inference.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert b'"ready"' in worker.stdout.readline()
        time.sleep(0.1)  # let the reader thread block in its read, as it does in the app
        out, err = worker.communicate(b'{"op": "exit"}\n', timeout=30)
        assert worker.returncode == 0, err.decode(errors="replace")[:300]
        assert b"Fatal Python error" not in err

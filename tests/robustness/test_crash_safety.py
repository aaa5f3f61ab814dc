"""Nothing committed is ever lost: a writer process SIGKILLed at random moments, again and again
(during schema creation, between and inside transactions), leaves a history that passes
integrity_check and holds every riddle whose commit was acknowledged."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.store import Store
from engine.store.history import HistoryFilter, count

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 12


def run_and_kill(db: Path, start: int, rng: random.Random, wait_ready: bool) -> list[tuple[int, str]]:
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.robustness.crash_writer", str(db), str(start)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        if wait_ready:  # kill while it writes
            assert writer.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.4))
        else:  # kill at any moment from its start: imports, opening, migrations, writes
            time.sleep(rng.uniform(0.0, 1.5))
    finally:
        writer.send_signal(signal.SIGKILL)
        output, _ = writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    acks = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "ack":  # a line cut by the kill has no key yet
            acks.append((int(parts[1]), parts[2]))
    return acks


def test_repeated_sigkill_of_a_writer_loses_no_acknowledged_riddle(tmp_path):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    db = tmp_path / "history.sqlite3"
    acknowledged: list[tuple[int, str]] = []
    for round_number in range(ROUNDS):
        acknowledged += run_and_kill(
            db, start=round_number * 100_000, rng=rng, wait_ready=round_number % 2 == 1
        )
        store = Store(db)  # opens (and finishes any migration) after every kill
        try:
            assert store.integrity_ok(), f"seed {seed}, round {round_number}"
            store.db.execute("INSERT INTO history_fts(history_fts, rank) VALUES ('integrity-check', 1)")
            found = dict(
                store.db.execute("SELECT r.id, a.key FROM riddles r JOIN articles a ON a.id = r.article_id")
            )
            missing = [(rid, key) for rid, key in acknowledged if found.get(rid) != key]
            assert not missing, f"seed {seed}, round {round_number}: lost {missing[:5]}"
            assert count(store, HistoryFilter(query="crash story")) == len(found)
        finally:
            store.close()
    if len(acknowledged) < ROUNDS:
        pytest.fail(
            f"the writer acknowledged only {len(acknowledged)} riddles; the kills came too early (seed "
            f"{seed})"
        )

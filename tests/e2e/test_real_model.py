"""End to end with the real Gemma 3 270M base model: the CLI riddles the bundled sample feed and the
riddles land in the history database."""

import json
import os
import subprocess
import sys

import pytest

from engine.paths import app_paths
from engine.riddles import leaks
from engine.store import Store
from tests.conftest import ROOT, SAMPLE_FEED

pytestmark = pytest.mark.slow


def riddlewire(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ},
    )


def test_sample_feed_becomes_stored_riddles_with_the_real_model(installed_starter):
    result = riddlewire("riddle", "--feed", str(SAMPLE_FEED), "--limit", "6", "--json", "--seed", "11")
    assert result.returncode == 0, result.stderr
    printed = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    # Guided generation (answer first, the answer's words refused in riddle and hints) made all 20 sample
    # articles valid in the benchmark; riddle-first parse-and-retry made 15 of 20 (BENCHMARKS.md).
    assert len(printed) >= 5, result.stderr
    store = Store(app_paths().database)
    stored = store.riddles()
    assert len(stored) == len(printed)
    for item in stored:
        assert item.riddle.text.strip() and item.riddle.answer.strip()
        assert not leaks(item.riddle.answer, item.riddle.text)
        assert len(item.riddle.hints) == 2 and not any(
            leaks(item.riddle.answer, h) for h in item.riddle.hints
        )
        assert (
            item.provenance.model_sha256 == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
        )
        assert item.provenance.tokens_per_s > 0


def test_version_and_a_missing_feed_sentence():
    version = riddlewire("--version")
    assert version.returncode == 0 and version.stdout.startswith("riddlewire ")
    missing = riddlewire("riddle", "--feed", "/nonexistent/feed.xml")
    assert missing.returncode == 1
    assert "There is no feed file at" in missing.stderr and "Traceback" not in missing.stderr

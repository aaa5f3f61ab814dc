"""`riddlewire --self-test` is what installers run against a bundle: it must pass on a good install
and fail loudly on a broken one."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def self_test(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop", "--self-test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )


def test_self_test_passes_with_the_starter_model(installed_starter):
    result = self_test({**os.environ})
    assert result.returncode == 0, result.stderr
    assert "self-test ok" in result.stdout and "riddled" in result.stdout


def test_self_test_fails_loudly_when_the_model_is_broken(riddlewire_home):
    models = riddlewire_home / "data" / "models"
    models.mkdir(parents=True)
    # Right size, wrong bytes: passes the quick size check, so llama.cpp itself must reject it.
    from engine.starter import FILENAME, SIZE_BYTES

    with open(models / FILENAME, "wb") as broken:
        broken.truncate(SIZE_BYTES)
    result = self_test({**os.environ})
    assert result.returncode == 1
    assert "self-test FAILED" in result.stderr and "Traceback" not in result.stderr

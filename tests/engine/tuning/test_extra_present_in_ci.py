"""The training tests skip where riddlewire[tune] is not installed (a developer's lean venv). `make
test` installs it, so in CI a skip would hide that nothing was trained: there it must be present."""

import os

import pytest

from engine.tuning import missing_extra


@pytest.mark.skipif(not os.environ.get("CI"), reason="only CI promises the tune extra")
def test_ci_has_the_tune_extra_so_training_tests_really_run():
    assert missing_extra() == []

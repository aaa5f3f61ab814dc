"""The cold-start probe that benchmarks and installers use: the real app starts, shows its window,
says how long that took from process start, and quits by itself."""

import os
import re
import subprocess
import sys

from tests.conftest import ROOT


def test_the_app_reports_its_window_shown_and_quits(riddlewire_home):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "RIDDLEWIRE_STARTUP_PROBE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "desktop"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    match = re.search(r"window shown (\d+\.\d\d) s after the process started", done.stdout)
    assert match and 0 < float(match.group(1)) < 120

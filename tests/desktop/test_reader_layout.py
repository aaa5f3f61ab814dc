"""The window fits the screen, whatever the riddles hold (issue 19): the app as started, over a history
of overlong links, summaries, headlines and unbroken words, selects every riddle in turn; the window
must never grow past the screen's available geometry, and every button of the card must be wholly
visible once scrolled to.

Each run is its own process (tests/desktop/window_fit_probe.py), since a screen's size is fixed when
Qt starts: under Xvfb on a 1400×900 screen where Xvfb is installed (a real X window, no window
manager, as the bug was found), and always on Qt's offscreen platform with a 1280×720 screen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("window_fit_probe.py")


def _probe(env: dict[str, str], home: Path) -> dict:
    env = {**os.environ, **env, "RIDDLEWIRE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, str(PROBE)], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, f"the probe failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return json.loads(lines[-1])


def _assert_fits(result: dict, screen: tuple[int, int]) -> None:
    sx, sy, sw, sh = result["screen"]
    assert (sw, sh) == screen, result
    for moment, (x, y, w, h) in result["frames"].items():
        assert w <= sw and h <= sh, f"after {moment} the window is {w}×{h} on a {sw}×{sh} screen"
        assert x >= sx and y >= sy and x + w <= sx + sw and y + h <= sy + sh, (moment, result)
    assert result["minimum"][0] <= sw, f"the window asks for at least {result['minimum'][0]} px"
    assert result["hidden"] == [], result["hidden"]


def test_the_window_fits_an_offscreen_1280_by_720_screen(tmp_path):
    config = tmp_path / "screen.json"
    config.write_text(
        json.dumps({"screens": [{"name": "probe", "x": 0, "y": 0, "width": 1280, "height": 720}]})
    )
    result = _probe({"QT_QPA_PLATFORM": f"offscreen:configfile={config}"}, tmp_path / "home")
    assert result["platform"] == "offscreen"
    _assert_fits(result, (1280, 720))


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed (apt-get install xvfb)")
def test_the_window_fits_a_real_1400_by_900_x_screen(tmp_path):
    display = f":{90 + os.getpid() % 400}"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{display[1:]}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        result = _probe({"QT_QPA_PLATFORM": "xcb", "DISPLAY": display}, tmp_path / "home")
    finally:
        server.terminate()
        server.wait(10)
    assert result["platform"] == "xcb"
    _assert_fits(result, (1400, 900))

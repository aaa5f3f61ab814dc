"""Cold start to the first window shown, against a bare PySide6 window in the same run, and a first
launch's time to 5 riddles with the bundled starter model (sample news, empty history)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import machine, table

ROOT = Path(__file__).resolve().parent.parent

BARE = """
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QTimer
app = QApplication([])
w = QMainWindow(); w.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""

RIDDLEWIRE = """
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
from desktop.app import build_window
app = QApplication([])
w = build_window(app); w.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""

FIRST_RIDDLES = """
import time
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
from desktop.app import build_window
app = QApplication([])
w = build_window(app); w.show(); reader = w.page("reader"); reader.load_history()
def check():
    if reader.model.rowCount() >= 5:
        print("riddles", reader.model.rowCount(), flush=True); app.quit()
timer = QTimer(); timer.timeout.connect(check); timer.start(100)
app.exec()
"""


def time_to_line(script: str, home: str, timeout: float = 300) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "RIDDLEWIRE_HOME": home, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
        text=True,
    )
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.wait(timeout=timeout)
    if not line:
        raise RuntimeError("the child never reported")
    return elapsed


def main(repeats: int = 5) -> None:
    with tempfile.TemporaryDirectory() as home:
        bare = [time_to_line(BARE, home) for _ in range(repeats)]
        ours = [time_to_line(RIDDLEWIRE, home) for _ in range(repeats)]
    firsts = []
    for _ in range(2):
        with tempfile.TemporaryDirectory() as fresh:
            firsts.append(time_to_line(FIRST_RIDDLES, fresh))
    print(f"Machine: {machine()}\n")
    print(
        table(
            ["measure", "median s", "runs"],
            [
                ["bare PySide6 window shown (baseline)", statistics.median(bare), repeats],
                ["Riddlewire window shown", statistics.median(ours), repeats],
                ["ratio Riddlewire / bare", statistics.median(ours) / statistics.median(bare), ""],
                [
                    "first launch: 5 riddles on screen (starter model, empty history)",
                    statistics.median(firsts),
                    2,
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()

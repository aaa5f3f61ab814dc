"""Model manager benchmarks (issue 3):
- download throughput (resumable, hashed, locked) against a raw streaming GET of the same file from the
  same local server: target ratio >= 0.9;
- catalog load + fit verdict for every file: target < 100 ms;
- the Models page, from construction to its first filled list: target < 300 ms.

    .venv/bin/python -m bench.models"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import machine, median_time, table

SIZE = 200 * 1024 * 1024
REPEATS = 5


_SERVER = """
import os, sys, time
from tests.support.fake_hub import FakeHub
hub = FakeHub().start()
hub.add("bench/model-GGUF", "bench.gguf", os.urandom(int(sys.argv[1])))
print(hub.url, flush=True)
sys.stdin.read()
"""


def download_ratio(folder: Path) -> tuple[float, float]:
    """Both sides fetch from the same fake Hub, running in its own process (as a real server would)."""
    from engine.downloads import HubFile, download

    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(SIZE)],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        endpoint = server.stdout.readline().strip()
        url = f"{endpoint}/bench/model-GGUF/resolve/main/bench.gguf"
        target = folder / "bench.gguf"

        def raw() -> None:
            with httpx.Client() as client, client.stream("GET", url) as response, open(target, "wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
            target.unlink()

        def ours() -> None:
            download(HubFile("bench/model-GGUF", "bench.gguf"), folder, endpoint=endpoint, token="")
            target.unlink()

        # alternate the two so that both see the same machine load
        raw_s, ours_s = [], []
        for _ in range(REPEATS):
            raw_s.append(median_time(raw, repeats=1, warmup=0))
            ours_s.append(median_time(ours, repeats=1, warmup=0))
    finally:
        server.stdin.close()
        server.wait(10)
    return statistics.median(raw_s), statistics.median(ours_s)


def catalog_and_fit_s(folder: Path) -> tuple[float, float, int]:
    from engine.catalog import CATALOG_FILE, load_catalog
    from engine.hardware import detect, fit

    here = detect(folder)

    def run() -> int:
        catalog = load_catalog(CATALOG_FILE)  # an explicit path is read afresh, not cached
        return len([fit(spec, f, here) for spec in catalog.entries for f in spec.files])

    files = run()
    detect_s = median_time(lambda: detect(folder), repeats=REPEATS)
    return median_time(run, repeats=REPEATS * 4), detect_s, files


def page_open_s() -> float:
    from types import SimpleNamespace

    from PySide6.QtWidgets import QApplication

    from desktop.pages.models import ModelsPage
    from engine.paths import app_paths

    app = QApplication.instance() or QApplication([])
    context = SimpleNamespace(paths=app_paths().ensure(), settings=None)

    def run() -> None:
        page = ModelsPage(context)
        deadline = time.monotonic() + 10
        while not page.loaded and time.monotonic() < deadline:
            app.processEvents()
        assert page.loaded and page.available.rowCount() > 0
        page.deleteLater()

    return median_time(run, repeats=REPEATS)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["RIDDLEWIRE_HOME"] = home
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        raw_s, ours_s = download_ratio(Path(home))
        fit_s, detect_s, files = catalog_and_fit_s(Path(home))
        page_s = page_open_s()
    print(f"Machine: {machine()}\n")
    mb = SIZE / 1e6
    print(
        table(
            ["measure", "median", "target"],
            [
                [
                    f"raw streaming GET, {mb:.0f} MB from 127.0.0.1",
                    f"{raw_s:.2f} s ({mb / raw_s:.0f} MB/s)",
                    "baseline",
                ],
                [
                    "riddlewire download (resume file, sha256, lock)",
                    f"{ours_s:.2f} s ({mb / ours_s:.0f} MB/s)",
                    "",
                ],
                ["throughput ratio (ours / raw)", f"{raw_s / ours_s:.2f}", ">= 0.9"],
                [f"catalog load + fit for all {files} files", f"{fit_s * 1000:.2f} ms", "< 100 ms"],
                [
                    "machine detection (RAM, disk, GPU, build probe cached)",
                    f"{detect_s * 1000:.1f} ms",
                    "(once per page)",
                ],
                ["Models page: construct -> list filled", f"{page_s * 1000:.0f} ms", "< 300 ms"],
            ],
        )
    )


if __name__ == "__main__":
    main()

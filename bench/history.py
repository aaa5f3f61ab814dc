"""Reader and history at scale (issue 6): a history of 100,000 riddles, made here.

    .venv/bin/python -m bench.history [--riddles 100000] [--runs 5]

Measures, each against a baseline from the same run:
- app start to an interactive window (first riddles listed), 100k history vs an empty one;
- full-text search, first page of results (p95 over many queries), vs the plain newest page;
- scrolling the history list through 10,000 rows: the longest UI-thread gap, vs an idle window;
- app memory (RSS) without a model, at start and after scrolling, vs an empty history.
The generated history is cached in the user cache folder, keyed by the schema."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import machine, table

ROOT = Path(__file__).resolve().parent.parent
SCROLL_PAGES = 50  # 50 pages of 200 rows


# -- the history ------------------------------------------------------------------------------
def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    syllables = "ka lo mi ra te su vo ne li da po ri sa to me lu ba ge fi no".split()
    words = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(size * 2)}
    return sorted(words)[:size]


class Zipf:
    """Words drawn with news-like frequencies: a few very common, most rare."""

    def __init__(self, words: list[str], rng: random.Random):
        self.words, self.rng = words, rng
        self.weights = [1 / (rank + 1) for rank in range(len(words))]

    def text(self, count: int) -> str:
        return " ".join(self.rng.choices(self.words, self.weights, k=count))


def make_history(path: Path, riddles: int) -> None:
    from engine.store import Store

    rng = random.Random(6)
    words = Zipf(vocabulary(rng), rng)
    store = Store(path)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with store.db.conn:
        for i in range(riddles):
            when = (start + timedelta(seconds=315 * i)).isoformat(timespec="milliseconds")
            link = f"https://news.example.org/{i}"
            article_id = store.db.execute(
                "INSERT INTO articles (key, title, link, source, feed_url, published, author, summary, guid, "
                "fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    link,
                    words.text(9).capitalize(),
                    link,
                    f"Source {i % 12}",
                    "",
                    when,
                    "",
                    words.text(60),
                    "",
                    when,
                ],
            ).lastrowid
            store.db.execute(
                "INSERT INTO riddles (article_id, text, answer, hints, difficulty, model_file, model_sha256, "
                "size_tier, pipeline, sampling, prompt_tokens, completion_tokens, latency_s, first_token_s, "
                "tokens_per_s, attempts, created_at, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    article_id,
                    words.text(25),
                    words.text(2),
                    json.dumps([words.text(8), words.text(8)]),
                    "medium",
                    f"model-{i % 3}.gguf",
                    "ab" * 32,
                    "tiny",
                    "few-shot",
                    "{}",
                    200,
                    60,
                    1.2,
                    0.1,
                    47.0,
                    1,
                    when,
                    rng.choice(("new", "new", "solved", "revealed")),
                ],
            )
    store.db.execute("PRAGMA optimize")
    store.close()


def cached_history(riddles: int) -> Path:
    from engine.paths import app_paths
    from engine.store.migrations import migration_names

    schema = hashlib.sha256(" ".join(migration_names()).encode()).hexdigest()[:12]
    path = app_paths().cache / "bench" / f"history-{riddles}-{schema}.sqlite3"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        print(f"making a history of {riddles:,} riddles (once; cached in {path.parent})…", file=sys.stderr)
        make_history(partial, riddles)
        os.replace(partial, path)
    return path


def home_with(history: Path | None) -> Path:
    """A RIDDLEWIRE_HOME holding a copy of history (or nothing: the empty baseline)."""
    home = Path(tempfile.mkdtemp(prefix="riddlewire-bench-"))
    data = home / "data"
    data.mkdir(parents=True)
    if history is not None:
        shutil.copyfile(history, data / "history.sqlite3")
    return home


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- child processes: a real window, offscreen ------------------------------------------------
def child_start() -> None:
    """Build the app's window as desktop.app does, show it, and report once riddles are listed."""
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_window

    app = QApplication([sys.argv[0]])
    window = build_window(app)
    window.show()
    reader = window.page("reader")
    reader.load_history(then_riddle_if_empty=False)
    deadline = time.monotonic() + 60
    while not (reader.model.rowCount() or reader.model.exhausted) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)
    app.processEvents()  # one more turn of the loop: the list is painted and takes input
    print(json.dumps({"rows": reader.model.rowCount(), "rss_mb": rss_mb()}), flush=True)
    close(window)


def child_scroll() -> None:
    """Scroll the history page down through SCROLL_PAGES pages while a 10 ms timer measures the UI
    thread's longest gap; the same timer on the idle window is the baseline."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_window

    app = QApplication([sys.argv[0]])
    window = build_window(app)
    window.show()
    page = window.page("history")
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    def pump(seconds: float, until=lambda: False) -> None:  # noqa: ANN001
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            app.processEvents()
            time.sleep(0.001)

    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(tick)
    window.nav.setCurrentRow(window.stack.indexOf(page))
    pump(30, lambda: page.model.rowCount() > 0 and not page.model.loading)
    last[0] = time.perf_counter()
    probe.start()
    pump(2.0)
    idle = gaps[1:]
    gaps.clear()
    last[0] = time.perf_counter()
    started = time.perf_counter()
    bar = page.list.verticalScrollBar()
    while (
        page.model.rowCount() < SCROLL_PAGES * page.model.page_size
        and not page.model.exhausted
        and time.perf_counter() - started < 120
    ):
        # Scroll like a wheel would, in steps, to the end; the view then asks for the next page.
        for fraction in (0.25, 0.5, 0.75, 1.0):
            bar.setValue(int(bar.maximum() * fraction))
            pump(0.02)
        pump(10, lambda: not page.model.loading)
    probe.stop()
    scrolling = gaps[1:]
    print(
        json.dumps(
            {
                "rows": page.model.rowCount(),
                "idle_max_ms": max(idle) * 1000,
                "scroll_max_ms": max(scrolling) * 1000,
                "scroll_p99_ms": sorted(scrolling)[int(len(scrolling) * 0.99) - 1] * 1000,
                "scroll_s": time.perf_counter() - started,
                "rss_mb": rss_mb(),
            }
        ),
        flush=True,
    )
    close(window)


def close(window) -> None:  # noqa: ANN001
    from PySide6.QtCore import QThreadPool

    from desktop.riddle_list import history_pool

    QThreadPool.globalInstance().waitForDone(10_000)  # ops still in flight finish before the window goes
    history_pool().waitForDone(10_000)
    window.context.close()


def run_child(mode: str, home: Path) -> tuple[float, dict]:
    env = {
        **os.environ,
        "RIDDLEWIRE_HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
    }
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.history", f"--child-{mode}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = child.stdout.readline()
    elapsed = time.perf_counter() - started
    child.wait(timeout=120)
    return elapsed, json.loads(line)


# -- measurements -----------------------------------------------------------------------------
def measure_start(history: Path, runs: int) -> dict:
    full_home, empty_home = home_with(history), home_with(None)
    full, empty, full_rss, empty_rss = [], [], [], []
    try:
        for _ in range(runs):  # interleaved, so a busy moment hits both alike
            seconds, report = run_child("start", empty_home)
            empty.append(seconds)
            empty_rss.append(report["rss_mb"])
            seconds, report = run_child("start", full_home)
            assert report["rows"] > 0
            full.append(seconds)
            full_rss.append(report["rss_mb"])
    finally:
        shutil.rmtree(full_home, ignore_errors=True)
        shutil.rmtree(empty_home, ignore_errors=True)
    return {
        "start_full_s": statistics.median(full),
        "start_empty_s": statistics.median(empty),
        "rss_full_mb": statistics.median(full_rss),
        "rss_empty_mb": statistics.median(empty_rss),
    }


def search_queries(rng: random.Random) -> list[str]:
    words = vocabulary(random.Random(6))
    common, middle, rare = words[:20], words[20:400], words[400:]
    queries = [rng.choice(common) for _ in range(30)] + [rng.choice(middle) for _ in range(30)]
    queries += [rng.choice(rare) for _ in range(30)]
    queries += [f"{rng.choice(common)} {rng.choice(middle)}" for _ in range(30)]
    queries += [f"{rng.choice(middle)} {rng.choice(middle)} {rng.choice(rare)}" for _ in range(30)]
    queries += [rng.choice(words)[:n] for n in (2, 3) for _ in range(15)]  # search as you type
    return queries


def measure_search(history: Path, runs: int) -> dict:
    from engine.store import Store
    from engine.store.history import HistoryFilter, count, lines

    store = Store(history)
    queries = search_queries(random.Random(7))
    search_ms, count_ms, plain_ms = [], [], []
    try:
        for _ in range(runs):
            for query in queries:
                t0 = time.perf_counter()
                lines(store, HistoryFilter(query=query))
                t1 = time.perf_counter()
                count(store, HistoryFilter(query=query))
                t2 = time.perf_counter()
                lines(store, HistoryFilter())
                t3 = time.perf_counter()
                search_ms.append((t1 - t0) * 1000)
                count_ms.append((t2 - t1) * 1000)
                plain_ms.append((t3 - t2) * 1000)
    finally:
        store.close()
    return {
        "search_p95_ms": p95(search_ms),
        "search_median_ms": statistics.median(search_ms),
        "count_p95_ms": p95(count_ms),
        "plain_p95_ms": p95(plain_ms),
        "queries": len(search_ms),
    }


def measure_scroll(history: Path, runs: int) -> dict:
    reports = []
    for _ in range(runs):
        home = home_with(history)
        try:
            reports.append(run_child("scroll", home)[1])
        finally:
            shutil.rmtree(home, ignore_errors=True)
    return {key: statistics.median(r[key] for r in reports) for key in reports[0]}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def main(argv: list[str] | None = None) -> None:
    """`python -m bench` calls main() with no arguments: the defaults."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--riddles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child-start", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-scroll", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv or [])
    if args.child_start:
        return child_start()
    if args.child_scroll:
        return child_scroll()
    history = cached_history(args.riddles)
    start = measure_start(history, args.runs)
    search = measure_search(history, max(1, args.runs // 2))
    scroll = measure_scroll(history, max(1, args.runs // 2))
    rows = [
        [
            "App start → interactive window",
            f"{start['start_full_s']:.2f} s",
            f"{start['start_empty_s']:.2f} s (empty)",
            f"{start['start_full_s'] / start['start_empty_s']:.2f}×",
            "< 1.5 s",
        ],
        [
            "FTS search, first page, p95",
            f"{search['search_p95_ms']:.1f} ms",
            f"{search['plain_p95_ms']:.2f} ms (newest page)",
            f"{search['search_p95_ms'] / search['plain_p95_ms']:.1f}×",
            "< 50 ms",
        ],
        ["FTS search, first page, median", f"{search['search_median_ms']:.2f} ms", "", "", ""],
        ["FTS match count, p95", f"{search['count_p95_ms']:.1f} ms", "", "", "(background, not a target)"],
        [
            f"Longest UI gap scrolling {int(scroll['rows']):,} rows",
            f"{scroll['scroll_max_ms']:.0f} ms",
            f"{scroll['idle_max_ms']:.0f} ms (idle)",
            f"{scroll['scroll_max_ms'] / scroll['idle_max_ms']:.2f}×",
            "< 50 ms",
        ],
        [
            "App memory at start, no model",
            f"{start['rss_full_mb']:.0f} MB",
            f"{start['rss_empty_mb']:.0f} MB (empty)",
            f"{start['rss_full_mb'] / start['rss_empty_mb']:.2f}×",
            "< 300 MB",
        ],
        ["App memory after scrolling", f"{scroll['rss_mb']:.0f} MB", "", "", "< 300 MB"],
    ]
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{machine()}; history of {args.riddles:,} riddles; medians of {args.runs} runs "
        f"(search: {search['queries']} queries); load average {load} at the end\n"
    )
    print(table(["measure", f"{args.riddles:,} riddles", "baseline", "ratio", "target"], rows))


if __name__ == "__main__":
    main(sys.argv[1:])

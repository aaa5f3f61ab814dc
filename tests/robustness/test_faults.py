"""Faults, injected many times: SIGKILL at random moments of a download, a generation and a database
write; the disk filling up (RLIMIT_FSIZE in a child) during a download and a database write; the
network dropping mid-download; the worker dying of SIGILL, SIGSEGV, SIGBUS or SIGABRT; an offline
start. Expect: nothing committed lost, downloads resumable, integrity_check ok, the app usable after."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from engine.downloads import CHUNK, HubFile, download, partial_bytes
from engine.errors import DownloadError, EngineCrashed
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.store import Store
from tests.desktop.conftest import make_window, seed_history  # noqa: F401 - fixtures for the offline start
from tests.robustness.expect import assert_sentence, bounded
from tests.robustness.scorecard import scaled, tally, worst
from tests.support.fake_hub import FakeHub

SUITE = "Faults"
ROOT = Path(__file__).resolve().parents[2]
REPO, NAME = "riddlewire/faults", "model-Q4_K_M.gguf"
SIZE = 12 * 2**20
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def content() -> bytes:
    return random.Random(5).randbytes(SIZE)


def child(script: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(script)]


def download_script(hub: FakeHub, folder: Path, limit: int | None = None) -> list[str]:
    fence = (
        f"""
        import resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))"""
        if limit
        else ""
    )
    return child(f"""{fence}
        import sys
        from pathlib import Path
        from engine.downloads import HubFile, download
        from engine.errors import DownloadError
        try:
            download(HubFile({REPO!r}, {NAME!r}), Path({str(folder)!r}), endpoint={hub.url!r}, token="")
        except DownloadError as error:
            print(error.sentence)
            sys.exit(3)
    """)


def finish_download(hub: FakeHub, folder: Path, content: bytes) -> None:
    hub.state.throttle_bps = None
    done = download(HubFile(REPO, NAME), folder, endpoint=hub.url, token="")
    assert (
        done.sha256
        == hashlib.sha256(content).hexdigest()
        == hashlib.sha256(done.path.read_bytes()).hexdigest()
    )


# -- downloads --------------------------------------------------------------------------------------
def test_sigkill_at_random_moments_of_a_download_then_it_resumes(tmp_path: Path, content: bytes):
    rng = random.Random(os.getpid())
    kills = scaled(4)
    with FakeHub() as hub:
        hub.add(REPO, NAME, content)
        hub.state.throttle_bps = 6_000_000 // scaled(1)  # the soak's 40 kills fit in one slower download
        for _ in range(kills):
            before = _kept(tmp_path)
            process = subprocess.Popen(
                download_script(hub, tmp_path),
                cwd=ROOT,
                env=ENV,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.2, 1.4))  # from interpreter start-up to mid-transfer
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            tally(SUITE, faults=1, iterations=1)
            assert _kept(tmp_path) >= before  # a kill never loses kept bytes
            assert not (tmp_path / NAME).exists() or (tmp_path / NAME).read_bytes() == content
        finish_download(hub, tmp_path, content)
        refetched = hub.state.bytes_served - SIZE
    worst(SUITE, "bytes fetched twice after kills (MB)", refetched / 2**20)
    assert refetched <= kills * 2 * CHUNK, f"{refetched} bytes were fetched again"


def _kept(folder: Path) -> int:
    """Bytes of the file on disk: the partial download, or the whole file once it is complete."""
    return SIZE if (folder / NAME).is_file() else partial_bytes(HubFile(REPO, NAME), folder)


def test_a_full_disk_during_a_download_says_so_and_the_download_resumes(tmp_path: Path, content: bytes):
    with FakeHub() as hub:
        hub.add(REPO, NAME, content)
        limits = sorted(random.Random(7).sample(range(2 * 2**20, SIZE - 2**20, 2**18), scaled(3)))
        for limit in limits:
            done = subprocess.run(
                download_script(hub, tmp_path, limit),
                cwd=ROOT,
                env=ENV,
                capture_output=True,
                text=True,
                timeout=120,
            )
            tally(SUITE, faults=1, iterations=1)
            assert done.returncode == 3, done.stderr[-2000:]
            assert "The disk is full" in done.stdout and "kept" in done.stdout
            assert_sentence(done.stdout.strip())
            assert limit - CHUNK <= partial_bytes(HubFile(REPO, NAME), tmp_path) <= limit
        served = hub.state.bytes_served
        finish_download(hub, tmp_path, content)
        assert hub.state.bytes_served - served <= SIZE - limits[-1] + CHUNK  # it resumed, not restarted


def test_the_connection_dropping_again_and_again_mid_download_is_survived(tmp_path: Path, content: bytes):
    drops = 3  # per download, each after 2.5 MB: more than one written block, so each drop is progress
    with FakeHub() as hub:
        hub.add(REPO, NAME, content)
        for _ in range(scaled(1)):
            (tmp_path / NAME).unlink(missing_ok=True)
            served = hub.state.bytes_served
            hub.state.fail_after, hub.state.fail_times = SIZE // (drops + 2), drops
            with bounded(SUITE, "download with drops", 60):
                finish_download(hub, tmp_path, content)
            tally(SUITE, faults=drops, iterations=1)
            assert hub.state.fail_times == 0
            assert hub.state.bytes_served - served <= SIZE + drops * CHUNK


def test_offline_a_download_is_a_sentence_and_nothing_is_left_behind(tmp_path: Path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    tally(SUITE, faults=1, iterations=1)
    with pytest.raises(DownloadError) as caught:
        download(HubFile(REPO, NAME), tmp_path, endpoint=f"http://127.0.0.1:{port}", token="")
    assert "offline" in caught.value.sentence
    assert_sentence(caught.value.sentence)
    assert partial_bytes(HubFile(REPO, NAME), tmp_path) == 0


# -- the worker ------------------------------------------------------------------------------------
WORDS = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "memory fault",
    signal.SIGILL: "illegal instruction",
    signal.SIGBUS: "bus error",
    signal.SIGABRT: "aborted",
}


def test_the_worker_killed_or_crashing_at_random_moments_is_a_sentence_then_it_restarts(random_gguf: Path):
    rng = random.Random(os.getpid())
    model = LocalModel(random_gguf, LocalSettings(n_ctx=512, idle_unload_s=None))
    long = Sampling(max_tokens=4000, temperature=1.0, seed=1)
    signals = list(WORDS) * scaled(2)
    try:
        for sig in signals:
            outcome: list[BaseException | object] = []
            thread = threading.Thread(target=_complete_into, args=(model, long, outcome))
            thread.start()
            deadline = time.monotonic() + 30
            while model.pid is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.4))  # while loading, warming up or generating
            os.kill(model.pid, sig)
            thread.join(30)
            tally(SUITE, faults=1, iterations=1)
            assert not thread.is_alive(), "the caller never heard the worker die"
            assert isinstance(outcome[0], EngineCrashed), outcome
            assert WORDS[sig] in outcome[0].sentence, (sig, outcome[0].sentence)
            assert_sentence(outcome[0].sentence)
            with bounded(SUITE, "restart after a crash", 30):
                assert model.complete("Riddle:", Sampling(max_tokens=4, seed=2)).completion_tokens > 0
    finally:
        model.close()


def _complete_into(model: LocalModel, sampling: Sampling, outcome: list) -> None:
    try:
        outcome.append(model.complete("Riddle:", sampling))
    except BaseException as error:  # noqa: BLE001 - handed to the test thread
        outcome.append(error)


# -- the database ----------------------------------------------------------------------------------
def _kill_feed_writer(db: Path, start: int, wait_s: float) -> list[str]:
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.robustness.feed_writer", str(db), str(start)],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    time.sleep(wait_s)
    writer.send_signal(signal.SIGKILL)
    output, _ = writer.communicate(timeout=30)
    return [
        line.split()[2] for line in output.splitlines() if line.startswith("ack ") and len(line.split()) == 3
    ]


def test_sigkill_during_feed_writes_loses_no_acknowledged_article(tmp_path: Path):
    rng = random.Random(os.getpid())
    db = tmp_path / "history.sqlite3"
    acknowledged: list[str] = []
    for round_number in range(scaled(5)):
        acknowledged += _kill_feed_writer(db, round_number * 100_000, rng.uniform(0.3, 1.8))
        tally(SUITE, faults=1, iterations=1)
        store = Store(db)
        try:
            assert store.integrity_ok()
            store.db.execute("INSERT INTO history_fts(history_fts, rank) VALUES ('integrity-check', 1)")
            stored = {row[0] for row in store.db.execute("SELECT key FROM articles")}
            assert not [key for key in acknowledged if key not in stored], "an acknowledged article was lost"
        finally:
            store.close()
    worst(SUITE, "articles acknowledged before kills", len(acknowledged))
    assert acknowledged, "the writer was always killed before its first commit"


DB_FULL = """
    import resource, signal, sys, os
    from datetime import UTC, datetime
    from engine.articles import Article
    from engine.errors import StoreError
    from engine.riddles import Provenance, Riddle
    from engine.store import Store
    path = sys.argv[1]
    Store(path).close()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = os.path.getsize(path) + int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    store = Store(path)
    for i in range(1_000_000):
        now = datetime.now(UTC)
        try:
            article = store.save_articles([Article(f"Full story {i}", f"https://full.example.org/{i}", "W", now,
                                                   "Words. " * 300)])[0]
            store.save_riddle(article, Riddle(f"Riddle {i}", "answer", ("a", "b")),
                              Provenance("m", "", "t", "few-shot", "{}", 1, 1, 0.1, 0.1, 1.0, now.isoformat()))
        except StoreError as error:
            print("sentence", error.sentence, flush=True)
            sys.exit(3)
        except Exception as error:
            print("raw", type(error).__name__, error, flush=True)
            sys.exit(4)
        print("ack", article.key, flush=True)
"""


def _fill_the_disk(db: Path, room: int) -> tuple[int, list[str], str]:
    done = subprocess.run(
        [*child(DB_FULL), str(db), str(room)], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120
    )
    lines = done.stdout.splitlines()
    return (
        done.returncode,
        [line.split()[1] for line in lines if line.startswith("ack ")],
        (lines or [""])[-1],
    )


def test_a_full_disk_during_database_writes_loses_nothing_and_the_history_works_after(tmp_path: Path):
    db = tmp_path / "history.sqlite3"
    acknowledged: list[str] = []
    for room in [150_000, 400_000, 900_000] * scaled(1):
        code, acks, _last = _fill_the_disk(db, room)
        acknowledged += acks
        tally(SUITE, faults=1, iterations=1)
        assert code in (3, 4), "the writer never hit the limit"
        store = Store(db)  # space is back: the history opens, is whole, and takes new writes
        try:
            assert store.integrity_ok()
            stored = {row[0] for row in store.db.execute("SELECT key FROM articles")}
            assert all(key in stored for key in acknowledged), "a committed article was lost"
            store.set_status(store.riddles(1)[0].id, "skipped")  # and it takes writes again
        finally:
            store.close()
    assert acknowledged


def test_a_full_disk_during_a_database_write_is_said_in_words(tmp_path: Path):
    code, _acks, last = _fill_the_disk(tmp_path / "history.sqlite3", 150_000)
    tally(SUITE, faults=1, iterations=1)
    assert code == 3, f"not a sentence: {last}"
    assert_sentence(last.removeprefix("sentence "))


# -- offline start ---------------------------------------------------------------------------------
def test_an_offline_start_reads_the_history_and_riddles_locally(make_window, qtbot, scripted_gguf: Path):  # noqa: F811
    from desktop.feed_refresher import FeedRefresher
    from engine.samples import sample_articles
    from engine.store.feeds import add_feed

    seed_history(3)
    window = make_window(scripted_gguf)
    context = window.context
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    for i in range(4):
        context.store.run(add_feed, f"{dead}/feed{i}.xml")
    context.store.save_articles(sample_articles()[3:5])  # read earlier, not riddled yet
    refresher = FeedRefresher(context)
    with qtbot.waitSignal(refresher.finished, timeout=30_000) as refreshed:
        refresher.refresh_now()
    report = refreshed.args[0]
    tally(SUITE, faults=4, iterations=1)
    assert len(report.failed) == 4
    for outcome in report.failed:
        assert_sentence(outcome.error)
    reader = window.page("reader")
    reader.load_history(then_riddle_if_empty=False)
    qtbot.waitUntil(lambda: reader.model.rowCount() == 3, timeout=15_000)
    reader.riddle_news()
    qtbot.waitUntil(lambda: reader.op is not None and reader.op.done, timeout=120_000)
    assert context.store.count_riddles() == 5  # riddled the stored news with the local model, offline

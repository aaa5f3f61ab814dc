"""Downloads against a real HTTP server on 127.0.0.1 that speaks the Hub's resolve protocol
(tests/support/fake_hub.py): verify, resume (also after SIGKILL), refuse, and say why in words."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from engine import downloads
from engine.downloads import HubFile, discard_partial, download, partial_bytes, partial_path
from engine.errors import Cancelled, DownloadError
from engine.progress import CancelToken, Progress
from tests.support.fake_hub import FakeHub

ROOT = Path(__file__).resolve().parents[2]
REPO, NAME = "org/model-GGUF", "model-Q4_K_M.gguf"
SIZE = 3 * 1024 * 1024 + 123


@pytest.fixture
def content() -> bytes:
    return os.urandom(SIZE)


@pytest.fixture
def hub(content: bytes):
    with FakeHub() as server:
        server.add(REPO, NAME, content)
        yield server


def fetch(hub: FakeHub, folder: Path, **kwargs):
    source = kwargs.pop("source", HubFile(REPO, NAME))
    return download(source, folder, endpoint=hub.url, token=kwargs.pop("token", ""), **kwargs)


def gets(hub: FakeHub) -> list[tuple[str, str, str]]:
    return [r for r in hub.state.requests if r[0] == "GET"]


def test_download_verifies_and_places_the_file(hub: FakeHub, content: bytes, tmp_path: Path):
    reports: list[Progress] = []
    result = fetch(hub, tmp_path, progress=reports.append)
    assert result.path == tmp_path / NAME and result.path.read_bytes() == content
    assert result.sha256 == hashlib.sha256(content).hexdigest() and result.commit == hub.state.commit
    assert (result.fetched_bytes, result.resumed_from) == (SIZE, 0)
    assert not partial_path(HubFile(REPO, NAME), tmp_path).exists()
    assert reports[-1].done == reports[-1].total == SIZE and "MB/s" in reports[-1].message
    assert [p.done for p in reports] == sorted(p.done for p in reports)


def test_a_file_already_in_place_is_checked_not_fetched_again(hub: FakeHub, tmp_path: Path):
    fetch(hub, tmp_path)
    again = fetch(hub, tmp_path)
    assert again.fetched_bytes == 0 and len(gets(hub)) == 1


def test_a_corrupted_byte_is_rejected_and_deleted(hub: FakeHub, tmp_path: Path):
    hub.state.corrupt_at = SIZE // 2
    with pytest.raises(DownloadError, match="did not match its expected checksum.*deleted"):
        fetch(hub, tmp_path)
    assert not (tmp_path / NAME).exists() and partial_bytes(HubFile(REPO, NAME), tmp_path) == 0


def test_a_pinned_hash_that_the_hub_contradicts_stops_before_any_byte(hub: FakeHub, tmp_path: Path):
    source = HubFile(REPO, NAME, sha256="ab" * 32)
    with pytest.raises(DownloadError, match="not the file Riddlewire's catalog pinned"):
        fetch(hub, tmp_path, source=source)
    assert gets(hub) == []


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "asked for a login.*HF_TOKEN"),
        (403, "gated.*Accept the licence"),
        (404, "was not found on the Hub"),
        (500, "HTTP 500"),
    ],
)
def test_refusals_become_the_right_sentence(hub: FakeHub, tmp_path: Path, status: int, words: str):
    hub.state.status = status
    with pytest.raises(DownloadError, match=words):
        fetch(hub, tmp_path, source=HubFile(REPO, NAME, license="Gemma Terms of Use"))
    assert not (tmp_path / NAME).exists()


def test_the_token_is_sent_as_a_bearer(hub: FakeHub, tmp_path: Path, content: bytes):
    hub.state.require_token = "hf_secret"
    with pytest.raises(DownloadError, match="401"):
        fetch(hub, tmp_path)
    assert fetch(hub, tmp_path, token="hf_secret").path.read_bytes() == content


def test_offline_is_said_in_words(tmp_path: Path):
    with FakeHub() as gone:
        endpoint = gone.url
    with pytest.raises(DownloadError, match="Cannot reach 127.0.0.1: you may be offline"):
        download(HubFile(REPO, NAME), tmp_path, endpoint=endpoint, token="")


def test_a_stalled_server_times_out_and_keeps_nothing_broken(hub: FakeHub, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(downloads, "RETRIES", 2)  # two stalls are enough to show the sentence
    hub.state.throttle_bps = 10  # one 64 KiB piece, then silence
    with pytest.raises(DownloadError, match="stopped because the server stopped answering.*resume"):
        fetch(hub, tmp_path, timeout_s=0.5)
    assert not (tmp_path / NAME).exists()


def test_a_dropped_connection_resumes_with_a_range_request(hub: FakeHub, content: bytes, tmp_path: Path):
    hub.state.fail_after, hub.state.fail_times = 1_500_000, 2
    result = fetch(hub, tmp_path)
    assert result.path.read_bytes() == content
    ranges = [r[2] for r in gets(hub)]
    assert len(ranges) == 3 and ranges[0] == "" and all(r.startswith("bytes=") for r in ranges[1:])
    # what was lost is at most the unflushed chunk per drop
    assert hub.state.bytes_served - SIZE <= 2 * downloads.CHUNK


def test_cancel_pauses_and_the_next_call_resumes(hub: FakeHub, content: bytes, tmp_path: Path):
    hub.state.throttle_bps = 8_000_000
    token = CancelToken()

    def stop_midway(p: Progress) -> None:
        if p.done >= SIZE // 3:
            token.cancel()

    with pytest.raises(Cancelled, match="paused.*resume"):
        fetch(hub, tmp_path, progress=stop_midway, cancel=token)
    kept = partial_bytes(HubFile(REPO, NAME), tmp_path)
    assert kept >= SIZE // 3
    hub.state.throttle_bps = None
    result = fetch(hub, tmp_path)
    assert result.resumed_from == kept and result.fetched_bytes == SIZE - kept
    assert result.path.read_bytes() == content


def test_a_partial_from_another_file_is_discarded(hub: FakeHub, content: bytes, tmp_path: Path):
    part = partial_path(HubFile(REPO, NAME), tmp_path)
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 1000)
    part.with_suffix(".json").write_text(json.dumps({"sha256": "cd" * 32, "size": SIZE}))
    result = fetch(hub, tmp_path)
    assert result.resumed_from == 0 and result.path.read_bytes() == content


def test_a_connection_that_keeps_dropping_gives_up_with_a_sentence(hub: FakeHub, tmp_path: Path):
    hub.state.fail_after, hub.state.fail_times = 0, 99
    with pytest.raises(DownloadError, match="stopped because the connection dropped.*resume"):
        fetch(hub, tmp_path)
    assert not (tmp_path / NAME).exists()


def test_discard_partial_reclaims_the_bytes(hub: FakeHub, tmp_path: Path):
    hub.state.throttle_bps = 8_000_000
    token = CancelToken()
    with pytest.raises(Cancelled):
        fetch(hub, tmp_path, cancel=token, progress=lambda p: p.done > 500_000 and token.cancel())
    source = HubFile(REPO, NAME)
    kept = partial_bytes(source, tmp_path)
    assert kept > 500_000
    assert discard_partial(source, tmp_path) == kept and partial_bytes(source, tmp_path) == 0
    assert not partial_path(source, tmp_path).with_suffix(".json").exists()


def test_too_little_disk_is_refused_before_the_first_byte(hub: FakeHub, tmp_path: Path, monkeypatch):
    # Filling the real disk is not possible here, so the free-space reading alone is replaced.
    monkeypatch.setattr(downloads, "disk_free", lambda _folder: 10_000_000)
    with pytest.raises(DownloadError, match=r"not enough free disk space.*needs 70\.3 MB.*has 10\.0 MB free"):
        fetch(hub, tmp_path)
    assert gets(hub) == []


def test_disk_full_while_writing_says_so(hub: FakeHub, tmp_path: Path):
    # A real write failure: the child may not grow a file past 1 MB (RLIMIT_FSIZE -> EFBIG).
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from pathlib import Path
        from engine.downloads import HubFile, download
        from engine.errors import DownloadError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
        try:
            download(HubFile({REPO!r}, {NAME!r}), Path({str(tmp_path)!r}), endpoint={hub.url!r}, token="")
        except DownloadError as e:
            print(e); sys.exit(3)
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stderr
    assert "The disk is full" in done.stdout and "kept" in done.stdout


def test_two_downloads_of_one_file_never_corrupt_each_other(hub: FakeHub, content: bytes, tmp_path: Path):
    hub.state.throttle_bps = 20_000_000
    results, errors = [], []

    def one() -> None:
        try:
            results.append(fetch(hub, tmp_path))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(results) == 2
    assert (tmp_path / NAME).read_bytes() == content
    assert sorted(r.fetched_bytes for r in results) == [0, SIZE]  # the second waited, then found it done


@pytest.mark.slow
def test_sigkill_mid_transfer_then_restart_fetches_little_twice(tmp_path: Path):
    size = 24 * 1024 * 1024
    content = os.urandom(size)
    with FakeHub() as hub:
        sha = hub.add(REPO, NAME, content)
        hub.state.throttle_bps = 12_000_000
        script = (
            f"from pathlib import Path; from engine.downloads import HubFile, download; "
            f"download(HubFile({REPO!r}, {NAME!r}), Path({str(tmp_path)!r}), endpoint={hub.url!r}, token='')"
        )
        child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
        part = partial_path(HubFile(REPO, NAME), tmp_path)
        deadline = time.monotonic() + 30
        while (not part.exists() or part.stat().st_size < size // 2) and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert child.returncode == -signal.SIGKILL and not (tmp_path / NAME).exists()
        first_run = hub.state.bytes_served
        assert size // 2 <= first_run < size
        hub.state.throttle_bps = None
        result = download(HubFile(REPO, NAME, sha256=sha), tmp_path, endpoint=hub.url, token="")
        twice = hub.state.bytes_served - size
    assert result.sha256 == sha and hashlib.sha256(result.path.read_bytes()).hexdigest() == sha
    assert result.resumed_from > 0
    assert twice < 0.10 * size, f"{twice} bytes fetched twice"

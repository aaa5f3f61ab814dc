"""Safe model downloads from the Hugging Face Hub (or a mirror with the same URL layout).

huggingface-hub gives us the URL layout, the endpoint (HF_ENDPOINT) and the token (HF_TOKEN or the
stored login). The transfer is our own ranged GET, because hf_hub_download 2.x neither resumes across
processes nor checks the sha256. What this adds:
- bytes go to `<folder>/.partial/<file>.part`, written unbuffered, so a killed process loses at most
  the chunk in flight; a JSON note beside it records which remote file (sha256, size) the bytes belong
  to, and the next attempt continues with `Range: bytes=<have>-`;
- the whole file is hashed and compared with the pinned sha256 or the Hub's X-Linked-Etag before it is
  renamed into place; a mismatch deletes it;
- a lock file per target (filelock) means two downloads of one file never write into each other: the
  second waits, then finds the finished file;
- not enough free disk is refused before the first byte, with the numbers."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from filelock import FileLock, Timeout
from huggingface_hub import constants, get_token, hf_hub_url

from engine.catalog import ModelFile, ModelSpec
from engine.errors import Cancelled, DownloadError
from engine.hardware import disk_free
from engine.progress import CancelToken, Progress, ProgressCallback, throttled

CHUNK = 1024 * 1024
DISK_MARGIN = 64 * 1024**2  # keep a little room so a full download never fills the disk to the last byte
RETRIES = 4  # per download, for a connection that drops mid-transfer; real progress resets the count
PARTIAL_DIR = ".partial"


@dataclass(frozen=True)
class HubFile:
    """One file to fetch: where it lives, and what it should be (sha256 and size where known)."""

    repo_id: str
    filename: str
    revision: str = "main"
    sha256: str | None = None
    size_bytes: int | None = None
    gated: bool = False
    license: str = ""

    @classmethod
    def from_catalog(cls, spec: ModelSpec, file: ModelFile) -> HubFile:
        return cls(
            spec.repo_id, file.filename, spec.revision, file.sha256, file.size_bytes, spec.gated, spec.license
        )


@dataclass(frozen=True)
class Downloaded:
    path: Path
    sha256: str
    size_bytes: int
    commit: str
    fetched_bytes: int  # bytes that came over the network in this call
    resumed_from: int  # bytes already on disk when this call began


@dataclass(frozen=True)
class _Remote:
    url: str
    size: int
    sha256: str
    commit: str


def partial_path(source: HubFile, folder: Path) -> Path:
    return Path(folder) / PARTIAL_DIR / f"{source.filename}.part"


def partial_bytes(source: HubFile, folder: Path) -> int:
    part = partial_path(source, folder)
    return part.stat().st_size if part.is_file() else 0


def discard_partial(source: HubFile, folder: Path) -> int:
    """Delete an unfinished download (the Cancel button); returns the bytes reclaimed. A download of
    it that is still stopping holds its lock until it has, so this waits for that, then deletes."""
    with exclusive(_lock_path(source, folder)):
        return _delete_partial(source, folder)


def _delete_partial(source: HubFile, folder: Path) -> int:
    part = partial_path(source, folder)
    freed = partial_bytes(source, folder)
    for path in (part, _note_path(part)):
        path.unlink(missing_ok=True)
    return freed


def _lock_path(source: HubFile, folder: Path) -> Path:
    return partial_path(source, folder).with_suffix(".lock")


def download(
    source: HubFile,
    folder: Path,
    *,
    endpoint: str | None = None,
    token: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    timeout_s: float = 30.0,
) -> Downloaded:
    """Fetch `source` into `folder` (resuming what an earlier attempt left), verify it, and return it.
    Cancel pauses: the bytes so far are kept for the next call."""
    cancel = cancel or CancelToken()
    report = throttled(progress, per_second=4)
    folder = Path(folder)
    (folder / PARTIAL_DIR).mkdir(parents=True, exist_ok=True)
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")
    headers = {"User-Agent": "riddlewire"}
    token = token if token is not None else get_token()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = hf_hub_url(source.repo_id, source.filename, revision=source.revision, endpoint=endpoint)
    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
    waiting = Progress("download", 0, 0, f"Waiting for another download of {source.filename} to finish…")
    with (
        exclusive(_lock_path(source, folder), cancel, lambda: report(waiting)),
        httpx.Client(headers=headers, timeout=timeout, follow_redirects=True) as client,
    ):
        remote = _probe(client, url, source)
        final = folder / source.filename
        if (
            final.is_file()
            and final.stat().st_size == remote.size
            and sha256_of(final, cancel) == remote.sha256
        ):
            return Downloaded(final, remote.sha256, remote.size, remote.commit, 0, remote.size)
        return _transfer(client, remote, source, final, report, cancel)


# -- one transfer ----------------------------------------------------------------------------------
def _transfer(
    client: httpx.Client,
    remote: _Remote,
    source: HubFile,
    final: Path,
    report: ProgressCallback,
    cancel: CancelToken,
) -> Downloaded:
    part = partial_path(source, final.parent)
    have = _usable_partial(part, remote)
    _require_disk(remote.size - have, final.parent, source)
    _note_path(part).write_text(
        json.dumps({"sha256": remote.sha256, "size": remote.size, "commit": remote.commit})
    )
    hasher = _Hasher()
    try:
        if have:
            report(Progress("download", have, remote.size, f"Checking the {_mb(have)} already downloaded…"))
            _hash_into(hasher, part, have, cancel)
        hasher, fetched = _receive(client, remote, source, part, have, hasher, report, cancel)
    except BaseException:
        hasher.close()
        raise
    return _finish(part, final, hasher, remote, source, fetched, have)


def _receive(
    client: httpx.Client,
    remote: _Remote,
    source: HubFile,
    part: Path,
    have: int,
    hasher: _Hasher,
    report: ProgressCallback,
    cancel: CancelToken,
) -> tuple[_Hasher, int]:
    """Fetch the rest of the file into `part`, retrying dropped connections from where they stopped."""
    fetched = failures = 0
    clock = _Rate(have)
    while have < remote.size:
        try:
            got = _fetch_range(client, remote, part, have, hasher, report, cancel, clock)
        except _RangeIgnored:  # the server sent the whole file: start over from zero
            hasher.close()
            hasher, have = _Hasher(), 0
            part.write_bytes(b"")
            continue
        except httpx.TransportError as problem:
            got = getattr(problem, "got", 0)
            # A server that drips a few bytes and stalls must still run out of tries.
            failures = 0 if got >= CHUNK else failures + 1
            have, fetched = have + got, fetched + got
            if failures >= RETRIES:
                raise DownloadError(_stopped_sentence(source, problem, have, remote.size)) from problem
            time.sleep(0.2 * failures)
            continue
        have, fetched = have + got, fetched + got
    return hasher, fetched


class _Hasher:
    """sha256 on its own thread, fed the blocks as they are written: hashlib releases the GIL, so the
    hash keeps pace with the network instead of adding its time after it (see bench/models.py)."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=256)
        self._thread = threading.Thread(target=self._run, name="riddlewire-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._sha.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._chunks.put(chunk)

    def close(self) -> None:
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        self.close()
        return self._sha.hexdigest()


class _RangeIgnored(Exception):
    pass


def _fetch_range(
    client: httpx.Client,
    remote: _Remote,
    part: Path,
    have: int,
    hasher: _Hasher,
    report: ProgressCallback,
    cancel: CancelToken,
    clock: _Rate,
) -> int:
    """GET bytes from `have` on, appending to `part`. Returns the bytes written; on a dropped
    connection the TransportError carries them as `.got` (whatever arrived is kept)."""
    range_header = {"Range": f"bytes={have}-"} if have else {}
    with client.stream("GET", remote.url, headers=range_header) as response:
        if response.status_code == 416:
            return 0
        _raise_for_status(response, remote.url)
        if have and response.status_code == 200:
            raise _RangeIgnored()
        with open(part, "ab", buffering=0) as out:
            sink = _Sink(out, part, hasher)
            try:
                for chunk in response.iter_bytes():
                    if cancel.cancelled:
                        sink.flush()
                        raise Cancelled(
                            f"Download paused at {_mb(have + sink.got)} of {_mb(remote.size)}; "
                            "start it again to resume."
                        )
                    sink.add(chunk)
                    clock.tick(have + sink.got + sink.waiting, remote.size, report)
                sink.flush()
            except httpx.TransportError as dropped:
                sink.flush()
                dropped.got = sink.got  # type: ignore[attr-defined]
                raise
    return sink.got


class _Sink:
    """Gathers network chunks into blocks of CHUNK bytes before writing and hashing them: far fewer
    system calls. A SIGKILL loses at most one unwritten block; a dropped connection loses nothing."""

    def __init__(self, out, part: Path, hasher: _Hasher):  # noqa: ANN001
        self.out, self.part, self.hasher = out, part, hasher
        self.pending: list[bytes] = []
        self.waiting = 0  # bytes in `pending`
        self.got = 0  # bytes written to the file by this sink

    def add(self, chunk: bytes) -> None:
        self.pending.append(chunk)
        self.waiting += len(chunk)
        if self.waiting >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            block = b"".join(self.pending)
            self.pending.clear()
            self.waiting = 0
            _write(self.out, block, self.part)
            self.hasher.update(block)
            self.got += len(block)


def _write(out, chunk: bytes, part: Path) -> None:  # noqa: ANN001
    try:
        out.write(chunk)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise DownloadError(
                f"The disk is full: {part.name} could not be written in {part.parent.parent} "
                f"({exc.strerror}). "
                "Free some space and start the download again; the part already fetched is kept."
            ) from exc
        raise DownloadError(f"The download could not be written to {part.parent} ({exc.strerror}).") from exc


def _finish(
    part: Path,
    final: Path,
    hasher,
    remote: _Remote,
    source: HubFile,
    fetched: int,  # noqa: ANN001
    resumed_from: int,
) -> Downloaded:
    digest = hasher.hexdigest()
    size = part.stat().st_size
    if size != remote.size or digest != remote.sha256:
        _delete_partial(source, final.parent)  # under the download's own lock
        raise DownloadError(
            f"The downloaded {source.filename} did not match its expected checksum (sha256 {digest[:12]}… "
            f"instead of {remote.sha256[:12]}…), so it was deleted and not installed. Try again; if it keeps "
            "happening, the mirror is serving a damaged file."
        )
    # No fsync: the bytes are in the OS's cache, which survives any crash of this process (the SIGKILL
    # test). Forcing them to disk cost 30-40% of the time of a fast local transfer (bench/models.py);
    # after a power cut a damaged file is refused by llama.cpp with a sentence and can be fetched again.
    os.replace(part, final)
    _note_path(part).unlink(missing_ok=True)
    return Downloaded(final, digest, size, remote.commit, fetched, resumed_from)


# -- before the first byte -------------------------------------------------------------------------
def _probe(client: httpx.Client, url: str, source: HubFile) -> _Remote:
    try:
        response = client.head(url)
    except httpx.TransportError as exc:
        raise DownloadError(_unreachable_sentence(url, exc)) from exc
    _raise_for_status(response, url, source)
    linked = _strip_etag(response.headers.get("X-Linked-Etag") or response.headers.get("ETag") or "")
    hub_sha = linked if len(linked) == 64 and all(c in "0123456789abcdef" for c in linked) else None
    if source.sha256 and hub_sha and source.sha256 != hub_sha:
        raise DownloadError(
            f"{source.filename} at revision {source.revision} is not the file Riddlewire's catalog pinned "
            "(its sha256 differs), so it was not downloaded. Update Riddlewire or choose another "
            "quantization."
        )
    reference = source.sha256 or hub_sha
    if reference is None:
        raise DownloadError(
            f"The server gave no checksum for {source.filename}, so it cannot be verified and "
            "was not downloaded. Use the official Hub or a mirror that sends X-Linked-Etag."
        )
    size = response.headers.get("X-Linked-Size") or response.headers.get("Content-Length")
    if not size:
        raise DownloadError(f"The server did not say how big {source.filename} is, so it was not downloaded.")
    return _Remote(url, int(size), reference, response.headers.get("X-Repo-Commit", ""))


def _usable_partial(part: Path, remote: _Remote) -> int:
    """Bytes of an earlier attempt that belong to this very remote file; anything else is discarded."""
    note = _note_path(part)
    try:
        recorded = json.loads(note.read_text())
        same = recorded.get("sha256") == remote.sha256 and recorded.get("size") == remote.size
    except (OSError, ValueError):
        same = False
    have = part.stat().st_size if part.is_file() else 0
    if not same or have > remote.size:
        part.unlink(missing_ok=True)
        return 0
    return have


def _require_disk(needed: int, folder: Path, source: HubFile) -> None:
    free = disk_free(folder)
    if free < needed + DISK_MARGIN:
        raise DownloadError(
            f"There is not enough free disk space for {source.filename}: it needs "
            f"{_mb(needed + DISK_MARGIN)} more (including a {_mb(DISK_MARGIN)} margin) and {folder} has "
            f"{_mb(free)} free. Nothing was "
            "downloaded; free some space or choose a smaller model."
        )


@contextlib.contextmanager
def exclusive(
    lock_path: Path, cancel: CancelToken | None = None, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (between processes and threads alike); while another
    holder has it, call `on_wait` once and wait, checking `cancel`. The locking itself is filelock's
    (flock or msvcrt); what this adds is a wait that a cancel token can end, and one "waiting" report."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    # A new FileLock per call, not per thread: two threads of this process exclude each other too.
    lock = FileLock(lock_path, thread_local=False)
    told = False
    while True:
        try:
            lock.acquire(timeout=0 if not told else 0.2, poll_interval=0.05)
            break
        except Timeout:
            if on_wait is not None and not told:
                on_wait()
            told = True
            if cancel is not None:
                cancel.raise_if_cancelled()
    try:
        yield
    finally:
        lock.release()


# -- errors in words -------------------------------------------------------------------------------
def _raise_for_status(response: httpx.Response, url: str, source: HubFile | None = None) -> None:
    status = response.status_code
    if status < 400:
        return
    name = url.rsplit("/", 1)[-1]
    repo = source.repo_id if source else url
    if status == 401:
        raise DownloadError(
            f"The Hub asked for a login to download {name} (HTTP 401). If {repo} is gated, accept its licence"
            f"{' (' + source.license + ')' if source and source.license else ''} on huggingface.co, create "
            "an access token, and set it as HF_TOKEN (or run `hf auth login`)."
        )
    if status == 403:
        raise DownloadError(
            f"The Hub refused {name} (HTTP 403): {repo} is gated and your token has not been granted access. "
            "Accept the licence on the model's page on huggingface.co, then try again."
        )
    if status == 404:
        raise DownloadError(
            f"{name} was not found on the Hub (HTTP 404): the repository, revision or file name "
            "may have changed. Update Riddlewire or check the mirror you set in HF_ENDPOINT."
        )
    raise DownloadError(f"The Hub answered HTTP {status} for {name}. Try again later.")


def _unreachable_sentence(url: str, exc: httpx.TransportError) -> str:
    host = httpx.URL(url).host
    if isinstance(exc, httpx.TimeoutException):
        return f"{host} did not answer in time. Check your connection, or set HF_ENDPOINT to a mirror."
    return (
        f"Cannot reach {host}: you may be offline, or a proxy or firewall blocks it. Installed models keep "
        "working offline; try the download again when you are connected."
    )


def _stopped_sentence(source: HubFile, problem: Exception, have: int, size: int) -> str:
    why = (
        "the server stopped answering"
        if isinstance(problem, httpx.TimeoutException)
        else "the connection dropped"
    )
    return (
        f"The download of {source.filename} stopped because {why}. The {_mb(have)} of {_mb(size)} already "
        "fetched are kept; start it again to resume."
    )


# -- small pieces ----------------------------------------------------------------------------------
class _Rate:
    """Bytes per second over this session, and the time left at that rate."""

    def __init__(self, start: int):
        self.start, self.began = start, time.monotonic()
        self.last = 0.0

    def tick(self, done: int, total: int, report: ProgressCallback) -> None:
        """Report at most 10 times a second (and the end): formatting every chunk would cost throughput."""
        now = time.monotonic()
        if now - self.last >= 0.1 or done >= total:
            self.last = now
            report(self.progress(done, total))

    def progress(self, done: int, total: int) -> Progress:
        elapsed = max(time.monotonic() - self.began, 1e-6)
        rate = (done - self.start) / elapsed
        left = (total - done) / rate if rate > 0 else 0
        eta = f"{left / 60:.0f} min" if left >= 90 else f"{left:.0f} s"
        return Progress(
            "download", done, total, f"{_mb(done)} of {_mb(total)} · {rate / 1e6:.1f} MB/s · {eta} left"
        )


def _note_path(part: Path) -> Path:
    return part.with_suffix(".json")


def _strip_etag(value: str) -> str:
    return value.removeprefix("W/").strip().strip('"').lower()


def _hash_into(
    hasher,
    path: Path,
    length: int,
    cancel: CancelToken | None,  # noqa: ANN001
    report: ProgressCallback | None = None,
) -> None:
    with open(path, "rb") as handle:
        done = 0
        while done < length:
            if cancel is not None:
                cancel.raise_if_cancelled()
            block = handle.read(min(8 * CHUNK, length - done))
            if not block:
                break
            hasher.update(block)
            done += len(block)
            if report is not None:
                report(Progress("checksum", done, length, f"Checking {path.name}…"))


def sha256_of(path: Path, cancel: CancelToken | None = None, progress: ProgressCallback | None = None) -> str:
    """The sha256 of a whole file, read in blocks (cancellable, with throttled progress)."""
    hasher = hashlib.sha256()
    _hash_into(hasher, path, path.stat().st_size, cancel, throttled(progress) if progress else None)
    return hasher.hexdigest()


def _mb(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"

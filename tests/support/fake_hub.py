"""A small Hugging Face Hub on 127.0.0.1 for download tests: a real HTTP server that speaks the part
of the Hub's protocol a file download uses.

    HEAD/GET /{owner}/{repo}/resolve/{revision}/{filename}
      -> X-Repo-Commit, ETag, X-Linked-Etag (the sha256), X-Linked-Size, Accept-Ranges, Range (206)

Knobs, settable while it runs: `throttle_bps`, `fail_after` (drop the connection after N body bytes,
`fail_times` times), `status` (answer every request with 401/403/404/500...), `corrupt_at` (flip one
byte of the body), `require_token`. `bytes_served` counts body bytes actually written."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024


@dataclass
class HubState:
    files: dict[str, bytes] = field(default_factory=dict)  # "owner/repo/filename" -> content
    digests: dict[str, str] = field(
        default_factory=dict
    )  # computed once: the real Hub does not hash per request
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    throttle_bps: float | None = None
    fail_after: int | None = None
    fail_times: int = 1
    status: int | None = None
    corrupt_at: int | None = None
    require_token: str | None = None
    bytes_served: int = 0
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, range)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeHub:
    def __init__(self) -> None:
        self.state = HubState()
        handler = type("Handler", (_Handler,), {"hub": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, repo_id: str, filename: str, content: bytes) -> str:
        """Publish a file; returns its sha256 (what the Hub sends as X-Linked-Etag)."""
        key = f"{repo_id}/{filename}"
        self.state.files[key] = content
        self.state.digests[key] = hashlib.sha256(content).hexdigest()
        return self.state.digests[key]

    def start(self) -> FakeHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    hub: HubState
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args: object) -> None:  # keep test output quiet
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        hub = self.hub
        with hub.lock:
            hub.requests.append((self.command, self.path, self.headers.get("Range", "")))
        found = self._find()
        if found is None:
            return
        content, digest = found
        start, end = self._range(len(content))
        if start is None:
            return
        self.send_response(206 if (start, end) != (0, len(content)) else 200)
        self.send_header("X-Repo-Commit", hub.commit)
        self.send_header("ETag", f'"{digest}"')
        self.send_header("X-Linked-Etag", f'"{digest}"')
        self.send_header("X-Linked-Size", str(len(content)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start))
        if (start, end) != (0, len(content)):
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(content)}")
        self.end_headers()
        if body:
            self._send_body(content, start, end)

    def _find(self) -> tuple[bytes, str] | None:
        hub = self.hub
        if hub.status is not None:
            self._refuse(hub.status)
            return None
        if hub.require_token and self.headers.get("Authorization") != f"Bearer {hub.require_token}":
            self._refuse(401)
            return None
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) < 5 or parts[2] != "resolve":
            self._refuse(404)
            return None
        key = f"{parts[0]}/{parts[1]}/{'/'.join(parts[4:])}"
        if key not in hub.files:
            self._refuse(404)
            return None
        return hub.files[key], hub.digests[key]

    def _range(self, size: int) -> tuple[int | None, int]:
        header = self.headers.get("Range")
        if not header:
            return 0, size
        first, _, last = header.removeprefix("bytes=").partition("-")
        start = int(first)
        end = min(int(last) + 1, size) if last else size
        if start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None, 0
        return start, end

    def _refuse(self, status: int) -> None:
        message = {
            401: b"Invalid credentials",
            403: b"Access to this repo is restricted",
            404: b"Entry not found",
        }
        text = message.get(status, b"error")
        self.send_response(status)
        self.send_header("X-Error-Message", text.decode())
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(text)

    def _send_body(self, content: bytes, start: int, end: int) -> None:
        hub = self.hub
        sent = 0
        began = time.monotonic()
        position = start
        while position < end:
            piece = content[position : min(position + CHUNK, end)]
            if hub.corrupt_at is not None and position <= hub.corrupt_at < position + len(piece):
                at = hub.corrupt_at - position
                piece = piece[:at] + bytes([piece[at] ^ 0xFF]) + piece[at + 1 :]
            if hub.fail_after is not None and hub.fail_times > 0 and sent + len(piece) > hub.fail_after:
                with hub.lock:
                    hub.fail_times -= 1
                self._write(piece[: max(0, hub.fail_after - sent)])
                self.close_connection = True
                self.connection.close()  # the client sees a body shorter than Content-Length
                return
            if not self._write(piece):
                return
            sent += len(piece)
            position += len(piece)
            if hub.throttle_bps:
                ahead = sent / hub.throttle_bps - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)

    def _write(self, piece: bytes) -> bool:
        try:
            self.wfile.write(piece)
        except OSError:  # the client went away (a killed download): stop quietly
            self.close_connection = True
            return False
        with self.hub.lock:
            self.hub.bytes_served += len(piece)
        return True

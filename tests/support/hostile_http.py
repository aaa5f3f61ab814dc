"""A deliberately rude HTTP server on 127.0.0.1, written on raw sockets so it can break the protocol in
ways http.server will not: headers dripped a byte at a time (slowloris), an endless chunked body, a
body cut off mid-way, a connection reset, or simply fine bytes. Every request path is recorded, so a
test can prove what a client did (or did not) ask for."""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Behaviour:
    kind: str  # "ok" | "drip_headers" | "endless_chunked" | "cut_body" | "reset" | "big"
    body: bytes = b""
    interval_s: float = 0.2  # drip_headers: seconds between header bytes
    size: int = 0  # big: bytes declared and sent


class HostileServer:
    def __init__(self) -> None:
        self.behaviours: dict[str, Behaviour] = {}
        self.paths: list[str] = []
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._accept, name="hostile-http", daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}{path}"

    def add(self, path: str, behaviour: Behaviour) -> str:
        self.behaviours[path] = behaviour
        return self.url(path)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65_536:
                data = conn.recv(4096)
                if not data:
                    return
                request += data
            path = request.split(b" ", 2)[1].decode("latin-1") if request.count(b" ") >= 2 else "?"
            self.paths.append(path)
            behaviour = self.behaviours.get(path.split("?", 1)[0], Behaviour("ok", b"not here"))
            getattr(self, "_" + behaviour.kind)(conn, behaviour)
        except OSError:
            pass  # the client gave up: that is the point of most of these
        finally:
            conn.close()

    def _ok(self, conn: socket.socket, b: Behaviour) -> None:
        conn.sendall(_head(f"Content-Length: {len(b.body)}") + b.body)

    def _drip_headers(self, conn: socket.socket, b: Behaviour) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not self._stop.wait(b.interval_s):  # "X-a: aaaa..." forever, one byte at a time
            conn.sendall(b"X" if conn.fileno() >= 0 else b"")

    def _endless_chunked(self, conn: socket.socket, b: Behaviour) -> None:
        conn.sendall(_head("Transfer-Encoding: chunked") + _chunk(b.body))
        piece = _chunk(b"<item><title>more</title></item>" * 2000)
        while not self._stop.is_set():
            conn.sendall(piece)

    def _cut_body(self, conn: socket.socket, b: Behaviour) -> None:
        conn.sendall(_head(f"Content-Length: {len(b.body)}") + b.body[: len(b.body) // 2])

    def _reset(self, conn: socket.socket, _b: Behaviour) -> None:
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _big(self, conn: socket.socket, b: Behaviour) -> None:
        conn.sendall(_head(f"Content-Length: {b.size}") + b.body)
        block = b"<item><title>x</title></item>" * 4096
        sent = len(b.body)
        while sent < b.size and not self._stop.is_set():
            piece = block[: b.size - sent]
            conn.sendall(piece)
            sent += len(piece)


def _head(extra: str) -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n{extra}\r\nConnection: close\r\n\r\n"
    ).encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"

"""A real HTTP server on 127.0.0.1 for feed tests and benchmarks. Each path is a `Route` that says how
to misbehave: serve bytes (optionally gzipped, with ETag/Last-Modified and 304s), redirect, stall,
drip, or send an endless body. Every request is recorded, so tests can prove what was (not) asked."""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    etag: str = ""
    last_modified: str = ""
    gzip: bool = False
    redirect_to: str = ""  # a path or URL; sent as 302 Location
    delay_s: float = 0.0  # wait before the headers
    drip_s: float = 0.0  # after the headers, one byte every drip_s seconds
    endless: bool = False  # never stop sending
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Listener(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="feed-server", daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route | None = None, **fields) -> str:  # noqa: ANN003
        self.routes[path] = route or Route(**fields)
        return self.url(path)

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.requests if seen.path == path]

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)


class _Listener(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops parallel connects, and a dropped SYN costs 1 s


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like real servers: the client reuses connections
        disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

        def log_message(self, *_args: object) -> None:  # quiet: tests read server.requests instead
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            server._record(Seen(path, {k.lower(): v for k, v in self.headers.items()}))
            route = server.routes.get(path)
            if route is None:
                self._send(404, b"not here", "text/plain")
                return
            if route.delay_s:
                server._stopping.wait(route.delay_s)
            if route.redirect_to:
                self.send_response(302)
                self.send_header("Location", route.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self._not_modified(route):
                self.send_response(304)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.endless or route.drip_s:
                self._stream(route)
                return
            body = gzip.compress(route.body) if route.gzip else route.body
            self._send(route.status, body, route.content_type, route)

        def _not_modified(self, route: Route) -> bool:
            etag, since = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            return bool(
                (route.etag and etag == route.etag) or (route.last_modified and since == route.last_modified)
            )

        def _send(self, status: int, body: bytes, content_type: str, route: Route | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if route is not None:
                for name, value in (("ETag", route.etag), ("Last-Modified", route.last_modified)):
                    if value:
                        self.send_header(name, value)
                if route.gzip:
                    self.send_header("Content-Encoding", "gzip")
                for name, value in route.headers.items():
                    self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _stream(self, route: Route) -> None:
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"<item>" + b"x" * 65_530 if route.endless else route.body[:1]
            try:
                self.wfile.write(route.body)
                while not server._stopping.is_set():
                    self.wfile.write(chunk)
                    if route.drip_s:
                        time.sleep(route.drip_s)
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass
            self.close_connection = True

    return Handler

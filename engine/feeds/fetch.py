"""Fetching a feed over HTTP with hard limits: timeouts, a deadline, a size cap, few redirects, and
conditional GET. Feedparser's own fetching has no timeout, so it never fetches; it only parses the
bytes we hand it."""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from engine import __version__
from engine.deadlines import bounded_transport, deadline
from engine.errors import FeedError
from engine.feeds.parse import MAX_FEED_BYTES
from engine.progress import CancelToken

USER_AGENT = f"Riddlewire/{__version__} (+feed reader; offline riddles)"


@dataclass(frozen=True)
class FetchLimits:
    connect_s: float = 5.0
    read_s: float = 10.0  # the longest silence between two reads
    total_s: float = 30.0  # the whole download: a server dripping one byte a second is cut off here
    max_bytes: int = MAX_FEED_BYTES  # counted after gzip is undone, so a gzip bomb is stopped too
    max_redirects: int = 5


DEFAULT_LIMITS = FetchLimits()
TIMEOUT = httpx.Timeout(connect=DEFAULT_LIMITS.connect_s, read=DEFAULT_LIMITS.read_s, write=5.0, pool=5.0)
MAX_REDIRECTS = DEFAULT_LIMITS.max_redirects


@dataclass(frozen=True)
class FeedResponse:
    url: str  # after redirects
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str:
        return self.headers.get("etag", "")

    @property
    def last_modified(self) -> str:
        return self.headers.get("last-modified", "")


def new_client(limits: FetchLimits = DEFAULT_LIMITS, max_connections: int = 10) -> httpx.Client:
    """One client per refresh: connections to the same host are reused across its feeds."""
    pool = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    return httpx.Client(
        timeout=httpx.Timeout(connect=limits.connect_s, read=limits.read_s, write=5.0, pool=limits.total_s),
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        headers={"User-Agent": USER_AGENT},
        # The transport obeys fetch()'s deadline on every read, headers included (engine/deadlines.py).
        transport=bounded_transport(limits=pool, trust_env=False),
        trust_env=False,  # no proxy or netrc from the environment: requests go only where the user said
    )


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    max_bytes: int | None = None,
    client: httpx.Client | None = None,
    limits: FetchLimits = DEFAULT_LIMITS,
    cancel: CancelToken | None = None,
) -> FeedResponse:
    """GET a feed. With etag/last_modified from the last fetch, an unchanged feed answers 304 with no
    body. Bodies over the cap and downloads over the deadline are refused while they stream in."""
    check_address(url)
    conditional = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
    own = client is None
    client = client or new_client(limits)
    started = time.monotonic()
    try:
        with deadline(limits.total_s), client.stream("GET", url, headers=conditional) as response:
            if response.status_code == 304:
                return FeedResponse(str(response.url), 304, b"", dict(response.headers))
            if response.status_code >= 400:
                raise FeedError(f"{_site(url)} answered {response.status_code} {response.reason_phrase}.")
            body = _read_capped(response, url, max_bytes or limits.max_bytes, limits.total_s, cancel)
            return FeedResponse(str(response.url), response.status_code, body, dict(response.headers))
    except httpx.TimeoutException as exc:
        if time.monotonic() - started >= limits.total_s:  # bytes kept coming, too slowly (headers or body)
            raise FeedError(
                f"{_site(url)} took longer than {limits.total_s:g} s to send the feed; try again later."
            ) from exc
        raise FeedError(f"{_site(url)} did not answer in time; try again later.") from exc
    except httpx.TooManyRedirects as exc:
        raise FeedError(f"{_site(url)} redirects too many times (or in a loop); check the address.") from exc
    except httpx.InvalidURL as exc:  # not an HTTPError: the address itself is malformed
        raise FeedError(_not_an_address(url)) from exc
    except httpx.HTTPError as exc:
        raise FeedError(unreachable_sentence(url, exc)) from exc
    finally:
        if own:
            client.close()


def _read_capped(
    response: httpx.Response, url: str, max_bytes: int, total_s: float, cancel: CancelToken | None
) -> bytes:
    deadline = time.monotonic() + total_s
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FeedError(
                f"{_site(url)} sent more than {max_bytes / 1_048_576:g} MB; the feed was not read."
            )
        if time.monotonic() > deadline:
            raise FeedError(f"{_site(url)} took longer than {total_s:g} s to send the feed; try again later.")
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunks.append(chunk)
    return b"".join(chunks)


def _site(url: str) -> str:
    return urlsplit(url).netloc or url


# A host name as typed in an address: letters (any script), digits, dots and hyphens, or an IP
# address (IPv6 without its brackets). A space, a quote or a slash there means it is not an address.
_HOST = re.compile(r"[\w.-]+|[0-9A-Fa-f:.]+")


def check_address(url: str) -> None:
    """FeedError with a sentence unless `url` is an http(s) address with a plausible host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise FeedError(_not_an_address(url)) from None
    if parts.scheme.lower() not in ("http", "https") or not _HOST.fullmatch(host):
        raise FeedError(_not_an_address(url))


def _not_an_address(url: str) -> str:
    return (
        f"“{url}” is not a web address. A feed's address looks like https://example.org/feed.xml "
        "(it must start with http:// or https://)."
    )


def unreachable_sentence(url: str, error: BaseException) -> str:
    """What went wrong when nothing came back, in words: a name that does not resolve, a server that
    refused the connection, or no connection at all. Never an exception's class name."""
    site = _site(url)
    causes = []
    while error is not None and len(causes) < 10:  # httpx wraps httpcore, which wraps the OSError
        causes.append(error)
        error = error.__cause__ or error.__context__
    text = " ".join(str(c) for c in causes).lower()
    if any(isinstance(c, socket.gaierror) for c in causes) or "name or service not known" in text:
        return (
            f"There is no such site as {urlsplit(url).hostname}: its name does not resolve. Check the "
            "spelling of the address (or your connection, if every site fails)."
        )
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "connection refused" in text:
        return f"The server at {site} refused the connection: nothing there serves web pages now."
    return f"{site} could not be reached. Are you offline?"

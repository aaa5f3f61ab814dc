"""Fetching a feed over HTTP with hard limits: timeouts, a size cap, few redirects. Feedparser's own
fetching has no timeout, so it never fetches; it only parses the bytes we hand it."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from engine import __version__
from engine.errors import FeedError
from engine.feeds.parse import MAX_FEED_BYTES

USER_AGENT = f"Riddlewire/{__version__} (+feed reader; offline riddles)"
TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=5.0, pool=5.0)
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class FeedResponse:
    url: str  # after redirects
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def fetch(url: str, *, max_bytes: int = MAX_FEED_BYTES, client: httpx.Client | None = None) -> FeedResponse:
    """GET a feed, refusing bodies over max_bytes while they stream in."""
    if not url.lower().startswith(("http://", "https://")):
        raise FeedError(f"{url} is not a web address (it must start with http:// or https://).")
    own = client is None
    client = client or httpx.Client(
        timeout=TIMEOUT, follow_redirects=True, max_redirects=MAX_REDIRECTS, headers={"User-Agent": USER_AGENT}
    )
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise FeedError(f"{url} answered {response.status_code} {response.reason_phrase}.")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FeedError(f"{url} sent more than {max_bytes // 1_048_576} MB; it was not read.")
                chunks.append(chunk)
            return FeedResponse(str(response.url), response.status_code, b"".join(chunks), dict(response.headers))
    except httpx.TimeoutException as exc:
        raise FeedError(f"{url} did not answer in time; try again later.") from exc
    except httpx.TooManyRedirects as exc:
        raise FeedError(f"{url} redirects too many times.") from exc
    except httpx.HTTPError as exc:
        raise FeedError(f"{url} could not be reached ({exc.__class__.__name__}). Are you offline?") from exc
    finally:
        if own:
            client.close()

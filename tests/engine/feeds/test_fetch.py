"""Fetching from a real HTTP server on 127.0.0.1 that misbehaves on purpose."""

import time

import pytest

from engine.errors import Cancelled, FeedError
from engine.feeds.discover import find_feed
from engine.feeds.fetch import USER_AGENT, fetch
from engine.progress import CancelToken
from tests.engine.feeds.conftest import QUICK, rss

FEED = rss("Quay News", [("Crane lifts the new bridge span into place", "https://quay.example.org/crane")])


def test_plain_fetch_sends_our_user_agent_and_accepts_gzip(feed_server):
    url = feed_server.add("/feed", body=FEED, gzip=True)
    response = fetch(url, limits=QUICK)
    assert response.status == 200 and response.body == FEED, "gzip is undone transparently"
    [seen] = feed_server.hits("/feed")
    assert seen.headers["user-agent"] == USER_AGENT
    assert "gzip" in seen.headers["accept-encoding"]


def test_conditional_get_gives_304_and_no_body(feed_server):
    url = feed_server.add("/feed", body=FEED, etag='"v1"', last_modified="Tue, 24 Nov 2026 10:00:00 GMT")
    first = fetch(url, limits=QUICK)
    assert (first.etag, first.last_modified) == ('"v1"', "Tue, 24 Nov 2026 10:00:00 GMT")
    again = fetch(url, etag=first.etag, last_modified=first.last_modified, limits=QUICK)
    assert again.not_modified and again.body == b""
    second = feed_server.hits("/feed")[1]
    assert second.headers["if-none-match"] == '"v1"'
    assert second.headers["if-modified-since"] == "Tue, 24 Nov 2026 10:00:00 GMT"


def test_redirects_are_followed_and_the_final_address_reported(feed_server):
    final = feed_server.add("/new-home", body=FEED)
    url = feed_server.add("/old-home", redirect_to="/new-home")
    assert fetch(url, limits=QUICK).url == final


def test_a_redirect_loop_is_a_sentence(feed_server):
    url = feed_server.add("/a", redirect_to="/b")
    feed_server.add("/b", redirect_to="/a")
    with pytest.raises(FeedError, match="redirects too many times"):
        fetch(url, limits=QUICK)
    assert len(feed_server.requests) == QUICK.max_redirects + 1


def test_a_silent_server_times_out(feed_server):
    url = feed_server.add("/slow", body=FEED, delay_s=5)
    started = time.monotonic()
    with pytest.raises(FeedError, match="did not answer in time"):
        fetch(url, limits=QUICK)
    assert time.monotonic() - started < 3


def test_a_dripping_server_hits_the_deadline(feed_server):
    url = feed_server.add("/drip", body=FEED[:100], drip_s=0.05)
    started = time.monotonic()
    with pytest.raises(FeedError, match="took longer than 1.5 s"):
        fetch(url, limits=QUICK)
    assert time.monotonic() - started < 4


def test_an_endless_body_is_cut_at_the_cap(feed_server):
    url = feed_server.add("/endless", body=FEED[:100], endless=True)
    with pytest.raises(FeedError, match="sent more than 2 MB; the feed was not read"):
        fetch(url, limits=QUICK)


def test_a_50_mb_feed_over_http_is_refused_while_streaming(feed_server):
    huge = b"<rss version='2.0'><channel>" + b"<item><title>x</title></item>" * (50 * 1024 * 1024 // 29)
    url = feed_server.add("/huge", body=huge)
    with pytest.raises(FeedError, match="sent more than 20 MB"):
        fetch(url)  # production limits


def test_a_gzip_bomb_is_counted_after_decompression(feed_server):
    url = feed_server.add("/bomb", body=b"<rss>" + b" " * (30 * 1024 * 1024), gzip=True)
    with pytest.raises(FeedError, match="sent more than 2 MB"):
        fetch(url, limits=QUICK)


def test_http_errors_and_bad_schemes_are_sentences(feed_server):
    with pytest.raises(FeedError, match=r"answered 404 Not Found"):
        fetch(feed_server.url("/missing"), limits=QUICK)
    with pytest.raises(FeedError, match="not a web address"):
        fetch("file:///etc/passwd")


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sentence(url: str) -> str:
    with pytest.raises(FeedError) as refused:
        find_feed(url)
    sentence = refused.value.sentence
    assert "Error" not in sentence and "Exception" not in sentence, sentence  # no class names
    return sentence


def test_a_closed_port_is_the_server_refusing():
    assert "refused the connection" in _sentence(f"http://127.0.0.1:{_closed_port()}/feed")


@pytest.mark.parametrize(
    "typed", ["hello world", "https://hello world", "http://exa mple.org/feed", "ftp://x"]
)
def test_what_is_not_an_address_is_said_so(typed: str):
    """Issue 21: "hello world" was "could not be reached (ConnectError). Are you offline?"."""
    assert "is not a web address" in _sentence(typed)


def test_a_name_that_does_not_resolve_is_no_such_site():
    # .invalid is reserved (RFC 2606): it never resolves, with or without a network.
    sentence = _sentence("https://riddlewire-test.invalid/feed.xml")
    assert "no such site as riddlewire-test.invalid" in sentence


def test_an_html_page_is_not_a_feed(feed_server):
    page = feed_server.add("/page", content_type="text/html", body=b"<html><body>Hello</body></html>")
    assert "is not a feed" in _sentence(page)


def test_cancel_stops_a_download(feed_server):
    url = feed_server.add("/drip", body=FEED[:100], drip_s=0.01)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        fetch(url, limits=QUICK, cancel=token)

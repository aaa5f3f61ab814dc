"""OPML import/export and feed autodiscovery (the latter against the local server)."""

import pytest

from engine.errors import FeedError
from engine.feeds.discover import feed_links, find_feed
from engine.feeds.opml import Subscription, read_opml, write_opml
from engine.paths import resource
from tests.engine.feeds.conftest import fixture_bytes, rss

# The shape other readers (NetNewsWire, RSS Guard, Feedly) export: folders, text vs title, htmlUrl.
FOREIGN_OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Exported</title></head><body>
  <outline text="Top level" type="rss" xmlUrl="https://top.example.org/rss"/>
  <outline text="Tech"><outline text="Gadgets">
    <outline text="Chips" title="Chip News" type="rss" xmlUrl="https://chips.example.org/feed" htmlUrl="https://chips.example.org/"/>
  </outline></outline>
  <outline text="Duplicate" type="rss" xmlUrl="https://top.example.org/rss"/>
  <outline text="Not a feed" type="link" url="https://example.org/"/>
  <outline text="Bad scheme" type="rss" xmlUrl="javascript:alert(1)"/>
</body></opml>"""


def test_reading_another_readers_export():
    assert read_opml(FOREIGN_OPML) == [
        Subscription("https://top.example.org/rss", "Top level", ""),
        Subscription(
            "https://chips.example.org/feed", "Chip News", "Tech/Gadgets", "https://chips.example.org/"
        ),
    ]


def test_round_trip_keeps_every_field():
    subs = [
        Subscription("https://a.example.org/rss", "Alpha & Co", "World", "https://a.example.org/"),
        Subscription("https://b.example.org/rss", "Beta", "World"),
        Subscription("https://c.example.org/rss?x=1&y=2", "", "Science/Space"),
        Subscription("https://d.example.org/rss", "Delta <live>", ""),
    ]
    written = write_opml(subs)
    assert written.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\">")
    back = read_opml(written)
    assert [(s.url, s.category, s.site) for s in back] == [(s.url, s.category, s.site) for s in subs]
    assert [s.title for s in back] == [
        "Alpha & Co",
        "Beta",
        "https://c.example.org/rss?x=1&y=2",
        "Delta <live>",
    ]


def test_the_bundled_default_list_is_valid_and_https():
    subs = read_opml(resource("feeds.opml").read_bytes())
    assert len(subs) >= 5
    assert all(s.url.startswith("https://") and s.title and s.category for s in subs)


@pytest.mark.parametrize(
    "data, words",
    [
        (b"not xml at all", "not readable OPML"),
        (b"<rss><channel/></rss>", "not OPML"),
        (b'<!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>', "entities"),
    ],
)
def test_bad_opml_is_a_sentence(data, words):
    with pytest.raises(FeedError, match=words):
        read_opml(data)


def test_feed_links_from_a_page_head():
    html = """<html><head>
      <link rel="stylesheet" href="/s.css">
      <link rel="alternate" type="application/rss+xml" title="All" href="/feed.xml">
      <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://cdn.example.org/atom">
      <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
      <link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
    </head></html>"""
    assert feed_links(html, "https://site.example.org/news/page") == [
        "https://site.example.org/feed.xml",
        "https://cdn.example.org/atom",
    ]


def test_find_feed_follows_a_page_to_its_feed(feed_server):
    feed_server.add("/blog/feed", body=fixture_bytes("rss20.xml"))
    page = feed_server.add(
        "/blog/",
        content_type="text/html",
        body=b'<html><head><link rel="alternate" type="application/rss+xml" href="feed"></head>'
        b"<body>Welcome</body></html>",
    )
    found = find_feed(page)
    assert found.url == feed_server.url("/blog/feed")
    assert found.title == "Harbour Times" and len(found.parsed.articles) == 2


def test_find_feed_accepts_a_feed_address_directly(feed_server):
    url = feed_server.add(
        "/rss", body=rss("Direct", [("A direct story about lighthouses", "https://d.example.org/1")])
    )
    assert find_feed(url).url == url


def test_a_page_without_feeds_is_a_sentence(feed_server):
    page = feed_server.add(
        "/plain", content_type="text/html", body=b"<html><head></head><body>Hi</body></html>"
    )
    with pytest.raises(FeedError, match="is not a feed: it is a web page that names no feed"):
        find_feed(page)

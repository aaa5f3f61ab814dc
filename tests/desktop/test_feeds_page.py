"""The Feeds page in a real (offscreen) window over a real history, with feeds served from 127.0.0.1."""

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser

from desktop.feed_refresher import FeedRefresher
from desktop.pages.feeds import NAME, NEW, STATUS, InertBrowser
from engine.feeds.opml import read_opml
from engine.paths import app_paths
from engine.store import Store
from engine.store.feeds import add_feed, add_mute, list_feeds
from tests.engine.feeds.conftest import QUICK, rss
from tests.support.feed_server import FeedServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def feed_server():
    with FeedServer() as server:
        yield server


def subscribe(*urls: str) -> None:
    store = Store(app_paths().ensure().database)
    for url in urls:
        add_feed(store, url)
    store.close()


def page_of(make_window, qtbot, rows: int):
    window = make_window()
    page = window.page("feeds")
    page.refresher._limits = QUICK  # short timeouts: a broken feed fails in a second, not thirty
    qtbot.waitUntil(lambda: page.table.rowCount() == rows, timeout=5000)
    return window, page


def cell(page, row: int, column: int) -> str:
    return page.table.item(row, column).text()


def test_refresh_now_shows_new_items_and_each_feeds_own_error(make_window, qtbot, feed_server):
    good = [
        feed_server.add(
            f"/f{i}", body=rss(f"Wire {i}", [(f"Story {i} about the harbour", f"https://w{i}.example.org/1")])
        )
        for i in range(3)
    ]
    subscribe(*good, feed_server.add("/broken", body=b"<html>no feed here</html>"))
    _, page = page_of(make_window, qtbot, 4)
    assert page.suggested_button.isHidden()
    qtbot.mouseClick(page.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "feeds checked" in page.status.text(), timeout=10_000)
    assert page.status.text().startswith("4 feeds checked, 3 new articles. 1 could not be read")
    qtbot.waitUntil(lambda: sorted(cell(page, r, NAME) for r in range(4))[-1] == "Wire 2", timeout=5000)
    rows = {cell(page, r, NAME): (cell(page, r, NEW), cell(page, r, STATUS)) for r in range(4)}
    assert rows["Wire 0"] == ("1", "OK")
    assert "No news items could be read" in rows["127.0.0.1:" + feed_server.base.rsplit(":", 1)[1]][1]
    assert page.refresh_button.isEnabled() and not page.progress.isVisible()


def test_adding_a_site_address_discovers_its_feed_and_refreshes_it(make_window, qtbot, feed_server):
    feed_server.add(
        "/news/feed.xml",
        body=rss("Canal Courier", [("Lock gates replaced on the canal", "https://c.example.org/1")]),
    )
    site = feed_server.add(
        "/news/",
        content_type="text/html",
        body=b'<head><link rel="alternate" type="application/rss+xml" href="feed.xml"></head>',
    )
    _, page = page_of(make_window, qtbot, 0)
    assert page.suggested_button.isVisibleTo(page)
    page.address.setText(site)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 and cell(page, 0, NEW) == "1", timeout=10_000)
    assert cell(page, 0, NAME) == "Canal Courier"
    assert [f.url for f in list_feeds(Store(app_paths().database))] == [feed_server.url("/news/feed.xml")]


def test_a_bad_address_is_a_sentence_and_adds_nothing(make_window, qtbot, feed_server):
    page_html = feed_server.add("/plain", content_type="text/html", body=b"<html><body>Hi</body></html>")
    _, page = page_of(make_window, qtbot, 0)
    page.address.setText(page_html)
    page.add_from_address()
    qtbot.waitUntil(lambda: "is not a feed" in page.status.text(), timeout=5000)
    assert page.table.rowCount() == 0 and page.add_button.isEnabled()


def test_rename_by_editing_the_cell_and_remove_keeps_articles(make_window, qtbot, feed_server):
    subscribe(
        feed_server.add(
            "/r", body=rss("R", [("A story to keep after unsubscribing", "https://r.example.org/1")])
        )
    )
    _, page = page_of(make_window, qtbot, 1)
    page.refresher.refresh_now()
    qtbot.waitUntil(lambda: cell(page, 0, NEW) == "1", timeout=10_000)
    page.table.item(0, NAME).setText("My own name")
    qtbot.waitUntil(lambda: list_feeds(Store(app_paths().database))[0].title == "My own name", timeout=5000)
    page.table.selectRow(0)
    page.remove_selected()
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=5000)
    assert "articles and riddles are kept" in page.status.text()
    assert Store(app_paths().database).count_articles() == 1


def test_opml_import_and_export_round_trip(make_window, qtbot, tmp_path):
    _, page = page_of(make_window, qtbot, 0)
    qtbot.mouseClick(page.suggested_button, Qt.MouseButton.LeftButton)  # the bundled list: nothing is fetched
    suggested = read_opml((ROOT / "resources" / "feeds.opml").read_bytes())
    qtbot.waitUntil(lambda: page.table.rowCount() == len(suggested), timeout=5000)
    assert "Not refreshed yet" in cell(page, 0, STATUS)
    target = tmp_path / "out.opml"
    page.export_file(target)
    qtbot.waitUntil(lambda: target.exists() and "Wrote" in page.status.text(), timeout=5000)
    assert {(s.url, s.title, s.category) for s in read_opml(target.read_bytes())} == {
        (s.url, s.title, s.category) for s in suggested
    }


def test_mutes_are_added_listed_and_removed(make_window, qtbot):
    _, page = page_of(make_window, qtbot, 0)
    page.mute_input.setText("celebrity")
    page.mute("keyword", page.mute_input.text())
    page.mute("source", "tabloid.example")
    qtbot.waitUntil(lambda: page.mutes.count() == 2, timeout=5000)
    assert [page.mutes.item(i).text() for i in range(2)] == ["keyword: celebrity", "source: tabloid.example"]
    page.mutes.setCurrentRow(0)
    page.unmute_selected()
    qtbot.waitUntil(lambda: page.mutes.count() == 1, timeout=5000)


def test_the_preview_shows_stored_articles_as_inert_text(make_window, qtbot, feed_server):
    hostile = rss(
        "Hostile",
        [("Tracked story about tides", "https://h.example.org/1")],
        extra=f'<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA['
        f'<p>Words.</p><img src="{feed_server.url("/pixel.gif")}"><script>alert(1)</script>'
        f'<a href="javascript:alert(2)">x</a>]]></content:encoded>',
    )
    subscribe(feed_server.add("/h", body=hostile))
    _, page = page_of(make_window, qtbot, 1)
    page.refresher.refresh_now()
    qtbot.waitUntil(lambda: cell(page, 0, NEW) == "1", timeout=10_000)
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: "Tracked story" in page.preview.toPlainText(), timeout=5000)
    shown = page.preview.toHtml()
    assert "<img" not in shown and "javascript" not in shown and "alert" not in shown
    assert 'href="https://h.example.org/1"' in shown
    assert feed_server.hits("/pixel.gif") == [], "no remote resource was requested"


def test_the_inert_browser_loads_no_resources_even_local_files(qtbot, tmp_path, feed_server):
    image = tmp_path / "local.png"
    picture = QImage(4, 4, QImage.Format.Format_RGB32)
    picture.fill(QColor("red"))
    picture.save(str(image))
    html = (
        f'<img src="{QUrl.fromLocalFile(str(image)).toString()}"><img src="{feed_server.url("/beacon.png")}">'
    )

    kind, local = QTextDocument.ResourceType.ImageResource.value, QUrl.fromLocalFile(str(image))
    stock = QTextBrowser()  # proves the local file would load without the override
    inert = InertBrowser()
    for browser in (stock, inert):
        qtbot.addWidget(browser)
        browser.setHtml(html)
        browser.show()
    qtbot.wait(50)
    assert stock.document().resource(kind, local).size() == QSize(4, 4)
    assert inert.document().resource(kind, local).size() == QSize(1, 1), "a blank pixel, not the file"
    assert feed_server.hits("/beacon.png") == []


def test_the_scheduled_refresh_fires_again_and_again(make_window, qtbot, feed_server):
    subscribe(
        feed_server.add(
            "/tick", body=rss("Tick", [("A story that never changes", "https://t.example.org/1")]), etag='"t"'
        )
    )
    window = make_window()
    refresher = FeedRefresher(window.context, interval_s=0.3, on_start=True, limits=QUICK)
    reports = []
    refresher.finished.connect(reports.append)
    refresher.start()
    qtbot.waitUntil(lambda: len(reports) >= 3, timeout=10_000)
    refresher.stop()
    assert reports[0].new == 1 and reports[1].new == 0
    hits = feed_server.hits("/tick")
    assert len(hits) >= 3 and hits[-1].headers.get("if-none-match") == '"t"'
    settled = len(hits)
    qtbot.wait(700)
    assert len(feed_server.hits("/tick")) == settled, "stop() ends the schedule"


def test_offline_setting_refuses_to_refresh(make_window, qtbot, feed_server):
    subscribe(
        feed_server.add("/o", body=rss("O", [("Offline means offline for sure", "https://o.example.org/1")]))
    )
    window = make_window()
    refresher = FeedRefresher(window.context, allowed=lambda: False)
    with qtbot.waitSignal(refresher.failed) as signal:
        assert refresher.refresh_now() is False
    assert "offline" in signal.args[0]
    assert feed_server.hits("/o") == []


def test_screenshot_of_the_feeds_page(make_window, qtbot, feed_server, tmp_path):
    feeds = [("Harbour Times", "World"), ("Canal Courier", "Local"), ("Atom Observer", "Science")]
    urls = [
        feed_server.add(
            f"/s{i}",
            body=rss(
                name,
                [
                    (f"{name} story {j} about the weather and the sea", f"https://s{i}.example.org/{j}")
                    for j in range(4 + i)
                ],
            ),
        )
        for i, (name, _) in enumerate(feeds)
    ]
    store = Store(app_paths().ensure().database)
    for url, (_, category) in zip(urls, feeds, strict=True):
        add_feed(store, url, category=category)
    add_feed(store, feed_server.add("/gone", status=404, body=b"gone"), title="Old Gazette", category="World")
    add_mute(store, "keyword", "celebrity")
    add_mute(store, "source", "tabloid.example")
    store.close()
    window, page = page_of(make_window, qtbot, 4)
    window.show_page("feeds") if hasattr(window, "show_page") else window.nav.setCurrentRow(
        [window.stack.widget(i) for i in range(window.stack.count())].index(page)
    )
    page.refresher.refresh_now()
    qtbot.waitUntil(lambda: "feeds checked" in page.status.text(), timeout=10_000)
    qtbot.waitUntil(lambda: any(cell(page, r, NAME) == "Harbour Times" for r in range(4)), timeout=5000)
    page.table.selectRow(next(r for r in range(4) if cell(page, r, NAME) == "Harbour Times"))
    qtbot.waitUntil(lambda: "Harbour Times story" in page.preview.toPlainText(), timeout=5000)
    image = window.grab()
    assert not image.isNull() and image.width() > 800
    target = (
        ROOT / "docs" / "screenshots" / "feeds.png"
        if os.environ.get("RIDDLEWIRE_SCREENSHOTS")
        else tmp_path / "feeds.png"
    )
    assert image.save(str(target))


def test_with_full_text_on_a_refresh_reads_the_pages_of_brief_articles(make_window, qtbot, feed_server):
    def story(name: str) -> str:
        return feed_server.add(
            f"/{name}.html",
            content_type="text/html; charset=utf-8",
            body=(
                "<html><body><nav><p>Menu items, sections and links that are not the article at "
                f"all.</p></nav><article><p>The {name} between the two islands now runs every hour, the "
                "harbour office said.</p></article></body></html>"
            ).encode(),
        )

    window = make_window()
    for name, full_text in (("ferry", False), ("barge", True)):
        feed = feed_server.add(
            f"/{name}", body=rss(name, [(f"Island {name} now runs every hour", story(name))])
        )
        window.context.store.run(add_feed, feed)  # through the window's one writer, as the Feeds page does
        window.context.settings = window.context.settings.with_value("news.full_text", full_text)
        refresher = FeedRefresher(window.context, limits=QUICK)
        with qtbot.waitSignal(refresher.finished, timeout=15_000):
            refresher.refresh_now()
        if not full_text:
            assert feed_server.hits("/ferry.html") == [], "off by default: no page is fetched"
    summaries = dict(Store(app_paths().database).db.execute("SELECT title, summary FROM articles").fetchall())
    assert summaries["Island barge now runs every hour"].startswith("The barge between the two islands")
    assert all("Menu" not in text for text in summaries.values())


def test_a_removed_feeds_preview_and_status_do_not_outlive_it(make_window, qtbot, feed_server):
    store = Store(app_paths().ensure().database)
    add_feed(store, feed_server.add("/nasa", body=rss("NASA", [])), "NASA")
    add_feed(store, feed_server.add("/esa", body=rss("ESA", [])), "ESA")
    store.close()
    window, page = page_of(make_window, qtbot, 2)
    window.show_page("feeds")
    nasa = next(r for r in range(2) if cell(page, r, NAME) == "NASA")
    page.table.selectRow(nasa)
    qtbot.waitUntil(lambda: "No stored articles from NASA" in page.preview.toPlainText(), timeout=5000)
    page.remove_selected()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: "NASA" not in page.preview.toPlainText(), timeout=5000)
    assert page.selected_feed() is None  # the selection did not slide onto the other feed
    assert "Unsubscribed from NASA" in page.status.text()
    # The status line says what just happened: it goes when the reader leaves the page...
    window.show_page("history")
    assert page.status.text() == ""
    # ...and, on a page left open, once it has stood unchanged for a while.
    window.show_page("feeds")
    page.status.setText("Subscribed to ESA.")
    window.status_expiry_s = 0.05
    window.expire_statuses()
    qtbot.wait(100)
    window.expire_statuses()
    assert page.status.text() == ""

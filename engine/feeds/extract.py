"""Local full-text extraction: for a stored article whose feed gave only a line or two, fetch its
page (same limits as a feed: timeouts, deadline, size cap, http(s) only) and keep the article's own
paragraphs as plain text, so the model has enough to riddle from. Off unless the user turns it on
("news.full_text"); it runs in the refresh's background work, never on the UI thread, and nothing
in the page is executed or loaded (the HTML is only read for its text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import httpx

from engine.errors import FeedError
from engine.feeds.fetch import fetch as fetch_page
from engine.feeds.fetch import new_client
from engine.feeds.text import one_line
from engine.progress import CancelToken, Progress, ProgressCallback

SHORT_SUMMARY_CHARS = 200  # below this a summary says too little to riddle from
MAX_PAGE_BYTES = 3 * 1024 * 1024
MAX_TEXT_CHARS = 4000
_MIN_PARAGRAPH_CHARS = 40  # shorter <p>s are captions, bylines and buttons
_SKIP = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
}
_CONTAINERS = ("article", "main")


class _Paragraphs(HTMLParser):
    """Collects the text of <p> elements, noting which sit inside <article> or <main>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[bool, str]] = []  # (inside article/main, text)
        self._skipping = self._inside = 0
        self._paragraph: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:  # noqa: ANN001 - HTMLParser's signature
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _CONTAINERS:
            self._inside += 1
        elif tag == "p" and not self._skipping:
            self._close_paragraph()
            self._paragraph = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _CONTAINERS:
            self._inside = max(0, self._inside - 1)
        elif tag == "p":
            self._close_paragraph()

    def handle_data(self, data: str) -> None:
        if self._paragraph is not None and not self._skipping:
            self._paragraph.append(data)

    def _close_paragraph(self) -> None:
        if self._paragraph is not None:
            text = one_line("".join(self._paragraph))
            if len(text) >= _MIN_PARAGRAPH_CHARS:
                self.found.append((self._inside > 0, text))
            self._paragraph = None


def article_text(html: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """The article's paragraphs as plain text: those inside <article>/<main> when the page has any,
    else every long-enough paragraph; cut at a paragraph boundary near max_chars."""
    parser = _Paragraphs()
    parser.feed(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", html[:MAX_PAGE_BYTES]))
    parser.close()
    inside = [text for is_inside, text in parser.found if is_inside]
    paragraphs = inside or [text for _inside, text in parser.found]
    kept, size = [], 0
    for text in paragraphs:
        if size + len(text) > max_chars and kept:
            break
        kept.append(text[:max_chars])
        size += len(text) + 1
    return "\n".join(kept)


@dataclass(frozen=True)
class FullTextReport:
    filled: int
    failed: tuple[tuple[str, str], ...]  # (link, sentence)


def fill_full_text(
    store,  # noqa: ANN001 - engine.store.Store or the app's StoreProxy
    limit: int = 50,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    client: httpx.Client | None = None,
) -> FullTextReport:
    """Fetch and keep the full text of stored, not yet riddled articles whose summary is short."""
    from engine.store.feeds import articles_needing_text, set_article_text

    report = progress or (lambda _p: None)
    todo = store.run(articles_needing_text, SHORT_SUMMARY_CHARS, limit)
    own = client is None
    client = client or new_client()
    filled, failed = 0, []
    try:
        for done, (article_id, link, summary) in enumerate(todo, start=1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                page = fetch_page(link, max_bytes=MAX_PAGE_BYTES, client=client, cancel=cancel)
                text = article_text(page.body.decode("utf-8", "replace"))
            except FeedError as error:
                failed.append((link, error.sentence))
                continue
            if len(text) > len(summary):
                store.run(set_article_text, article_id, text)
                filled += 1
            report(Progress("full text", done, len(todo), f"Read {done} of {len(todo)} article pages"))
    finally:
        if own:
            client.close()
    return FullTextReport(filled, tuple(failed))

"""Local full-text extraction: for a stored article whose feed gave only a line or two, fetch its
page (same limits as a feed: timeouts, deadline, size cap, http(s) only) and keep the article's own
paragraphs as plain text, so the model has enough to riddle from. Off unless the user turns it on
("news.full_text"); engine.ingest.fill_full_text fetches the pages in the refresh's background work,
never on the UI thread; this module only reads HTML it is given, for its text: nothing in the page is
executed or loaded."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from engine.articles import one_line

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

"""HTML to plain text, with nothing fetched and nothing executed: scripts, styles and iframes are
dropped whole; entities are decoded; whitespace is collapsed."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg"}
_BLOCK = {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs) -> None:  # noqa: ANN001 - HTMLParser's signature
        if tag in _DROP_WITH_CONTENT:
            self._dropping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_WITH_CONTENT:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def html_to_text(markup: str, max_chars: int = 20_000) -> str:
    """Plain text from untrusted HTML, bounded to max_chars of input and output."""
    markup = _CONTROL.sub("", markup[: max_chars * 4])
    if "<" not in markup:
        text = unescape(markup)
    else:
        collector = _TextCollector()
        collector.feed(markup)
        collector.close()
        text = "".join(collector.parts)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)[:max_chars]


def one_line(text: str) -> str:
    """Collapse all whitespace to single spaces (titles, prompt fields)."""
    return " ".join(text.split())

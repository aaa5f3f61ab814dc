"""OPML 2.0 subscription lists, the format every feed reader imports and exports. Categories are the
outline folders that hold feeds (nested folders are joined with "/")."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from engine.errors import FeedError

MAX_OPML_BYTES = 5 * 1024 * 1024
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


@dataclass(frozen=True)
class Subscription:
    url: str
    title: str = ""
    category: str = ""
    site: str = ""


def read_opml(data: bytes) -> list[Subscription]:
    """Subscriptions from OPML bytes; feeds without an xmlUrl and repeated URLs are skipped."""
    if len(data) > MAX_OPML_BYTES:
        raise FeedError("That OPML file is larger than 5 MB; it does not look like a subscription list.")
    if _ENTITY_DECLARATION.search(data[:65_536]):
        raise FeedError("That OPML file declares its own XML entities, which Riddlewire does not expand.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(f"That file is not readable OPML ({exc}).") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise FeedError("That file is XML but not OPML (it has no <opml><body>).")
    found: dict[str, Subscription] = {}
    for subscription in _walk(body, []):
        found.setdefault(subscription.url, subscription)
    return list(found.values())


def _walk(parent: ET.Element, folders: list[str]) -> list[Subscription]:
    subscriptions = []
    for outline in parent.findall("outline"):
        name = (outline.get("title") or outline.get("text") or "").strip()
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url.lower().startswith(("http://", "https://")):
            subscriptions.append(Subscription(url, name, "/".join(folders), outline.get("htmlUrl", "")))
        elif not url:
            subscriptions.extend(_walk(outline, [*folders, name] if name else folders))
    return subscriptions


def write_opml(subscriptions: list[Subscription], title: str = "Riddlewire subscriptions") -> bytes:
    """OPML 2.0 with one folder outline per category, feeds without a category at the top level."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for sub in subscriptions:
        parent = body
        if sub.category:
            if sub.category not in folders:
                folders[sub.category] = ET.SubElement(body, "outline", text=sub.category, title=sub.category)
            parent = folders[sub.category]
        attributes = {
            "type": "rss",
            "text": sub.title or sub.url,
            "title": sub.title or sub.url,
            "xmlUrl": sub.url,
        }
        if sub.site:
            attributes["htmlUrl"] = sub.site
        ET.SubElement(parent, "outline", attributes)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"

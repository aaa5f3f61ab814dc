"""Canonical links: the same story reached through different tracking links is one story."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_")
_TRACKING_NAMES = {"fbclid", "gclid", "dclid", "msclkid", "igshid", "ref", "ref_src", "cmpid", "ocid", "smid"}


def canonical_link(url: str, base: str = "") -> str:
    """Strip tracking parameters and fragments; lower-case scheme and host. Only http(s) links are
    kept: anything else (javascript:, file:, data:) becomes the empty string."""
    url = (url or "").strip()
    if not url:
        return ""
    if base and not urlsplit(url).scheme:
        from urllib.parse import urljoin

        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return ""
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_NAMES
    ]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), ""))

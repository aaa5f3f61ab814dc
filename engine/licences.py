"""Licences for the About box: Riddlewire's own, the bundled model's terms, and every installed
package Riddlewire depends on (followed through their own dependencies), with the licence text each
package ships in its metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata

from engine.paths import resource

RIDDLEWIRE_LICENCE = "\n\n".join(
    (
        "MIT License",
        "Copyright (c) Riddlewire contributors",
        "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and "
        'associated documentation files (the "Software"), to deal in the Software without restriction, '
        "including without limitation the rights to use, copy, modify, merge, publish, distribute, "
        "sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is "
        "furnished to do so, subject to the following conditions:",
        "The above copyright notice and this permission notice shall be included in all copies or "
        "substantial portions of the Software.",
        'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT '
        "NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND "
        "NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, "
        "DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT "
        "OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.",
    )
)

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_LICENCE_FILE = re.compile(r"(licen[cs]e|copying|notice|authors)", re.IGNORECASE)
MAX_TEXT = 200_000  # a package's licence files, together; some vendor dozens


@dataclass(frozen=True)
class Licence:
    name: str
    version: str
    licence: str  # the SPDX expression, the License field, or the licence classifiers
    text: str  # the licence files the package ships, or "" when it ships none
    homepage: str = ""


def own_licences() -> list[Licence]:
    """Riddlewire itself and the model that ships with it."""
    from engine import __version__

    gemma = resource("licenses", "GEMMA_TERMS.txt")
    return [
        Licence("Riddlewire", __version__, "MIT", RIDDLEWIRE_LICENCE),
        Licence(
            "Gemma 3 270M (bundled model)",
            "Q4_K_M",
            "Gemma Terms of Use",
            gemma.read_text(encoding="utf-8") if gemma.is_file() else "",
            "https://ai.google.dev/gemma/terms",
        ),
    ]


def dependency_licences(root: str = "riddlewire") -> list[Licence]:
    """Every installed distribution `root` needs (not its optional extras), sorted by name."""
    seen: dict[str, metadata.Distribution] = {}
    pending = [root]
    while pending:
        name = _canonical(pending.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform, or not installed here
        seen[name] = dist
        pending.extend(_required_names(dist))
    seen.pop(_canonical(root), None)
    return sorted((_licence(d) for d in seen.values()), key=lambda lic: lic.name.lower())


def _required_names(dist: metadata.Distribution) -> list[str]:
    names = []
    for requirement in dist.requires or ():
        if "extra ==" in requirement:
            continue
        match = _NAME.match(requirement)
        if match:
            names.append(match.group(1))
    return names


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _licence(dist: metadata.Distribution) -> Licence:
    meta = dist.metadata
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or () if c.startswith("License ::")
    ]
    field = meta.get("License-Expression") or (meta.get("License") or "").strip().splitlines()[:1]
    licence = field if isinstance(field, str) else (field[0] if field and len(field[0]) < 80 else "")
    homepage = _homepage(meta.get("Home-page") or "", meta.get_all("Project-URL") or [])
    return Licence(
        meta["Name"],
        dist.version,
        licence or ", ".join(classifiers) or "see the package",
        _licence_text(dist),
        homepage,
    )


def _homepage(home_page: str, project_urls: list[str]) -> str:
    labelled = dict(
        (label.strip().lower(), url.strip()) for label, _, url in (u.partition(",") for u in project_urls)
    )
    for label in ("homepage", "home", "source", "source code", "repository", "documentation"):
        if label in labelled:
            return labelled[label]
    return home_page or next(iter(labelled.values()), "")


def _licence_text(dist: metadata.Distribution) -> str:
    parts, size = [], 0
    for file in dist.files or ():
        if not _LICENCE_FILE.search(file.name) or file.suffix in (".py", ".pyc", ".so", ".pyi"):
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        parts.append(f"--- {file} ---\n{text.strip()}\n")
        size += len(text)
        if size > MAX_TEXT:
            break
    return "\n".join(parts)

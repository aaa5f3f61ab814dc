"""The import map has no loops between packages: if A imports B, B never imports A back, not even through
an import made inside a function (those hide a loop from Python's import machinery, not from the design).

Written with the stdlib `ast` rather than import-linter: it needs no contract file to keep in step with
the packages, and it counts imports inside functions, which is where the loops we removed used to hide.

A "part" is a subpackage (engine.feeds, engine.store, desktop.pages, ...) taken whole, or a single
top-level module (engine.active_model, desktop.welcome, ...). Loops inside one subpackage are its own
business; loops between parts fail here, with the edges that make them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "desktop")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules(root: Path) -> dict[str, Path]:
    return {
        module_name(path, root): path
        for package in PACKAGES
        for path in sorted((root / package).rglob("*.py"))
    }


def imported_names(path: Path, module: str) -> set[str]:
    """Every module named by an import anywhere in the file (top level, functions, TYPE_CHECKING)."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def part_of(module: str, modules: dict[str, Path]) -> str:
    """engine.feeds.parse -> engine.feeds; engine.active_model -> itself; engine -> engine."""
    pieces = module.split(".")
    if len(pieces) >= 3 or (len(pieces) == 2 and modules[module].name == "__init__.py"):
        return ".".join(pieces[:2])
    return module


def part_edges(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    """(importing part, imported part) -> the files that make the edge."""
    modules = all_modules(root)
    edges: dict[tuple[str, str], list[str]] = {}
    for module, path in modules.items():
        here = part_of(module, modules)
        for name in imported_names(path, module):
            if name not in modules:
                continue
            there = part_of(name, modules)
            if there != here:
                edges.setdefault((here, there), []).append(f"{module} imports {name}")
    return edges


def loops(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one part (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(group: list[str], edges: dict[tuple[str, str], list[str]]) -> str:
    members = set(group)
    lines = [" <-> ".join(group)]
    for (a, b), why in sorted(edges.items()):
        if a in members and b in members:
            lines.append(f"  {a} -> {b}: {'; '.join(sorted(why)[:3])}")
    return "\n".join(lines)


def test_no_part_imports_one_that_imports_it_back():
    edges = part_edges()
    found = loops(edges)
    assert not found, "import loops between packages:\n" + "\n".join(describe(g, edges) for g in found)


def test_no_file_imports_one_that_imports_it_back():
    """Finer than packages: no two modules import each other, through any chain, anywhere."""
    modules = all_modules(ROOT)
    edges: dict[tuple[str, str], list[str]] = {}
    for module, path in modules.items():
        for name in imported_names(path, module):
            if name in modules and name != module:
                edges.setdefault((module, name), []).append(f"{module} imports {name}")
    found = loops(edges)
    assert not found, "import loops between files:\n" + "\n".join(describe(g, edges) for g in found)


def test_the_engine_never_imports_the_desktop():
    edges = part_edges()
    upward = [why for (a, b), why in edges.items() if a.startswith("engine") and b.startswith("desktop")]
    assert not upward, upward


def test_the_check_sees_a_loop_hidden_in_a_function(tmp_path: Path):
    """The checker itself can fail: two packages that import each other, one of them inside a function."""
    for package, other in (("alpha", "beta"), ("beta", "alpha")):
        folder = tmp_path / "engine" / package
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        body = f"def later():\n    from engine.{other}.core import thing\n" if package == "alpha" else ""
        (folder / "core.py").write_text(body or f"from engine.{other} import core\nthing = 1\n")
    (tmp_path / "engine" / "__init__.py").write_text("")
    assert loops(part_edges(tmp_path)) == [["engine.alpha", "engine.beta"]]

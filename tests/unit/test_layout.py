"""The layout's promises, checked on every run so they stay true.

Dependencies point one way: nothing under ``enforcer/`` imports ``connectors`` (the registry
names connector modules as strings), connectors import only the core's model and plugin
interfaces (plus the identity classifier handed to them in ``BuildContext``), and no two
project modules import each other, directly or round a loop. Every import counts, including
those inside functions, since a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("enforcer", "connectors")
CONNECTORS_MAY_IMPORT = (
    "enforcer.model",
    "enforcer.sources.interface",
    "enforcer.actions.interface",
    "enforcer.identity",
)
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Project modules ``name`` imports, resolved to the longest known module name."""
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join([*pkg, base] if base else pkg)
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {m: _imports(m, p, known) for m, p in known.items()}


def test_the_core_imports_no_connector() -> None:
    bad = sorted(
        f"{m} -> {t}"
        for m, ts in _graph().items()
        if m.startswith("enforcer")
        for t in ts
        if t.startswith("connectors")
    )
    assert bad == []


def test_connectors_import_only_the_model_and_the_interfaces() -> None:
    bad = sorted(
        f"{m} -> {t}"
        for m, ts in _graph().items()
        if m.startswith("connectors")
        for t in ts
        if t.startswith("enforcer") and t != "enforcer" and not t.startswith(CONNECTORS_MAY_IMPORT)
    )
    assert bad == []


def test_no_import_cycles() -> None:
    graph = _graph()
    # a package's __init__ importing its own submodules is how packages work, not a cycle
    edges = {m: {t for t in ts if not m or not t.startswith(m + ".")} for m, ts in graph.items()}
    cycles = _cycles(edges)
    assert cycles == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in edges:
                    continue
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The checks above would pass vacuously if the finder were broken."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_files_stay_under_the_size_limit() -> None:
    big = sorted(
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in _modules().values()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )
    assert big == []

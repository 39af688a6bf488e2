"""The import graph has no cycle: none between apps (the layers contract in pyproject.toml allows apps of one layer
joined by ":" to import each other, so the cycle check is here) and none between the modules of one app.

Imports inside functions count too (grimp sees them): a lazy import that closes a loop is still a loop.
"""

from __future__ import annotations

from collections import defaultdict

import grimp
import pytest


def _sccs(nodes, edges) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("sinergi")


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_cycle_between_apps(graph):
    edges: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = _app(module), _app(imported)
            if a and b and a != b:
                edges[a].add(b)
    assert _sccs(sorted(edges), edges) == []


def test_no_cycle_between_the_modules_of_an_app(graph):
    by_app: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if _app(module) and _app(module) == _app(imported):
                # a package's __init__ re-exporting its modules is not a loop of behaviour
                if module.startswith(imported + ".") or imported.startswith(module + "."):
                    continue
                by_app[_app(module)][module].add(imported)
    cycles = {app: _sccs(sorted(edges), edges) for app, edges in by_app.items()}
    assert {app: c for app, c in cycles.items() if c} == {}


def test_every_task_a_service_names_is_a_task():
    """Services queue background work by the task's path (sinergi.core.background.task_at): each path resolves."""
    import re
    from pathlib import Path

    from sinergi.core.background import task_at

    root = Path(__file__).resolve().parent.parent / "sinergi"
    paths = {m for f in root.rglob("*.py") for m in re.findall(r'task_at\("([\w.]+)"\)', f.read_text())}
    assert paths
    for path in sorted(paths):
        task_at(path)

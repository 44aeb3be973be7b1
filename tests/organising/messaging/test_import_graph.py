"""Messaging's modules import each other in one direction only: no circle, not even
through an import inside a function (the way circles hide), and each module imports
alone in a fresh interpreter."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = "organising.messaging"
SOURCE = ROOT / "organising" / "messaging"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    _module_name(path): path
    for path in sorted(SOURCE.rglob("*.py"))
    if "migrations" not in path.parts
}


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    """The messaging modules an `from ... import ...` names (each imported name
    that is a module counts as that module, else the package it is taken from)."""
    if node.level:
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    targets = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        targets.append(candidate if candidate in MODULES else base)
    return [target for target in targets if target in MODULES]


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):  # function bodies too
            if isinstance(node, ast.ImportFrom):
                edges.update(_resolve(module, path, node))
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in MODULES)
        # A package's own __init__ re-exporting its modules is not a circle with
        # them: count the edges from its modules to the package only.
        graph[module] = {target for target in edges if target != module}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            # A module importing its own package's __init__ (which re-exports it)
            # is the transition described in the packages' docstrings, not a circle
            # of behaviour: skip module -> its parent package.
            if node.startswith(target + "."):
                continue
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_messaging_modules_import_in_one_direction():
    assert _cycle(import_graph()) == []


def test_the_page_store_and_the_template_tags_do_not_import_each_other():
    graph = import_graph()
    tags = f"{PACKAGE}.templatetags.messaging_tags"
    assert f"{PACKAGE}.pagecache" in graph[tags]
    assert tags not in graph[f"{PACKAGE}.pagecache"]


def test_the_graph_sees_imports_inside_functions():
    """The checker itself: a lazy import is an edge."""
    tree = ast.parse("def f():\n    from . import pagecache\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    path = MODULES[f"{PACKAGE}.broadcast"]
    assert _resolve(f"{PACKAGE}.broadcast", path, node) == [f"{PACKAGE}.pagecache"]


@pytest.mark.parametrize(
    "module",
    [
        f"{PACKAGE}.pagecache",
        f"{PACKAGE}.templatetags.messaging_tags",
        f"{PACKAGE}.broadcast",
        f"{PACKAGE}.services",
    ],
)
def test_modules_of_the_old_circles_import_first(module):
    """Once the apps are ready (their ready() imports little), each of the modules
    that used to be in a circle imports first in a fresh interpreter."""
    code = f"import django; django.setup(); import {module}"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "organising.settings", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]

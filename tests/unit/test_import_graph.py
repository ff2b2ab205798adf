"""The package's import graph, read from the source with ``ast`` (nothing is imported).

Every ``import`` / ``from ... import`` anywhere in a module is an edge, at module level or
inside a function: no cycle between the package's modules; task code (and everything else
outside ``flights_elt.embedded`` and ``flights_elt.cli``) never imports the embedded platform;
``flights_elt.cli`` imports it only inside functions; the DAG files import neither. And every
module the package names, in an import or in a string, exists (a stale name in an import
inside a function would only fail when that function runs).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "flights_elt"
SOURCE = ROOT / "include" / PACKAGE
DAGS = ROOT / "dags"
EMBEDDED = f"{PACKAGE}.embedded"
CLI = f"{PACKAGE}.cli"


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SOURCE.rglob("*.py"))}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def imports(path: Path, name: str, modules: dict[str, Path]) -> list[tuple[str, bool, int]]:
    """(imported module of the package, at module level?, line) for every import in ``path``.

    An import inside a function (or lambda) is not at module level; any other one (also under
    a module-level ``if``, ``try`` or class body) runs when the module is imported. ``from X
    import Y`` names the module ``X.Y`` when there is one, else ``X``; relative imports are
    resolved against ``name`` (the module's own package for an ``__init__``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, bool, int]] = []

    def add(target: str, node: ast.stmt, top_level: bool) -> None:
        if _within(target, PACKAGE):
            found.append((target, top_level, node.lineno))

    def visit(node: ast.AST, top_level: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node, top_level)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                add(sub if sub in modules else source, node, top_level)
        inside = top_level and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, True)
    return found


def graph() -> dict[str, list[tuple[str, bool, int]]]:
    modules = package_modules()
    return {name: imports(path, name, modules) for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: within every strongly connected group of modules, the shortest cycle
    through each of its modules (each cycle once)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges.get(v, ()):
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    found: list[list[str]] = []
    for group in groups:
        for start in group:
            cycle = _cycle_through(start, set(group), edges)[:-1]
            first = cycle.index(min(cycle))
            cycle = [*cycle[first:], *cycle[:first], min(cycle)]
            if cycle not in found:
                found.append(cycle)
    return found


def _cycle_through(start: str, members: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest cycle from ``start`` back to it through ``members``."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges.get(v, ())):
                if w == start:
                    return [*paths[v], start]
                if w in members and w not in paths:
                    paths[w] = [*paths[v], w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")


def test_the_graph_sees_the_whole_package():
    g = graph()
    assert {f"{PACKAGE}.config", f"{PACKAGE}.pipeline.tasks", f"{PACKAGE}.quality.gates", CLI} <= g.keys()
    # the task entry points import the gates inside a function: such imports count too
    assert (f"{PACKAGE}.quality.gates", False) in {(t, top) for t, top, _ in g[f"{PACKAGE}.pipeline.tasks"]}


def test_no_import_cycle():
    edges = {name: {target for target, _, _ in found if target != name} for name, found in graph().items()}
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_only_the_embedded_platform_and_the_cli_import_the_embedded_platform():
    bad = [
        f"{name}:{line} imports {target}"
        for name, found in graph().items()
        if not (_within(name, EMBEDDED) or _within(name, CLI))
        for target, _, line in found
        if _within(target, EMBEDDED)
    ]
    assert not bad, "\n".join(bad)


def test_the_cli_imports_the_embedded_platform_only_inside_functions():
    bad = [
        f"{name}:{line} imports {target} at module level"
        for name, found in graph().items()
        if _within(name, CLI)
        for target, top_level, line in found
        if top_level and _within(target, EMBEDDED)
    ]
    assert not bad, "\n".join(bad)


def test_every_import_of_the_package_names_one_of_its_modules():
    modules = package_modules()
    found = [(name, target, line) for name, imported in graph().items() for target, _, line in imported]
    for dag_file in sorted(DAGS.glob("*.py")):
        found += [(dag_file.name, target, line) for target, _, line in imports(dag_file, dag_file.stem, modules)]
    bad = [
        f"{name}:{line} imports {target}, which does not exist" for name, target, line in found if target not in modules
    ]
    assert not bad, "\n".join(bad)


def test_module_paths_named_in_strings_exist():
    """Names the package imports by string: warm_start's preload list, the stack's ``-m``
    launcher, the CLI's look-up of the stack module."""
    modules = package_modules()
    bad = [
        f"{name}:{node.lineno} names {node.value}"
        for name, path in modules.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(rf"{PACKAGE}(\.\w+)+", node.value)
        and node.value not in modules
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("dag_file", sorted(DAGS.glob("*.py")), ids=lambda p: p.name)
def test_dag_files_import_neither_the_embedded_platform_nor_the_cli(dag_file: Path):
    modules = package_modules()
    bad = [
        f"{dag_file.name}:{line} imports {target}"
        for target, _, line in imports(dag_file, dag_file.stem, modules)
        if _within(target, EMBEDDED) or _within(target, CLI)
    ]
    assert not bad, "\n".join(bad)

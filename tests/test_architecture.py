"""The import rules of docs/architecture.md, read from the source with `ast` (nothing is imported).

Every `import` counts, at module level or inside a function, except those under
`if TYPE_CHECKING:` (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("archive", "web")
WHOOSH_HOME = "archive.engine.whoosh"
# The `archive cluster` commands start and stop searchd nodes: they manage the Sphinx engine's
# processes, which is not a question of which engine holds an archive.
SPHINX_NODE_COMMANDS = {"archive.cli.cluster"}
# `archive serve` starts the web app: the command line sits on top of both.
STARTS_THE_WEB_APP = {"archive.cli.serve"}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path) -> set[str]:
    """Return every module name an import statement of this file names (and its `from` targets)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def _graph() -> dict[str, set[str]]:
    return {name: {m for m in names if m in MODULES and m != name} for name, names in IMPORTS.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return groups


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def _importers(prefix: str) -> set[str]:
    return {name for name, names in IMPORTS.items()
            if any(m == prefix or m.startswith(prefix + ".") for m in names)}


def test_only_the_whoosh_engine_imports_whoosh():
    outside = {m for m in _importers("whoosh") if not (m == WHOOSH_HOME or m.startswith(WHOOSH_HOME + "."))}
    assert outside == set()


@pytest.mark.parametrize("engine", ["archive.engine.whoosh", "archive.engine.sphinx"])
def test_nothing_outside_the_engine_reaches_into_one_engine(engine):
    outside = {m for m in _importers(engine) if not m.startswith("archive.engine")}
    assert outside - SPHINX_NODE_COMMANDS == set()


def test_the_library_never_imports_the_web_app():
    assert {m for m in _importers("web") if m.startswith("archive")} - STARTS_THE_WEB_APP == set()


def test_no_engine_type_branches_outside_the_engine():
    branches = []
    for name, path in MODULES.items():
        if name.startswith("archive.engine"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance":
                text = ast.unparse(node)
                if "Engine" in text:
                    branches.append(f"{name}: {text}")
            if isinstance(node, ast.Compare):
                text = ast.unparse(node)
                if ".engine" in text and ("'whoosh'" in text or "'sphinx'" in text):
                    branches.append(f"{name}: {text}")
    assert branches == []

"""The packages of warehouse_orgs keep their layers: no import circle between them, and only the
entry points import the app assembly.

The import graph is read from the source with ``ast``, not by importing anything. Imports under
``if TYPE_CHECKING:`` are left out: they exist for type hints and never run.
"""

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

import warehouse_orgs

PACKAGE = "warehouse_orgs"
ROOT = Path(warehouse_orgs.__file__).parent
# The processes that start the app: they alone assemble it.
ENTRY_POINTS = ("cli", "wsgi", "worker")
APP_ASSEMBLY = f"{PACKAGE}.config"


@dataclasses.dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    module_level: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, *, in_function: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Every import statement below ``node``, and whether it runs when the module loads."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            # The ``else`` branch of ``if TYPE_CHECKING`` does run.
            for statement in child.orelse:
                yield from _walk_statement(statement, in_function=in_function)
            continue
        yield from _walk_statement(child, in_function=in_function)


def _walk_statement(node: ast.AST, *, in_function: bool) -> Iterator[tuple[ast.AST, bool]]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node, not in_function
        return
    nested = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
    yield from _walk(node, in_function=nested)


def _resolve(importer: str, is_package: bool, node: ast.AST, modules: set[str]) -> list[str]:
    """The warehouse_orgs modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = importer.split(".") if is_package else importer.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    if source.split(".")[0] != PACKAGE:
        return []
    # ``from package import submodule`` loads the submodule too.
    return [source] + [
        f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in modules
    ]


def import_graph() -> list[Import]:
    modules = all_modules()
    imports = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, module_level in _walk(tree, in_function=False):
            for imported in _resolve(name, path.name == "__init__.py", node, set(modules)):
                imports.append(Import(name, imported, node.lineno, module_level))
    return imports


def top_level(module: str) -> str:
    """The package or module directly under warehouse_orgs a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else PACKAGE


def cycles_between_top_levels(imports: list[Import]) -> list[list[str]]:
    """One circle through each group of top-level packages that import each other, each as the
    module-level import lines that make it up."""
    edges: dict[str, dict[str, Import]] = {}
    for found in imports:
        source, target = top_level(found.importer), top_level(found.imported)
        if found.module_level and source != target and PACKAGE not in (source, target):
            edges.setdefault(source, {}).setdefault(target, found)
    circles = []
    for group in _strongly_connected(edges):
        if len(group) > 1:
            circles.append(_describe(_circle_within(group, edges), edges))
    return sorted(circles)


def _strongly_connected(edges: dict[str, dict[str, Import]]) -> list[set[str]]:
    # Tarjan's algorithm; the graph has a few dozen nodes, so recursion depth is no concern.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            groups.append(group)

    nodes = set(edges) | {target for targets in edges.values() for target in targets}
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return groups


def _circle_within(group: set[str], edges: dict[str, dict[str, Import]]) -> list[str]:
    """The shortest circle through the group's first member, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(edges.get(node, {})):
            if target == start:
                return paths[node]
            if target in group and target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    raise AssertionError(f"no circle through {start}")


def _describe(circle: list[str], edges: dict[str, dict[str, Import]]) -> list[str]:
    steps = []
    for source, target in zip(circle, [*circle[1:], circle[0]], strict=True):
        found = edges[source][target]
        steps.append(f"{source} -> {target} ({found.importer} line {found.line})")
    return steps


def test_the_graph_sees_the_package():
    imports = import_graph()
    importers = {found.importer for found in imports}
    # A graph that missed most modules would find no circles and prove nothing.
    assert len(importers) > len(all_modules()) // 2
    assert any(top_level(found.imported) == "organizations" for found in imports)


def test_no_import_circle_between_top_level_packages():
    circles = cycles_between_top_levels(import_graph())
    assert not circles, "import circles:\n" + "\n\n".join("\n".join(c) for c in circles)


def test_a_circle_is_found_and_told_step_by_step():
    imports = [
        Import("warehouse_orgs.accounts.views", "warehouse_orgs.manage.forms", 3, True),
        Import("warehouse_orgs.manage.forms", "warehouse_orgs.accounts.models", 7, True),
        Import("warehouse_orgs.db", "warehouse_orgs.events", 1, False),
        Import("warehouse_orgs.events", "warehouse_orgs.db", 1, True),
    ]
    assert cycles_between_top_levels(imports) == [
        [
            "accounts -> manage (warehouse_orgs.accounts.views line 3)",
            "manage -> accounts (warehouse_orgs.manage.forms line 7)",
        ]
    ]


def test_only_the_entry_points_import_the_app_assembly():
    importers = sorted(
        f"{found.importer} line {found.line}"
        for found in import_graph()
        if (found.imported == APP_ASSEMBLY or found.imported.startswith(f"{APP_ASSEMBLY}."))
        and top_level(found.importer) not in ENTRY_POINTS
        and found.importer != APP_ASSEMBLY
    )
    assert not importers, f"{APP_ASSEMBLY} is imported outside the entry points: {importers}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import warehouse_orgs.db\n", ["warehouse_orgs.db"]),
        ("from warehouse_orgs import config\n", ["warehouse_orgs", "warehouse_orgs.config"]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import warehouse_orgs.db\n", []),
        ("def f():\n    import warehouse_orgs.db\n", ["warehouse_orgs.db (in a function)"]),
        ("import os\n", []),
    ],
)
def test_the_reader_understands_import_forms(source, expected):
    modules = set(all_modules())
    found = []
    for node, module_level in _walk(ast.parse(source), in_function=False):
        for imported in _resolve("warehouse_orgs.example", False, node, modules):
            found.append(imported if module_level else f"{imported} (in a function)")
    assert found == expected

"""The simulator's modules import one way only, and never the integration under test.

Every import counts: at module level, under ``if TYPE_CHECKING:``, inside functions, relative or
absolute. A circle hidden behind ``TYPE_CHECKING`` is still a circle for whoever reads the code.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "simulator"
SIMULATOR = Path(__file__).resolve().parents[2] / PACKAGE
FORBIDDEN = "custom_components"


def module_name(path: Path, root: Path) -> str:
    """``simulator/graph.py`` -> ``simulator.graph``; ``__init__.py`` is the package itself."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.AST, package: str, modules: set[str]) -> list[str]:
    """The modules one import statement names (a ``from pkg import mod`` names the module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module or ""
    named = [f"{source}.{alias.name}" for alias in node.names]
    submodules = [name for name in named if name in modules]
    return submodules or [source]


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> every module it imports (anything, not only the package's own)."""
    files = sorted(root.rglob("*.py"))
    modules = {module_name(path, root) for path in files}
    graph: dict[str, set[str]] = {}
    for path in files:
        name = module_name(path, root)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[name] = {
            target for node in ast.walk(tree) for target in _targets(node, package, modules)
        }
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle among the graph's own modules, as a path that ends where it began."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done or name not in graph:
            return None
        for target in sorted(graph[name]):
            found = visit(target, [*path, name])
            if found:
                return found
        done.add(name)
        return None

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle:
            return cycle
    return None


def test_no_import_circle() -> None:
    cycle = find_cycle(import_graph(SIMULATOR))
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_simulator_never_imports_the_integration() -> None:
    offenders = {
        module: sorted(t for t in targets if t.split(".")[0] == FORBIDDEN)
        for module, targets in import_graph(SIMULATOR).items()
    }
    assert {m: t for m, t in offenders.items() if t} == {}


def test_only_core_imports_the_route_modules() -> None:
    graph = import_graph(SIMULATOR)
    routes = {f"{PACKAGE}.{name}" for name in ("chat", "control", "graph")}
    importers = {module for module, targets in graph.items() if targets & routes}
    assert importers == {f"{PACKAGE}.core"}


def test_the_graph_side_imports_no_upper_layer() -> None:
    """GraphApi works from the world and the settings: no webhook, page, control or core."""
    graph = import_graph(SIMULATOR)
    upper = {f"{PACKAGE}.{name}" for name in ("webhook", "chat", "chat_model", "control", "core")}
    upper |= {f"{PACKAGE}.{name}" for name in ("people", "serialize", "api", "transcript")}
    graph_side = [module for module in graph if module.startswith(f"{PACKAGE}.graph")]
    assert len(graph_side) > 5
    assert {
        module: sorted(graph[module] & upper) for module in graph_side if graph[module] & upper
    } == {}


def test_the_checker_sees_hidden_circles(tmp_path: Path) -> None:
    """A circle through ``TYPE_CHECKING`` and one through a function-level import are found."""
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from . import b\n")
    (root / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import thing\n"
    )
    (root / "c.py").write_text("def f():\n    import pkg.a\n")
    assert find_cycle(import_graph(root)) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    (root / "c.py").write_text("def f():\n    from pkg import d\n")
    assert find_cycle(import_graph(root)) is None

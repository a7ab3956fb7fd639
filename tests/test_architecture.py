"""The layering, read from the source: no import circle, a Home-Assistant-free library, one way.

Every import counts: at the top of a module, inside `if TYPE_CHECKING:` and inside functions (a
circle hidden from the interpreter is still a circle for a reader and for mypy).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = "custom_components.facebook"
LIBRARY = f"{INTEGRATION}.messenger"
SIMULATOR = "simulator"

# Inside the library, layers go downward only (a module imports from lower layers, never from
# its own or a higher one).
LIBRARY_LAYERS = [
    ["const", "coerce", "backoff", "bounded", "pacing", "turns", "answers"],
    ["errors", "models"],
    ["checks"],
    ["images"],
    ["builder", "recipients", "audience", "outbox", "webhook", "mime"],
    ["client"],
    ["accounts", "templates", "profile"],
    ["fanout", "conversations"],
    ["__init__"],
]
# The Home Assistant glue, bottom to top.
GLUE_LAYERS = [
    ["const"],
    ["store", "log_filter", "issues", "background"],
    ["events", "webhook_auth", "redelivery"],
    ["webhook_state"],
    [
        "window_watch",
        "outbox_runner",
        "media",
        "keepalive",
        "utility",
        "profile_sync",
        "assist",
        "asks",
    ],
    ["attachments", "voice"],
    ["inbound_media", "grid"],
    ["runtime"],
    ["sending", "expiry", "identity", "people_names"],
    ["page", "get_my_id", "ask_service"],
    ["router"],
    ["schema", "entity"],
    ["yaml_import", "webhook", "webhook_health"],
    ["notify", "event", "image", "sensor", "binary_sensor", "diagnostics", "config_flow"],
    ["__init__"],
]
FORBIDDEN_IN_LIBRARY = ("homeassistant", "voluptuous", "probatio", "custom_components")


@dataclass
class Module:
    """One source file: its dotted name and what it imports."""

    name: str
    path: Path
    internal: set[str] = field(default_factory=set)  # modules of the analysed packages
    external: set[str] = field(default_factory=set)  # everything else, as imported


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: Module) -> str:
    return module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]


def imported_names(module: Module, tree: ast.Module, known: Iterable[str]) -> Iterable[str]:
    """Every module an import statement anywhere in the file refers to (`from pkg import name`
    is the submodule `pkg.name` when there is one, else `pkg` itself)."""
    known = set(known)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = package_of(module).split(".")
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in known else base


def load(roots: Iterable[str]) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for root in roots:
        for path in sorted((ROOT / root.replace(".", "/")).rglob("*.py")):
            modules[module_name(path)] = Module(module_name(path), path)
    for module in modules.values():
        tree = ast.parse(module.path.read_text(encoding="utf-8"))
        for name in imported_names(module, tree, modules):
            if name in modules:
                if name != module.name:
                    module.internal.add(name)
            elif not any(name.startswith(f"{m}.") for m in modules):
                module.external.add(name)
    return modules


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


MODULES = load([INTEGRATION, SIMULATOR])


def graph_of(prefix: str) -> dict[str, set[str]]:
    return {
        name: {target for target in module.internal if target.startswith(prefix)}
        for name, module in MODULES.items()
        if name.startswith(prefix)
    }


def test_the_cycle_finder_finds_a_planted_circle() -> None:
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(planted) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("prefix", [INTEGRATION, SIMULATOR])
def test_no_import_circle(prefix: str) -> None:
    assert cycles(graph_of(prefix)) == []


def test_the_library_imports_only_the_standard_library_aiohttp_and_itself() -> None:
    problems = []
    for name, module in MODULES.items():
        if not (name == LIBRARY or name.startswith(f"{LIBRARY}.")):
            continue
        outside = {t for t in module.internal if not t.startswith(LIBRARY)}
        banned = {e for e in module.external if e.split(".")[0] in FORBIDDEN_IN_LIBRARY}
        if outside or banned:
            problems.append(f"{name}: {sorted(outside | banned)}")
    assert problems == []


def test_the_simulator_imports_nothing_of_the_integration() -> None:
    problems = [
        f"{name}: {sorted(m.internal | m.external)}"
        for name, m in MODULES.items()
        if name.startswith(SIMULATOR)
        and any(t.startswith("custom_components") for t in m.internal | m.external)
    ]
    assert problems == []


def layer_problems(package: str, layers: list[list[str]]) -> list[str]:
    rank = {
        f"{package}.{m}" if m != "__init__" else package: i
        for i, ms in enumerate(layers)
        for m in ms
    }
    problems = []
    for name, module in MODULES.items():
        if name not in rank:
            continue
        for target in module.internal:
            if target in rank and rank[target] >= rank[name]:
                problems.append(f"{name} -> {target}")
    return problems


def test_every_module_has_its_layer() -> None:
    library = {
        f"{LIBRARY}.{m}" if m != "__init__" else LIBRARY for ms in LIBRARY_LAYERS for m in ms
    }
    glue = {
        f"{INTEGRATION}.{m}" if m != "__init__" else INTEGRATION for ms in GLUE_LAYERS for m in ms
    }
    ours = {name for name in MODULES if name.startswith(INTEGRATION)}
    assert ours - library - glue == set()  # a new module gets a place in the list above
    assert (library | glue) - ours == set()  # no stale names either


@pytest.mark.parametrize(
    ("package", "layers"), [(LIBRARY, LIBRARY_LAYERS), (INTEGRATION, GLUE_LAYERS)]
)
def test_imports_go_downward_only(package: str, layers: list[list[str]]) -> None:
    assert layer_problems(package, layers) == []


def calls_of(attribute: str) -> set[str]:
    """The modules of the integration that call `<something>.<attribute>(...)`."""
    found = set()
    for name, module in MODULES.items():
        if not name.startswith(INTEGRATION):
            continue
        for node in ast.walk(ast.parse(module.path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == attribute
            ):
                found.add(name)
    return found


def test_only_events_fires_events_and_only_the_root_registers_the_view() -> None:
    assert calls_of("async_fire") == {f"{INTEGRATION}.events"}
    assert calls_of("register_view") == {INTEGRATION}


def test_the_glue_imports_the_library_only_through_its_public_names() -> None:
    problems = [
        f"{name} -> {target}"
        for name, module in MODULES.items()
        if name.startswith(INTEGRATION) and not name.startswith(LIBRARY)
        for target in module.internal
        if target.startswith(f"{LIBRARY}.")
    ]
    assert problems == []


PLATFORM_MODULES = ("notify", "event", "sensor", "binary_sensor", "diagnostics", "entity")


@pytest.mark.parametrize("platform", PLATFORM_MODULES)
def test_no_platform_takes_a_bare_config_entry(platform: str) -> None:
    """Every platform is typed with the page's entry (`FacebookConfigEntry`), never a bare one,
    and never guesses whether `runtime_data` is there."""
    module = MODULES[f"{INTEGRATION}.{platform}"]
    source = module.path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    annotations = [
        ast.unparse(node.annotation)
        for node in ast.walk(tree)
        if isinstance(node, ast.arg) and node.annotation is not None
    ]
    assert "ConfigEntry" not in annotations
    assert "getattr(entry, 'runtime_data'" not in source.replace('"', "'")
    assert "FacebookConfigEntry" in annotations or platform == "entity"

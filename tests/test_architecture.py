"""The layout's promises, checked on the source: core's import graph has no cycle, core never imports
streamlit, lower layers never import higher ones, and pages stay thin.

The graph is built with ``ast`` from every ``import`` statement in ``core/``, including those inside
functions (a lazy import is still a dependency), so a cycle cannot hide behind one.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"

# Layers, lowest first: a module may import its own layer and the layers before it, never after.
PLUMBING = {"core", "core.errors", "core.config", "core.seeding"}
LAYERS = [
    ("plumbing", lambda m: m in PLUMBING),
    ("data", lambda m: m == "core.data" or m.startswith("core.data.")),
    ("cli", lambda m: m.startswith("core.cli") or m == "core.__main__"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module named by an import in ``path``, absolute, including imports inside functions."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            # `from core.augment import wordnet` imports the submodule core.augment.wordnet
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def core_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in CORE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        graph[name] = {m for m in imports_of(path) if m in modules and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a list of modules (first == last), or None; iterative DFS with three colours."""
    colour = dict.fromkeys(graph, 0)  # 0 new, 1 on the stack, 2 done
    for start in sorted(graph):
        if colour[start]:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour[child] == 1:
                return [*path[path.index(child) :], child]
            elif colour[child] == 0:
                colour[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
    return None


@pytest.mark.parametrize(
    "graph, has_cycle",
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),  # a chain
        ({"a": {"b"}, "b": {"a"}}, True),  # two modules importing each other
        ({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}, False),  # a diamond is no cycle
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, True),  # a longer loop
        ({"a": {"a"}}, True),  # a module importing itself
    ],
)
def test_cycle_finder_on_known_graphs(graph: dict[str, set[str]], has_cycle: bool) -> None:
    cycle = find_cycle(graph)
    assert (cycle is not None) == has_cycle
    if cycle:
        assert cycle[0] == cycle[-1]
        assert all(b in graph[a] for a, b in itertools.pairwise(cycle))


def test_core_import_graph_has_no_cycle() -> None:
    graph = core_graph()
    assert len(graph) > 20  # the walk found the package
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_core_never_imports_streamlit() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in CORE.rglob("*.py")
        if any(m == "streamlit" or m.startswith("streamlit.") for m in imports_of(path))
    ]
    assert offenders == []


def layer(module: str) -> int | None:
    for index, (_, member) in enumerate(LAYERS):
        if member(module):
            return index
    return None


def test_lower_layers_never_import_higher_ones() -> None:
    """Plumbing imports only plumbing; data only plumbing and data; nothing but the CLI imports the CLI."""
    wrong = []
    for module, targets in core_graph().items():
        mine = layer(module)
        for target in targets:
            theirs = layer(target)
            into_cli = target.startswith("core.cli") and layer(module) != 2
            upward = mine is not None and mine < 2 and (theirs is None or theirs > mine)
            if into_cli or upward:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_pages_are_thin() -> None:
    """A page is widgets -> config -> one core call -> display; past 200 lines it holds two concerns."""
    long = {p.name: n for p in (ROOT / "pages").glob("*.py") if (n := len(p.read_text().splitlines())) > 200}
    assert long == {}


SCALE_EXTRA = ("ray", "datasets", "pyarrow")  # `auglab[scale]`: the sharded exports only


def top_level_imports(path: Path) -> set[str]:
    """Modules imported when ``path`` is imported: its statements outside any function."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue  # runs when called, not when imported
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add(node.module or "")
        stack.extend(ast.iter_child_nodes(node))
    return found


def test_the_scale_extra_is_imported_lazily_and_never_by_the_app() -> None:
    """Ray, ``datasets`` and pyarrow are an optional extra: core imports them inside functions only,
    and the pages and ui/ not at all (the app and the zip export run without them)."""
    app = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in [*CORE.rglob("*.py"), *app]
        for module in (imports_of(path) if path in app else top_level_imports(path))
        if module.split(".")[0] in SCALE_EXTRA
    ]
    assert wrong == []

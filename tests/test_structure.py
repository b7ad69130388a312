"""The project's layout as a layered whole: no import cycle between top-level folders.

Every import counts, also those inside functions and under ``TYPE_CHECKING``: a lazy import is
still a dependency, and a cycle through one is what made ``safetynet/`` (the CLI) and the features
it registers impossible to change apart. The CLI is the top layer: nothing imports it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: not part of the shipped layers: they may import anything and nothing imports them
OUTSIDE = {"tests", "benchmarks"}


def top_level_packages() -> set[str]:
    return {
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and (p / "__init__.py").is_file() and p.name not in OUTSIDE
    }


def import_edges() -> dict[tuple[str, str], list[str]]:
    """(importing folder, imported folder) -> where ("file:line"), for every cross-folder import."""
    packages = top_level_packages()
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for package in sorted(packages):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    target = name.split(".")[0]
                    if target in packages and target != package:
                        edges[(package, target)].append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return edges


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_between_top_level_folders() -> None:
    edges = import_edges()
    graph: dict[str, set[str]] = defaultdict(set)
    for src, dst in edges:
        graph[src].add(dst)
    cycle = find_cycle(graph)
    if cycle:
        where = [
            f"{a} -> {b}: {', '.join(edges[(a, b)][:3])}" for a, b in zip(cycle, cycle[1:], strict=False)
        ]
        raise AssertionError("import cycle between top-level folders:\n" + "\n".join(where))


def test_the_cli_is_the_top_layer() -> None:
    users = sorted({src for src, dst in import_edges() if dst == "safetynet"})
    assert users == [], f"only the CLI imports the CLI; imported by: {users}"


def test_settings_is_the_bottom_layer() -> None:
    imported = sorted({dst for src, dst in import_edges() if src == "settings"})
    assert imported == [], f"settings imports nothing of the project; imports: {imported}"


def test_test_modules_do_not_import_each_other() -> None:
    """Shared data and fixtures live in conftest.py or fixture modules, never in another test module."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                last = node.module.split(".")[-1]
                if last.startswith("test_"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}")
    assert found == []

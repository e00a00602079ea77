"""The package's import rules, read from the source (ast), so a lazy import inside a function counts:

* no import cycle between modules, nor between packages (``lib.tws`` <-> ``lib.ingest`` was one);
* ``lib/`` and ``sim/`` import no Dagster;
* ``sim/`` imports nothing from ``lib/`` (the simulator stands apart from the analyser); what both
  share (value types, process utilities) is in ``common/``, which imports neither.

An edge goes from a module to the module it names (``from a.b import c`` names ``a.b.c`` when that is
a module, else ``a.b``); the implicit import of a parent package's ``__init__`` is not an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "resync_assets"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, anywhere in its body (third-party ones by their top name)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.add(full if full in MODULES else target)
    return out


GRAPH = {name: {m for m in _imports(name, path)} for name, path in MODULES.items()}


def _internal(targets: set[str]) -> set[str]:
    return {t for t in targets if t in MODULES}


def _package(module: str) -> str:
    return module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (a path that comes back to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_walk_sees_lazy_imports_and_the_whole_package():
    assert len(MODULES) > 80 and "resync_assets.sim.server" in MODULES
    # cli/ingest.py imports the ingest runner inside its handler only.
    assert "resync_assets.lib.ingest" in GRAPH["resync_assets.cli.ingest"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_between_modules():
    graph = {name: _internal(targets) - {name} for name, targets in GRAPH.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        mine = _package(name)
        graph.setdefault(mine, set()).update(
            _package(t)
            for t in _internal(targets)
            if _package(t) != mine and not mine.startswith(_package(t) + ".")
        )
    return graph


def test_no_import_cycle_between_packages():
    graph = _package_graph()
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


@pytest.mark.parametrize("folder", ["lib", "sim"])
def test_no_dagster_in(folder):
    offenders = {
        name: sorted(t for t in targets if t.split(".")[0] in ("dagster", "dagster_dbt", "dagster_dlt"))
        for name, targets in GRAPH.items()
        if name.startswith(f"{PACKAGE}.{folder}.") or name == f"{PACKAGE}.{folder}"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _sim_imports_of_lib() -> dict[str, list[str]]:
    found = {
        name: sorted(t for t in targets if t == f"{PACKAGE}.lib" or t.startswith(f"{PACKAGE}.lib."))
        for name, targets in GRAPH.items()
        if name.startswith(f"{PACKAGE}.sim.")
    }
    return {k: v for k, v in found.items() if v}


def test_sim_imports_nothing_from_lib():
    assert _sim_imports_of_lib() == {}


def test_common_imports_neither_lib_nor_sim():
    # `common/` holds what lib/ and sim/ share (value types, process utilities): it stays a leaf.
    found = {
        name: sorted(
            t for t in targets if t.startswith((f"{PACKAGE}.lib", f"{PACKAGE}.sim", f"{PACKAGE}.defs"))
        )
        for name, targets in GRAPH.items()
        if name.startswith(f"{PACKAGE}.common")
    }
    assert {k: v for k, v in found.items() if v} == {}
    assert f"{PACKAGE}.common.host_metrics" in GRAPH

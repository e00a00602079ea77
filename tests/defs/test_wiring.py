"""`defs/` is wiring: shared keys and the writer pool declared once, resources bound in one module."""

import ast
from pathlib import Path

import dagster as dg

from resync_assets.defs import keys
from resync_assets.lib.ingest.source import TWS_TABLES as SOURCE_TABLES

DEFS = Path(__file__).resolve().parents[2] / "resync_assets" / "defs"


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name
    ]


def _modules():
    for path in sorted(DEFS.rglob("*.py")):
        yield path.relative_to(DEFS).as_posix(), ast.parse(path.read_text())


def test_asset_keys_are_spelled_only_in_keys_module_and_dbt_translator():
    spelled = {rel for rel, tree in _modules() if _calls(tree, "AssetKey")}
    # The dbt translator keys each model by its dbt name; every other key comes from defs/keys.py.
    assert spelled <= {"keys.py", "transform/dbt.py"}, spelled


def test_the_writer_pool_name_is_written_once():
    literal = [
        rel
        for rel, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value == "duckdb_writer"
    ]
    assert literal == ["keys.py"]
    assert keys.DUCKDB_WRITER_POOL == "duckdb_writer"


def test_resources_are_bound_in_resources_module_only():
    binders = {
        rel
        for rel, tree in _modules()
        for call in _calls(tree, "Definitions")
        if any(kw.arg == "resources" for kw in call.keywords)
    }
    assert binders == {"resources.py"}


def test_keys_name_the_tables_the_source_loads_and_the_defined_assets():
    from resync_assets.definitions import defs as load

    assert set(keys.TWS_TABLES) == set(SOURCE_TABLES)
    graph = load().get_repository_def().asset_graph
    declared = [v for v in vars(keys).values() if isinstance(v, dg.AssetKey)]
    declared += list(keys.TWS_RAW_KEYS)
    missing = {k.to_user_string() for k in declared} - {
        k.to_user_string() for k in graph.get_all_asset_keys()
    }
    assert not missing, f"keys.py names assets nobody defines: {missing}"

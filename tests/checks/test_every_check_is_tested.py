"""Every asset check in the Definitions has a test that makes it fail and one that makes it pass, and
none reports a plain pass on an empty warehouse.

A test registers itself with `@pytest.mark.check_fails("<check name>")` or
`@pytest.mark.check_passes("<check name>")` (also inside `pytest.param(..., marks=...)` or a module's
`pytestmark`). The registry is read from the source of `tests/` (not from the tests collected in this
session), so running this file alone gives the same answer as the whole suite. dbt's data tests,
which Dagster also shows as checks, are dbt's own (see `tests/transform/`).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from resync_assets.defs.checks import is_nothing_to_judge
from resync_assets.defs.resources import LakehouseResource, TwsResource, WarehouseReaderResource
from tests.conftest import SIM_PASSWORD, SIM_USER

TESTS = Path(__file__).resolve().parents[1]
MARKERS = ("check_fails", "check_passes")


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from resync_assets.definitions import defs as load

    return load()


def custom_check_keys(defs: dg.Definitions) -> set[dg.AssetCheckKey]:
    """Every check key in the Definitions except those dagster-dbt made from dbt tests."""
    keys = {key for checks in defs.asset_checks for key in checks.check_keys}
    for asset in defs.assets or []:
        if isinstance(asset, dg.AssetsDefinition):
            keys |= {s.key for s in asset.check_specs if "dagster_dbt/unique_id" not in (s.metadata or {})}
    return keys


def registered_tests() -> dict[str, dict[str, set[str]]]:
    """{marker: {check name: {"file::test", ...}}} found in the source of tests/."""
    found: dict[str, dict[str, set[str]]] = {m: defaultdict(set) for m in MARKERS}
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
                continue
            where = f"{path.relative_to(TESTS)}::{getattr(node, 'name', '<module>')}"
            targets = node.decorator_list if not isinstance(node, ast.Module) else node.body
            for target in targets:
                for call in ast.walk(target):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Attribute)
                        and call.func.attr in MARKERS
                        and isinstance(call.func.value, ast.Attribute)
                        and call.func.value.attr == "mark"
                    ):
                        assert call.args and isinstance(call.args[0], ast.Constant), (
                            f"{where}: name the check"
                        )
                        found[call.func.attr][call.args[0].value].add(where)
    return found


def test_the_registry_reader_finds_markers_on_functions_params_and_modules(tmp_path):
    source = (
        "import pytest\n"
        "pytestmark = pytest.mark.check_passes('a')\n"
        "@pytest.mark.check_fails('b')\n"
        "def test_x(): pass\n"
        "@pytest.mark.parametrize('v', [pytest.param(1, marks=pytest.mark.check_fails('c'))])\n"
        "def test_y(v): pass\n"
    )
    tree = ast.parse(source)
    names = {
        (c.func.attr, c.args[0].value)
        for c in ast.walk(tree)
        if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr in MARKERS
    }
    assert names == {("check_passes", "a"), ("check_fails", "b"), ("check_fails", "c")}
    registry = registered_tests()
    assert "tests" not in registry["check_fails"]  # names are check names, not paths
    assert any("test_asset_checks.py::" in t for t in registry["check_fails"]["job_runs_have_unique_run_ids"])


def test_every_asset_check_has_a_failing_and_a_passing_test(defs):
    names = {key.name for key in custom_check_keys(defs)}
    assert {
        "job_runs_have_unique_run_ids",
        "incident_confidence_is_calibrated",
        "job_runs_freshness",
    } <= names
    registry = registered_tests()
    missing = {
        name: [m for m in MARKERS if not registry[m].get(name)]
        for name in sorted(names)
        if any(not registry[m].get(name) for m in MARKERS)
    }
    assert not missing, f"asset checks without a failing and a passing test (mark them {MARKERS}): {missing}"
    unknown = {name for m in MARKERS for name in registry[m]} - names
    assert not unknown, f"markers name checks that are not in the Definitions: {sorted(unknown)}"


def run_every_check(defs, resources) -> tuple[dg.ExecuteInProcessResult, list[dg.AssetCheckEvaluation]]:
    """Evaluate every custom check (not dbt's) in one run, without materializing any asset."""
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=dg.AssetSelection.checks(*custom_check_keys(defs)),
            resources=resources,
            instance=instance,
            raise_on_error=False,
        )
    return result, result.get_asset_check_evaluations()


@pytest.mark.parametrize("state", ["no file", "no tables"])
def test_on_an_empty_warehouse_no_check_reports_a_plain_pass(defs, simulator, tmp_path, state):
    warehouse = tmp_path / "warehouse.duckdb"
    if state == "no tables":
        duckdb.connect(str(warehouse)).close()
    resources = {
        **defs.resources,
        "tws": TwsResource(base_url=simulator.base_url, user=SIM_USER, password=SIM_PASSWORD, token=""),
        "lakehouse": LakehouseResource(
            warehouse_path=str(warehouse), lake_dir=str(tmp_path / "lake"), pipelines_dir=str(tmp_path / "p")
        ),
        "duckdb": WarehouseReaderResource(database=str(warehouse)),
    }
    result, evaluations = run_every_check(defs, resources)
    assert not [e.check_name for e in evaluations if e.passed], "a plain pass with nothing to judge"
    if state == "no tables":
        # Every check reports (none errors out or is skipped), and says why it did not pass: nothing
        # to judge (a warning with its reason) or a failure with a description (the health check
        # warns "no ingestion has completed", and its severity follows this machine's load).
        assert {e.asset_check_key for e in evaluations} == custom_check_keys(defs)
        for e in evaluations:
            assert is_nothing_to_judge(e) or e.description, e.check_name
    else:
        # No warehouse at all: a check that reads it fails its step at once with a clear error.
        errors = [
            e.step_failure_data.error.cause.message
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.STEP_FAILURE and e.step_failure_data.error.cause
        ]
        assert errors and all("does not exist" in m for m in errors), errors

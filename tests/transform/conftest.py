"""Fixtures for the dbt tests: raw warehouses built from the contract, and a dbt runner.

Each dbt invocation gets its own target and log folders so parallel tests never share dbt's
working files; the project's own `target/manifest.json` is only written by `dbt parse`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from benchmarks.dbt_build import DBT_PROJECT_DIR, generate_raw
from tests.transform.raw_rows import insert_edge_cases

DBT = Path(sys.executable).with_name("dbt")


def run_dbt(args: list[str], warehouse: Path, work_dir: Path) -> dict:
    """Run `dbt <args>` on `warehouse`; return run_results.json. Fails the test with dbt's output."""
    target = work_dir / "target"
    env = {**os.environ, "RESYNC_WAREHOUSE_PATH": str(Path(warehouse).resolve())}
    result = subprocess.run(
        [str(DBT), *args, "--target-path", str(target), "--log-path", str(work_dir / "logs")],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"dbt {' '.join(args)} failed:\n{result.stdout[-8000:]}\n{result.stderr[-2000:]}")
    return json.loads((target / "run_results.json").read_text())


def build_raw_warehouse(path: Path, runs: int = 3000) -> Path:
    """A warehouse with synthetic raw tables (`runs` runs of 30 daily jobs from 2026-01-01, so 100 days
    for the default, past the March DST change) plus the edge cases."""
    with duckdb.connect(str(path)) as con:
        generate_raw(con, runs, jobs=30, workstations=6, start="2026-01-01 00:00:00+00", metric_minutes=30)
        insert_edge_cases(con)
    return path


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> tuple[Path, dict]:
    """A raw warehouse after a full `dbt build` (unit tests, models, data tests) and its run results."""
    root = tmp_path_factory.mktemp("dbt_built")
    warehouse = build_raw_warehouse(root / "warehouse.duckdb")
    results = run_dbt(["build"], warehouse, root)
    return warehouse, results


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    """Rows of `sql` on `warehouse`, read-only."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()

"""dbt's own tests catch what generic tests miss on empty or degraded data: a mart emptied while its
source has rows (`has_rows_when`), a fact whose key is missing from its dimension (`has_every_key_of`,
the fact-to-dimension relationship, placed on the dimension: see its macro),
a required API field turned into nulls by `column_or_null` (`not_null`), and a raw table that
stopped loading (source freshness)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from benchmarks.dbt_build import DBT_PROJECT_DIR
from tests.transform.conftest import DBT, build_raw_warehouse

pytestmark = pytest.mark.slow


def dbt(args: list[str], warehouse: Path, work: Path, results: str = "run_results.json") -> tuple[int, dict]:
    """Run dbt on `warehouse` (failures allowed); return its exit code and the named results file."""
    target = work / "target"
    run = subprocess.run(
        [str(DBT), *args, "--target-path", str(target), "--log-path", str(work / "logs")],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "RESYNC_WAREHOUSE_PATH": str(warehouse.resolve())},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    path = target / results
    assert path.exists(), run.stdout[-4000:] + run.stderr[-2000:]
    return run.returncode, json.loads(path.read_text())


def statuses(results: dict) -> dict[str, str]:
    """{test or model name: status} (the unique id's last part)."""
    return {r["unique_id"].split(".")[2]: r["status"] for r in results["results"]}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("dbt_expectations")
    warehouse = build_raw_warehouse(work / "warehouse.duckdb", runs=300)
    code, results = dbt(["build"], warehouse, work)
    assert code == 0, {k: v for k, v in statuses(results).items() if v not in ("pass", "success")}
    return warehouse, work


def test_the_new_expectations_pass_on_good_data(built):
    warehouse, work = built
    code, results = dbt(
        ["test", "--select", "test_name:has_rows_when test_name:has_every_key_of"], warehouse, work
    )
    names = statuses(results)
    assert code == 0 and set(names.values()) == {"pass"}
    assert sum(n.startswith("has_rows_when_") for n in names) >= 8
    assert "has_every_key_of_dim_jobs_job_key__fct_job_runs" in names


def _degraded_copy(built, tmp_path, *sql: str) -> Path:
    """A copy of the built warehouse with `sql` applied: each test degrades its own copy."""
    warehouse, _ = built
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    with duckdb.connect(str(copy)) as con:
        for statement in sql:
            con.execute(statement)
    return copy


def test_an_emptied_dimension_fails_its_row_count_and_its_keys(built, tmp_path):
    copy = _degraded_copy(built, tmp_path, "delete from marts.dim_jobs")
    code, results = dbt(["test", "--select", "dim_jobs"], copy, tmp_path)
    failed = {n for n, s in statuses(results).items() if s == "fail"}
    assert code != 0
    assert failed == {
        "has_rows_when_dim_jobs_fct_job_runs",
        "has_every_key_of_dim_jobs_job_key__fct_job_runs",
    }


def test_a_fact_key_missing_from_the_dimension_fails_only_the_key_test(built, tmp_path):
    copy = _degraded_copy(
        built,
        tmp_path,
        "delete from marts.dim_jobs where job_key = (select min(job_key) from marts.dim_jobs)",
    )
    code, results = dbt(["test", "--select", "dim_jobs"], copy, tmp_path)
    failed = {n for n, s in statuses(results).items() if s == "fail"}
    assert code != 0 and failed == {"has_every_key_of_dim_jobs_job_key__fct_job_runs"}


def test_a_required_field_missing_from_the_raw_table_fails_not_null(built, tmp_path):
    copy = _degraded_copy(built, tmp_path, "alter table tws_raw.workstations drop column name")
    code, results = dbt(["build", "--select", "stg_tws__workstations"], copy, tmp_path)
    assert code != 0
    assert statuses(results)["not_null_stg_tws__workstations_workstation_name"] == "fail"


def test_source_freshness_errors_on_a_stale_raw_table_and_passes_after_a_load(built, tmp_path):
    copy = _degraded_copy(built, tmp_path)
    select = ["source", "freshness", "--select", "source:tws_raw.job_runs"]
    # The synthetic runs were last seen in early 2026: far beyond 6 hours.
    code, results = dbt(select, copy, tmp_path, results="sources.json")
    assert code != 0 and [r["status"] for r in results["results"]] == ["error"]
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "update tws_raw.job_runs set last_seen_at = now() where run_id = (select min(run_id) from tws_raw.job_runs)"
        )
    code, results = dbt(select, copy, tmp_path, results="sources.json")
    assert code == 0 and [r["status"] for r in results["results"]] == ["pass"]

"""Incremental builds equal a full refresh: build, change the raw tables the way the next loads do
(runs ending late, a waiting run starting, a new rerun in a finished chain, a new day of runs and
host samples), build incrementally, then compare with a full refresh of the same raw data."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from benchmarks.dbt_build import advance_raw
from tests.transform.conftest import build_raw_warehouse, query, run_dbt
from tests.transform.raw_rows import late_changes

pytestmark = pytest.mark.slow

INCREMENTAL_MARTS = (
    "fct_job_runs",
    "agg_job_runs__daily",
    "agg_workload__hourly",
    "agg_host_metrics__hourly",
)
GRAIN = {
    "fct_job_runs": ["run_id"],
    "agg_job_runs__daily": ["job_key", "activity_date"],
    "agg_workload__hourly": ["workstation", "activity_hour"],
    "agg_host_metrics__hourly": ["host", "metric_hour"],
    "dim_jobs": ["job_key"],
    "mart_workload_vs_resources": ["host", "activity_hour"],
}


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple[str, str]]:
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'marts' and table_name = ? order by ordinal_position",
        [catalog, table],
    ).fetchall()
    assert columns, f"{catalog}.marts.{table} missing"
    return columns


def _differences(incremental_db, full_db) -> dict[str, tuple[int, int, int, int]]:
    """Per mart: (rows, rows only in the incremental build, rows only in the full refresh, rows whose
    floating-point values differ by more than 1e-9 relative).

    Exact columns are compared with EXCEPT ALL both ways. Doubles are compared on the grain key with
    a relative tolerance: the same average over the same rows can differ in its last bit when DuckDB
    sums them in another order, and rounding would turn that into a difference at rounding edges.
    """
    out = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{incremental_db}' as inc (read_only)").fetchall()
        con.execute(f"attach '{full_db}' as full_ (read_only)").fetchall()
        for table, key in GRAIN.items():
            columns = _columns(con, "inc", table)
            assert columns == _columns(con, "full_", table)
            exact = ", ".join(name for name, dtype in columns if dtype not in ("DOUBLE", "FLOAT"))
            floats = [name for name, dtype in columns if dtype in ("DOUBLE", "FLOAT")]
            inc = f"select {exact} from inc.marts.{table}"
            full = f"select {exact} from full_.marts.{table}"
            rows = con.execute(f"select count(*) from inc.marts.{table}").fetchall()[0][0]
            only_inc = con.execute(f"select count(*) from ({inc} except all {full})").fetchall()[0][0]
            only_full = con.execute(f"select count(*) from ({full} except all {inc})").fetchall()[0][0]
            mismatch = (
                " or ".join(
                    f"(a.{c} is null) <> (b.{c} is null) or abs(a.{c} - b.{c}) > 1e-9 * (1 + abs(a.{c}))"
                    for c in floats
                )
                or "false"
            )
            float_diffs = con.execute(
                f"select count(*) from inc.marts.{table} a join full_.marts.{table} b using ({', '.join(key)}) "
                f"where {mismatch}"
            ).fetchall()[0][0]
            out[table] = (rows, only_inc, only_full, float_diffs)
    return out


def test_incremental_build_equals_full_refresh(tmp_path):
    incremental_db = build_raw_warehouse(tmp_path / "incremental.duckdb")
    run_dbt(["run"], incremental_db, tmp_path / "first")
    ((rows_before,),) = query(incremental_db, "select count(*) from marts.fct_job_runs")

    with duckdb.connect(str(incremental_db)) as con:
        late_changes(con)
        advanced = advance_raw(con)
    assert advanced["runs_changed"] > 0 and advanced["runs_added"] > 0

    results = run_dbt(["run"], incremental_db, tmp_path / "second")
    compiled = {r["unique_id"].split(".")[-1]: r.get("compiled_code") or "" for r in results["results"]}
    # The second run really was incremental (it reads its own table to find what changed).
    for model in INCREMENTAL_MARTS:
        assert f'"marts"."{model}"' in compiled[model] or f"marts.{model}" in compiled[model], model

    full_db = tmp_path / "full.duckdb"
    shutil.copy(incremental_db, full_db)
    run_dbt(["run", "--full-refresh"], full_db, tmp_path / "full")

    diffs = _differences(incremental_db, full_db)
    assert {t: d[1:] for t, d in diffs.items()} == {t: (0, 0, 0) for t in GRAIN}
    assert diffs["fct_job_runs"][0] == rows_before + advanced["runs_added"] + 1  # + edge-chain-4

    # The late changes went through the incremental build.
    runs = {
        r[0]: r[1:]
        for r in query(
            incremental_db,
            """
        select run_id, status_class, duration_seconds, rerun_chain_length, is_last_in_rerun_chain
        from marts.fct_job_runs where run_id like 'edge-%'""",
        )
    }
    assert runs["edge-running"] == ("failure", 4200.0, 1, True)
    assert runs["edge-waiting"] == ("success", 1200.0, 1, True)
    assert runs["edge-chain-3"][2:] == (4, False)
    assert runs["edge-chain-4"][2:] == (4, True)
    ((daily_failures,),) = query(
        incremental_db,
        """
        select failures from marts.agg_job_runs__daily
        where job_key = (select job_key from marts.dim_jobs where job_name = 'EDGE_RUNNING') and activity_date = date '2026-01-05'""",
    )
    assert daily_failures == 1

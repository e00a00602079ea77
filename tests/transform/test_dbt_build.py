"""`dbt build` on a warehouse with raw tables: every unit test, model and data test passes, and the
marts hold the right values for hand-made edge cases (midnight, DST, reruns, late runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.transform.conftest import query

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"

pytestmark = pytest.mark.slow


def test_dbt_build_passes_unit_and_data_tests(built_warehouse):
    _, results = built_warehouse
    statuses = {r["unique_id"]: r["status"] for r in results["results"]}
    failed = {uid: s for uid, s in statuses.items() if s not in ("pass", "success")}
    assert failed == {}
    unit_tests = [uid for uid in statuses if uid.startswith("unit_test.")]
    data_tests = [uid for uid in statuses if uid.startswith("test.")]
    models = [uid for uid in statuses if uid.startswith("model.")]
    assert len(unit_tests) >= 15
    assert len(data_tests) >= 30
    assert {m.split(".")[-1] for m in models} >= {
        "stg_tws__job_runs",
        "stg_tws__joblogs",
        "stg_tws__job_streams",
        "stg_tws__workstations",
        "stg_host__metrics",
        "int_job_runs__enriched",
        "fct_job_runs",
        "dim_jobs",
        "agg_job_runs__daily",
        "agg_workload__hourly",
        "agg_host_metrics__hourly",
        "mart_workload_vs_resources",
    }


def test_fct_job_runs_durations_across_midnight_and_dst(built_warehouse):
    warehouse, _ = built_warehouse
    rows = dict(
        query(
            warehouse,
            "select run_id, duration_seconds from marts.fct_job_runs "
            "where run_id in ('edge-midnight', 'edge-dst')",
        )
    )
    assert rows == {"edge-midnight": 1200.0, "edge-dst": 3600.0}


def test_fct_job_runs_rerun_chain_and_failures(built_warehouse):
    warehouse, _ = built_warehouse
    rows = query(
        warehouse,
        """
        select run_id, rerun_chain_position, rerun_chain_length, is_rerun, is_last_in_rerun_chain,
               is_failure, return_code
        from marts.fct_job_runs where rerun_chain_id = 'edge-plan-1:ej3' order by rerun_chain_position""",
    )
    assert rows == [
        ("edge-chain-1", 1, 3, False, False, True, 8),
        ("edge-chain-2", 2, 3, True, False, True, 8),
        ("edge-chain-3", 3, 3, True, True, False, 0),
    ]


def test_fct_job_runs_lateness_against_estimate(built_warehouse):
    warehouse, _ = built_warehouse
    rows = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            """
        select run_id, seconds_over_estimate, is_over_estimate, is_late from marts.fct_job_runs
        where run_id in ('edge-midnight', 'edge-dst', 'edge-running')""",
        )
    }
    # Over the estimate is measured, but it is not lateness (no late flag, no history band yet).
    assert rows == {
        "edge-midnight": (600.0, True, False),
        "edge-dst": (-3600.0, False, False),
        "edge-running": (-1200.0, False, False),
    }


def test_workload_maps_to_host_metrics(built_warehouse):
    warehouse, _ = built_warehouse
    # The edge chain ran 10:00-10:05, 10:10-10:15, 10:20-10:25 on EDGE_WS -> host edgehost.
    row = query(
        warehouse,
        """
        select runs_started, busy_seconds, max_workstation_concurrent_runs, samples_ok
        from (
            select *, metric_samples = 6 as samples_ok from marts.mart_workload_vs_resources
            where host = 'edgehost' and activity_hour = timestamptz '2026-01-05 10:00:00+00'
        )""",
    )
    assert row == [(3, 900.0, 1, True)]


def test_dim_jobs_has_one_row_per_job_with_statistics(built_warehouse):
    warehouse, _ = built_warehouse
    ((jobs, keys),) = query(warehouse, "select count(*), count(distinct job_key) from marts.dim_jobs")
    ((fct_keys,),) = query(warehouse, "select count(distinct job_key) from marts.fct_job_runs")
    assert jobs == keys == fct_keys
    # The synthetic generator runs every job daily and grows every tenth job by 2 % a week.
    guesses = dict(
        query(
            warehouse,
            "select calendar_guess, count(*) from marts.dim_jobs "
            "where job_name like 'JOB\\_%' escape '\\' group by 1",
        )
    )
    assert guesses == {"daily": 30}
    ((growing, flat),) = query(
        warehouse,
        """
        select avg(duration_trend_pct_per_week) filter (where cast(substr(job_name, 5) as integer) % 10 = 0),
               avg(duration_trend_pct_per_week) filter (where cast(substr(job_name, 5) as integer) % 10 <> 0)
        from marts.dim_jobs where job_name like 'JOB\\_%' escape '\\'""",
    )
    assert 1.0 < growing < 3.5
    assert abs(flat) < 1.0


def test_analyst_notebook_runs_on_the_built_marts(built_warehouse, monkeypatch):
    # Executed here so the notebook cannot rot: every cell must run and draw its charts.
    import nbformat
    from nbclient import NotebookClient

    warehouse, _ = built_warehouse
    monkeypatch.setenv("RESYNC_WAREHOUSE_PATH", str(warehouse))
    path = NOTEBOOKS_DIR / "analyst_questions.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3
    growing_cell = next(c for c in notebook.cells if c.source.startswith("growing = "))
    growing_text = "".join(str(o.get("data", {}).get("text/plain", "")) for o in growing_cell.outputs)
    # The synthetic jobs 0, 10 and 20 grow 2 % a week; the others are flat.
    for job in ("STREAM_0.JOB_0", "STREAM_1.JOB_10", "STREAM_2.JOB_20"):
        assert job in growing_text


def test_every_column_of_every_model_is_described(built_warehouse):
    # Analysts read the meaning of a column in the dbt docs site: every column dbt's catalog lists for
    # the staging, intermediate and mart models has a rendered description (doc blocks resolved).
    import json

    warehouse, _ = built_warehouse
    # The manifest of the fixture's own `dbt build` (its --target-path).
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text())
    described = {
        (node["name"], name): column.get("description") or ""
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for name, column in node["columns"].items()
    }
    columns = query(
        warehouse,
        "select table_name, column_name from information_schema.columns "
        "where table_schema in ('staging', 'intermediate', 'marts')",
    )
    assert len(columns) >= 250
    missing = [c for c in columns if not described.get(c)]
    assert not missing, missing
    unrendered = [c for c in columns if "{{" in described[c] or "{%" in described[c]]
    assert not unrendered, unrendered

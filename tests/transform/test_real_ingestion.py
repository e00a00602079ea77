"""dbt on top of a real ingestion: the simulator served over HTTP, loaded by `run_tws_ingest` and
`run_host_metrics_ingest`, then `dbt build` - every test passes and the marts agree with the raw rows."""

from __future__ import annotations

import pytest

from resync_assets.lib.ingest import run_host_metrics_ingest, run_tws_ingest
from resync_assets.sim.hostmetrics import write_host_metrics
from tests.ingest.conftest import make_cfg, settings_for
from tests.transform.conftest import query, run_dbt

pytestmark = pytest.mark.slow


def test_dbt_build_on_a_simulated_ingestion(simulator, tmp_path):
    cfg = make_cfg(tmp_path, backfill_days=5)
    run_tws_ingest(settings_for(simulator), cfg)
    write_host_metrics(simulator.workload, tmp_path / "host_metrics")
    run_host_metrics_ingest([tmp_path / "host_metrics"], cfg)
    warehouse = cfg.warehouse_path

    results = run_dbt(["build"], warehouse, tmp_path / "dbt")

    assert {r["status"] for r in results["results"]} <= {"pass", "success"}
    ((raw_runs, raw_failures),) = query(
        warehouse,
        """
        select count(*), count(*) filter (where internal_status in ('ABEND', 'FAIL', 'ERROR'))
        from tws_raw.job_runs""",
    )
    ((runs, failures, jobs),) = query(
        warehouse,
        """
        select count(*), count(*) filter (where is_failure), count(distinct job_key) from marts.fct_job_runs""",
    )
    assert raw_runs > 0
    assert (runs, failures) == (raw_runs, raw_failures)
    assert query(warehouse, "select count(*) from marts.dim_jobs") == [(jobs,)]
    # The simulator's workstations name their machines (nodeName) as its host metrics do, so every
    # workstation that ran something maps to a host with metrics, and busy hours sit beside CPU.
    methods = dict(
        query(
            warehouse,
            "select host_match_method, count(*) from intermediate.int_workstations__hosts group by 1",
        )
    )
    assert methods.get("node_name", 0) >= 1
    ((hours_with_both,),) = query(
        warehouse,
        """
        select count(*) from marts.mart_workload_vs_resources
        where busy_seconds > 0 and avg_cpu_percent is not null""",
    )
    assert hours_with_both > 0

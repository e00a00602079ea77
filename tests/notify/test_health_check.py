"""The scheduled health check (`resync_parts_healthy`) reports the `resync status` items in the UI."""

import dagster as dg

from resync_assets.defs.health.checks import resync_health, resync_health_schedule, resync_parts_healthy
from resync_assets.defs.resources import LakehouseResource, TwsResource
from tests.report.warehouse_fixture import make_warehouse


def test_the_health_check_runs_without_materializing_and_warns(tmp_path):
    from resync_assets.sim.server import SimulatorServer
    from resync_assets.sim.workload import WorkloadConfig

    wh = make_warehouse(tmp_path / "w.duckdb")
    with SimulatorServer(
        WorkloadConfig(seed=1, days=1, jobs=5), host="127.0.0.1", port=0, user="u", password="pw"
    ) as sim:
        result = dg.materialize(
            [resync_health, resync_parts_healthy],
            selection=dg.AssetSelection.checks(resync_parts_healthy),
            resources={
                "lakehouse": LakehouseResource(warehouse_path=str(wh)),
                "tws": TwsResource(base_url=sim.base_url, user="u", password="pw"),
            },
            raise_on_error=False,
        )
    assert result.success and result.asset_materializations_for_node("resync_health") == []
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "resync_parts_healthy" and not evaluation.passed
    meta = {k: v.value for k, v in evaluation.metadata.items()}
    assert meta["tws_api"] == "OK reachable (circuit breaker closed)"
    assert meta["nearest_capacity_eta"].startswith("WARN ") and meta["drift_alerts"].startswith("WARN ")
    assert meta["warehouse"].startswith("OK reachable")
    assert "nearest_capacity_eta" in evaluation.description
    assert evaluation.severity in (dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR)
    assert resync_health_schedule.cron_schedule == "*/15 * * * *"

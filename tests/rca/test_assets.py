"""The Dagster side: definitions, and the pattern/incident assets materialized on a real DuckDB file."""

from __future__ import annotations

import json

import dagster as dg
import duckdb
import pytest

from resync_assets.defs.checks import nothing_to_judge_reason
from resync_assets.defs.incidents.assets import incident_analyses
from resync_assets.defs.incidents.checks import (
    incident_analyses_cover_every_failed_run,
    incident_confidence_is_calibrated,
)
from resync_assets.defs.incidents.sensors import incident_analysis_sensor
from resync_assets.defs.patterns.assets import joblog_pattern_clusters, joblog_templates
from resync_assets.defs.patterns.checks import joblog_templates_ids_are_stable
from resync_assets.defs.resources import LakehouseResource, LlmResource, WarehouseReaderResource
from tests.rca.conftest import build_warehouse

KEYS = {
    "joblog_templates": "patterns",
    "joblog_pattern_clusters": "patterns",
    "incident_analyses": "incidents",
}
CHECKS = {
    "incident_analyses_cover_every_failed_run",
    "incident_confidence_is_calibrated",
    "joblog_templates_ids_are_stable",
}


@pytest.fixture(scope="module")
def repo():
    from resync_assets.definitions import defs

    return defs().get_repository_def()


def test_assets_checks_and_sensor_are_defined(repo):
    graph = repo.asset_graph
    for name, group in KEYS.items():
        node = graph.get(dg.AssetKey(name))
        assert node.group_name == group
        assert node.description
    parents = set(graph.get(dg.AssetKey("incident_analyses")).parent_keys)
    assert parents == {
        dg.AssetKey(["tws_raw", "joblogs"]),
        dg.AssetKey(["tws_raw", "job_runs"]),
        dg.AssetKey("joblog_templates"),
    }
    assert {c.name for c in graph.asset_check_keys} >= CHECKS
    sensor = repo.get_sensor_def("incident_analysis_sensor")
    assert sensor.description
    assert sensor.job_name == "incident_analysis_job"
    for asset_def in (joblog_templates, joblog_pattern_clusters):
        assert asset_def.op.pool == "duckdb_writer"
    # It waits for the LLM between two short writer-lock phases, so it holds its own pool instead.
    assert incident_analyses.op.pool == "llm_writer"
    # Readers take no writer slot: a read-only connection waits for a writer of another process.
    for check in (
        joblog_templates_ids_are_stable,
        incident_analyses_cover_every_failed_run,
        incident_confidence_is_calibrated,
    ):
        assert check.op.pool is None


def materialize(wh):
    return dg.materialize(
        [
            joblog_templates,
            joblog_pattern_clusters,
            incident_analyses,
            joblog_templates_ids_are_stable,
            incident_analyses_cover_every_failed_run,
            incident_confidence_is_calibrated,
        ],
        resources={
            "lakehouse": LakehouseResource(warehouse_path=str(wh)),
            "llm": LlmResource(enabled=False),
            "duckdb": WarehouseReaderResource(database=str(wh)),
        },
    )


def test_incident_analyses_cover_failed_runs_incrementally(tmp_path, workload):
    wh = tmp_path / "wh.duckdb"
    days = sorted({t.plan_id for t in workload.failure_truth()})
    first = build_warehouse(wh, workload, days=days[:-3])
    result = materialize(wh)
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(checks) == CHECKS
    assert checks["incident_analyses_cover_every_failed_run"].passed
    assert checks["incident_analyses_cover_every_failed_run"].metadata["failed_runs"].value == len(first)
    assert checks["joblog_templates_ids_are_stable"].passed
    # No outcome recorded yet: the calibration check has nothing to judge and says so (not a pass).
    assert nothing_to_judge_reason(checks["incident_confidence_is_calibrated"]).startswith(
        "no labelled analyses yet"
    )
    mat = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert mat["incident_analyses"]["new_analyses"].value == len(first)
    assert "| run | job | family | cause | confidence |" in mat["incident_analyses"]["summary"].value

    second = build_warehouse(wh, workload, days=days[-3:])
    result = materialize(wh)
    assert result.success
    mat = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert mat["incident_analyses"]["new_analyses"].value == len(second)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["incident_analyses_cover_every_failed_run"].passed
    assert checks["incident_analyses_cover_every_failed_run"].metadata["failed_runs"].value == len(
        first + second
    )
    assert checks["joblog_templates_ids_are_stable"].passed
    assert not checks["incident_confidence_is_calibrated"].passed

    # A refresh with nothing new still describes the whole table, not the empty increment.
    again = materialize(wh)
    meta = next(
        e.materialization.metadata
        for e in again.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("incident_analyses")
    )
    total = len(first) + len(second)
    assert meta["new_analyses"].value == 0 and meta["new_families"].value == {}
    assert meta["dagster/row_count"].value == total
    assert sum(meta["families"].value.values()) == total
    with duckdb.connect(str(wh), read_only=True) as con:
        (mean,) = con.execute("select avg(confidence) from analytics.incident_analyses").fetchone()
        by_family = dict(
            con.execute("select family, count(*) from analytics.incident_analyses group by 1").fetchall()
        )
    assert meta["mean_confidence"].value == pytest.approx(mean, abs=1e-3) and mean > 0
    assert meta["families"].value == by_family
    assert f"**{total} analysed failed runs**" in meta["summary"].value
    assert "no new failed run" in meta["summary"].value

    truth = {t.run_id: t for t in first + second}
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute(
        "select run_id, error_line_number, family, cause, confidence, steps, files "
        "from analytics.incident_analyses"
    ).fetchall()
    similar = dict(
        con.execute("select run_id, similar_incidents from analytics.incident_analyses").fetchall()
    )
    notes = con.execute(
        "select count(*), count(*) filter (where not seen) from analytics.incident_notifications"
    ).fetchone()
    templates = con.execute("select count(*) from analytics.joblog_templates").fetchone()[0]
    clusters = con.execute("select sum(runs) from analytics.joblog_pattern_clusters").fetchone()[0]
    mined = con.execute("select count(*) from analytics.joblog_template_runs").fetchone()[0]
    calibrations = con.execute(
        "select count(*), min(observations) from analytics.incident_calibration"
    ).fetchone()
    con.close()
    assert len(rows) == len(truth)
    assert notes == (len(truth), len(truth))
    assert templates > 0 and mined == len(truth) and clusters == len(truth)
    assert calibrations[0] == 1 and calibrations[1] >= 500  # the packaged map, stored once (unchanged since)
    hits = sum(r[1] == truth[r[0]].error_line_number for r in rows)
    fams = sum(r[2] == truth[r[0]].family for r in rows)
    assert hits / len(rows) >= 0.95 and fams / len(rows) >= 0.95
    assert all(r[3] and 0 <= r[4] <= 1 and isinstance(json.loads(r[5]), list) for r in rows)
    # Later failures of the same job and signature list an earlier one among their similar incidents.
    linked = 0
    for t in truth.values():
        earlier = {
            u.run_id
            for u in truth.values()
            if u.job_name == t.job_name and u.signature_id == t.signature_id and u.end < t.end
        }
        if earlier:
            assert earlier & {s["run_id"] for s in json.loads(similar[t.run_id])}, t.run_id
            linked += 1
    assert linked > 0


def test_sensor_requests_one_run_per_joblogs_materialization():
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=dg.AssetKey(["tws_raw", "joblogs"]), metadata={"joblogs_fetched": 3}
        )
    )
    ctx = dg.build_sensor_context(instance=instance)
    first = list(incident_analysis_sensor(ctx) or [])
    assert [type(r).__name__ for r in first] == ["RunRequest"]
    ctx2 = dg.build_sensor_context(instance=instance, cursor=ctx.cursor)
    again = incident_analysis_sensor(ctx2)
    assert not again or all(
        not isinstance(r, dg.RunRequest) for r in (again if isinstance(again, list) else [again])
    )

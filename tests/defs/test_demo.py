"""The Dagster end-to-end demo (`resync demo`), on a tiny world in a temporary root."""

import datetime as dt
import re

import dagster as dg
import duckdb
import pytest

from resync_assets.cli import demo_run as demo
from resync_assets.lib.warehouse import existing_tables


def test_ensure_dagster_home_writes_or_completes_the_instance_yaml(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = demo.ensure_dagster_home(tmp_path)
    assert home == (tmp_path / ".dagster_home").resolve()
    text = (home / "dagster.yaml").read_text()
    assert "telemetry:\n  enabled: false" in text and "default_limit: 1" in text
    assert "nux:\n  enabled: false" in text  # no "Join the Dagster community" modal

    older = tmp_path / "older"
    older.mkdir()
    (older / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(older))
    demo.ensure_dagster_home(tmp_path)
    completed = (older / "dagster.yaml").read_text()
    assert "default_limit: 1" in completed and "nux:" in completed
    assert completed.count("telemetry:") == 1
    with dg.DagsterInstance.from_config(str(older)) as instance:
        assert instance.nux_enabled is False
        # Launched runs start at once (no queue behind the daemon's dequeue loop).
        assert instance.get_ref().run_coordinator_data.class_name == "DefaultRunCoordinator"


# The demo's small world ending on a Saturday, a Sunday and a Monday: whatever the weekday (a 20-job
# world has few or no weekend runs), the whole graph succeeds and every raw table exists.
@pytest.mark.slow
@pytest.mark.parametrize(
    "end_date",
    [dt.date(2026, 11, 28), dt.date(2026, 11, 29), dt.date(2026, 11, 30)],
    ids=["sat", "sun", "mon"],
)
def test_demo_materializes_every_raw_asset_and_records_the_runs(tmp_path, monkeypatch, capsys, end_date):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    assert demo.main(days=2, jobs=20, seed=3, end_date=end_date, root=tmp_path) == 0

    out = capsys.readouterr().out
    assert "check FAIL" not in out
    assert out.count("): success") == 2
    marks = {name: mark for mark, name in re.findall(r"check (ok  |warn|n/a ) \S+:(\w+)", out)}
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as conn:
        tables = existing_tables(conn)

        def empty(table: str, where: str = "true") -> bool:
            return (
                table not in tables
                or conn.execute(f"select count(*) from {table} where {where}").fetchone()[0] == 0
            )

        # "n/a" says a check had nothing to judge; each must be true of the world the demo loaded.
        reasons = {
            "job_runs_have_unique_run_ids": lambda: empty("tws_raw.job_runs"),
            "job_runs_match_api_count_for_closed_plan_day": lambda: conn.execute(
                "select count(distinct plan_id) <= 1 from tws_raw.job_runs"
            ).fetchone()[0],
            "incident_analyses_cover_every_failed_run": lambda: empty(
                "tws_raw.job_runs", "internal_status in ('ABEND', 'FAIL', 'ERROR')"
            ),
            "joblog_templates_ids_are_stable": lambda: empty("analytics.joblog_templates"),
            "incident_confidence_is_calibrated": lambda: True,  # the demo records no outcomes
            "capacity_forecasts_are_consistent": lambda: empty("analytics.capacity_forecasts"),
            "capacity_threshold_eta_is_monotone": lambda: empty("analytics.capacity_threshold_eta"),
            "maintenance_alerts_are_well_formed": lambda: empty("analytics.maintenance_alerts"),
            "capacity_recommendations_are_well_formed": lambda: empty("analytics.capacity_recommendations"),
            "drift_reports_no_drift": lambda: empty("analytics.drift_reports"),
            "tws_quarantine_is_empty": lambda: "tws_raw.quarantine" not in tables,
            "incident_notifications_delivered": lambda: empty(
                "analytics.incident_deliveries",
                "status <> 'skipped' and last_attempt_at > now() - interval 1 day",
            ),
        }
        for name, mark in marks.items():
            if mark == "n/a ":
                assert name in reasons, f"{name} had nothing to judge in the demo"
                assert reasons[name](), f"{name} said nothing to judge, but had data"
        assert marks["incident_confidence_is_calibrated"] == "n/a "
        assert {"job_runs_have_unique_run_ids", "incident_analyses_cover_every_failed_run"} <= set(marks)
        runs = conn.execute("select count(*) from tws_raw.job_runs").fetchone()[0]
        facts = conn.execute("select count(*) from marts.fct_job_runs").fetchone()[0]
        conn.execute("select count(*) from tws_raw.joblogs, tws_raw.job_streams").fetchone()
        sim_hosts = conn.execute(
            "select count(distinct host) from tws_raw.host_metrics where source = 'simulator'"
        ).fetchone()[0]
        plans = [
            r[0] for r in conn.execute("select distinct plan_id from tws_raw.job_runs order by 1").fetchall()
        ]
        (last_sample,) = conn.execute(
            "select max(ts) from tws_raw.host_metrics where source = 'simulator'"
        ).fetchone()
    assert f"runs loaded: {runs} " in out and facts == runs
    # The late share is explained by its definition: TWS's flag or beyond the job's tolerance band.
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as conn:
        wrong = conn.execute(
            "select count(*) from marts.fct_job_runs where is_late is distinct from "
            "(coalesce(is_flagged_late, false) or coalesce(is_past_deadline, false) "
            "or coalesce(is_max_duration_exceeded, false) or is_beyond_runtime_tolerance)"
        ).fetchone()[0]
        # The scheduler's deadline and maximum-duration flags are loaded (the simulator sends them),
        # and the jobs' own windows (maxdur, deadline), which the maintenance alerts measure against.
        loaded = conn.execute(
            "select count(is_past_deadline), count(is_max_duration_exceeded), count(maxdur_seconds), "
            "count(deadline_at), count(*) filter (where maxdur_seconds <= 0) from marts.fct_job_runs"
        ).fetchone()
    assert wrong == 0 and "late runs: " in out and "(not lateness)" in out
    if end_date.weekday() == 0:  # a weekday world has runs with deadlines; a weekend one may not
        assert loaded[0] > 0 and loaded[1] > 0
    assert loaded[2] > 0 and loaded[3] > 0 and loaded[4] == 0
    # The analysis part says how it compares with the simulator's truth and how confidence spreads.
    assert "against the simulator's truth" in out and "confidence p10 / median / p90" in out
    assert "mean confidence" not in out and "step failed" not in out.split("top failure modes")[-1]
    assert sim_hosts > 0
    if end_date.isoweekday() <= 5:
        # The simulated "now" is the end of a weekday end_date: no plan or sample lies after it.
        # (the day before may be a weekend with no runs)
        assert plans[-1] == end_date.isoformat()
        assert set(plans) <= {(end_date - dt.timedelta(days=1)).isoformat(), end_date.isoformat()}
        assert last_sample <= dt.datetime.combine(end_date, dt.time(23, 59, 59), dt.UTC)
    assert f"from {sim_hosts} simulated hosts" in out
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        recorded = instance.get_runs()
        assert len(recorded) == 2 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in recorded)
        assert all(r.tags.get("resync/demo") == "true" for r in recorded)

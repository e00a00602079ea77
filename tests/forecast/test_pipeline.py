"""The forecasting and drift tables written to a real DuckDB warehouse from small marts."""

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from resync_assets.lib.drift.report import run_drift
from resync_assets.lib.forecast.capacity import CapacityConfig
from resync_assets.lib.forecast.checks import CHECKS, latest_drift
from resync_assets.lib.forecast.pipeline import (
    run_capacity_forecasts,
    run_maintenance_alerts,
    run_recommendations,
    run_threshold_eta,
)
from resync_assets.lib.warehouse import read_only

CONTRACT = {
    "capacity_forecasts": {"series_id", "series_kind", "entity", "ds", "yhat", "yhat_lower_80", "yhat_upper_80",
                           "yhat_lower_95", "yhat_upper_95", "model", "unit", "generated_at"},
    "capacity_forecast_models": {"series_id", "series_kind", "entity", "model", "mase_model", "mase_baseline",
                                 "beats_baseline", "history_days", "coverage_80", "coverage_95", "box_cox_lambda",
                                 "generated_at"},
    "capacity_threshold_eta": {"host", "resource", "threshold", "week_start", "prob_cross", "eta_week_50",
                               "eta_week_10", "weeks_to_50", "generated_at"},
    "capacity_recommendations": {"priority", "action", "deadline", "subject", "evidence", "generated_at"},
    "maintenance_alerts": {"alert_id", "job_key", "host", "kind", "severity", "detected_on", "expected_cross",
                           "weekly_growth", "related", "message", "generated_at"},
    "drift_reports": {"report_date", "check_name", "drift_detected", "drift_share", "details", "html_path",
                      "generated_at"},
}  # fmt: skip


@pytest.fixture
def warehouse(tmp_path):
    """Marts for 70 days: 3 daily jobs on one workstation (one growing), one host whose disk grows."""
    rng = np.random.default_rng(0)
    days = [date(2026, 1, 1) + timedelta(days=k) for k in range(70)]
    runs = []
    for j, growth in ((0, 0.0), (1, 0.0), (2, 0.12)):
        for k, d in enumerate(days):
            dur = 1200 * (1 + growth) ** max(0, (k - 30) / 7) * float(np.exp(rng.normal(0, 0.05)))
            runs.append((f"r{j}-{k}", f"key{j}", "/OPS/", "BACKUP", f"JOB_{j}", "LNXAGT01", "lnxagt01", d,
                         pd.Timestamp(d) + pd.Timedelta(hours=1), dur, True, False, True, False, "SUCC", 0))  # fmt: skip
    fct = pd.DataFrame(runs, columns=["run_id", "job_key", "folder", "job_stream_name", "job_name", "workstation",
                                      "host", "activity_date", "started_at", "duration_seconds", "is_success",
                                      "is_failure", "is_terminal", "is_rerun", "common_status", "return_code"])  # fmt: skip
    fct["maxdur_seconds"] = np.where(fct["job_name"] == "JOB_2", 1500.0, np.nan)  # the growing job's maxdur
    fct["deadline_at"] = pd.NaT
    hours = pd.date_range("2026-01-01", periods=70 * 24, freq="h", tz="UTC")
    disk = 50 + np.arange(len(hours)) / 24 / 7 * 4.0 + rng.normal(0, 0.3, len(hours))
    host = pd.DataFrame({"host": "lnxagt01", "metric_hour": hours, "p95_cpu_percent": 40 + rng.normal(0, 3, len(hours)),
                         "p95_memory_percent": 50 + rng.normal(0, 2, len(hours)), "p95_disk_percent": disk})  # fmt: skip
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.register("fct", fct)
        con.execute("create table marts.fct_job_runs as select * from fct")
        con.execute(
            "create table marts.agg_job_runs__daily as select job_key, activity_date, count(*) as runs "
            "from marts.fct_job_runs group by all"
        )
        con.execute(
            "create table marts.dim_jobs as select job_key, any_value(folder) as folder, any_value(job_stream_name) "
            "as job_stream_name, any_value(job_name) as job_name, any_value(workstation) as last_workstation, "
            "'daily' as calendar_guess, avg(duration_seconds) as avg_duration_seconds, count(*) as successes, "
            "0.0 as duration_trend_pct_per_week from marts.fct_job_runs group by job_key"
        )
        con.register("host", host)
        con.execute("create table marts.agg_host_metrics__hourly as select * from host")
    return path


def _table(path, name) -> pd.DataFrame:
    with read_only(path) as con:
        return con.execute(f"select * from analytics.{name}").df()


def test_every_table_is_written_with_its_contract_columns_and_rerun_replaces_it(warehouse, tmp_path):
    cfg = CapacityConfig(use_prophet=False)
    run_capacity_forecasts(warehouse, cfg)
    run_threshold_eta(warehouse)
    run_maintenance_alerts(warehouse)
    run_recommendations(warehouse)
    run_drift(warehouse, html_dir=tmp_path / "drift")
    for name, cols in CONTRACT.items():
        assert cols <= set(_table(warehouse, name).columns), name
    fc = _table(warehouse, "capacity_forecasts")
    assert set(fc["series_id"]) >= {"volume:ALL", "volume:ws=LNXAGT01", "host:lnxagt01:disk",
                                    "runtime:job=LNXAGT01#/OPS/BACKUP.JOB_2"}  # fmt: skip
    assert fc.groupby("series_id").size().eq(84).all()
    assert pd.to_datetime(fc["ds"]).min() > pd.Timestamp("2026-03-10")
    # Each series records the scale its intervals were calibrated on (1: as is, 0: log).
    lam = _table(warehouse, "capacity_forecast_models").set_index("series_id")["box_cox_lambda"]
    assert lam.notna().all() and lam.between(0, 1).all(), lam
    # Disk grows 4 points a week from ~89 on the last day: it crosses 90 % within the first weeks.
    eta = _table(warehouse, "capacity_threshold_eta")
    disk = eta[(eta["resource"] == "disk")].sort_values("week")
    assert disk["weeks_to_50"].iloc[0] <= 2 and disk["prob_cross"].is_monotonic_increasing
    alerts = _table(warehouse, "maintenance_alerts")
    assert "key2" in set(alerts[alerts["kind"] == "runtime_trend"]["job_key"])
    # Its TWS maximum duration (25 min, +25 %) is tighter than the band (+50 %): the alert names it.
    (msg,) = alerts[(alerts["kind"] == "runtime_trend") & (alerts["job_key"] == "key2")]["message"]
    assert "its maximum duration (PT25M)" in msg, msg
    assert not {"key0", "key1"} & set(alerts["job_key"])
    recs = _table(warehouse, "capacity_recommendations")
    assert recs[recs["subject"] == "lnxagt01"]["priority"].iloc[0] == "P1"
    with read_only(warehouse) as con:
        for name, check in CHECKS.items():
            problems, checked = check(con)
            assert not problems and checked > 0, (name, problems)
        day, drifted, rows = latest_drift(con)
    assert day == date(2026, 3, 10) and rows == 5 and drifted == []
    before = {name: len(_table(warehouse, name)) for name in CONTRACT}
    run_capacity_forecasts(warehouse, cfg)
    run_drift(warehouse, html_dir=tmp_path / "drift")
    assert {name: len(_table(warehouse, name)) for name in CONTRACT} == before


def test_empty_warehouse_gives_empty_tables(tmp_path):
    path = tmp_path / "w.duckdb"
    out = run_capacity_forecasts(path, CapacityConfig(use_prophet=False))
    assert out.rows == {"capacity_forecasts": 0, "capacity_forecast_models": 0}
    assert run_threshold_eta(path).rows == {"capacity_threshold_eta": 0}
    assert run_maintenance_alerts(path).rows == {"maintenance_alerts": 0}
    assert run_drift(path, html_dir=tmp_path / "d").note == "no job runs yet"

"""A small warehouse with known values for the report tests: the marts and analytics tables the report
reads, the forecaster's tables (optional) with the columns of the table contracts (CONTRACTS in
docs/report.md), and a few incidents."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from resync_assets.lib.rca import resolutions as res_store
from resync_assets.lib.rca import store
from resync_assets.lib.warehouse import writer

WEEK = "2026-W49"
MONDAY = dt.date(2026, 11, 30)
SUNDAY = dt.date(2026, 12, 6)
GENERATED = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC)
HOSTS = ("lnxprd3.example.net", "lnxprd4.example.net")
# Per day: job A 100 runs / 2 failed, job B 50 runs / 1 failed → week 1050 runs, 21 failed;
# the week before: 90 + 50 per day → 980 runs, 14 failed (job A 1 failed, job B 1 failed per day).
JOBS = {
    "kA": ("LNXAGT01", "/DWH/", "NIGHTLY", "MART_BUILD"),
    "kB": ("LNXAGT02", "/FIN/", "GL_CLOSE", "LEDGER_LOAD"),
}
JOB_A_NAME = "LNXAGT01#/DWH/NIGHTLY.MART_BUILD"


def make_warehouse(path: Path, *, forecasts: bool = True) -> Path:
    """Create the tables at `path`; `forecasts=False` leaves out every table of the forecaster."""
    with writer(path, what="report test fixture") as con:
        con.execute("create schema if not exists marts; create schema if not exists analytics")
        con.execute(
            "create table marts.agg_job_runs__daily (job_key varchar, activity_date date, runs bigint, "
            "successes bigint, failures bigint, p50_duration_seconds double)"
        )
        con.execute(
            "create table marts.dim_jobs (job_key varchar, last_workstation varchar, folder varchar, "
            "job_stream_name varchar, job_name varchar, successes bigint, avg_duration_seconds double)"
        )
        con.execute(
            "create table marts.fct_job_runs (run_id varchar, job_key varchar, activity_date date, "
            "is_success boolean, duration_seconds double)"
        )
        con.execute(
            "create table marts.agg_host_metrics__hourly (host varchar, metric_hour timestamptz, "
            "p95_cpu_percent double, p95_memory_percent double, p95_disk_percent double)"
        )
        for key, (ws, folder, stream, job) in JOBS.items():
            con.execute(
                "insert into marts.dim_jobs values (?, ?, ?, ?, ?, ?, ?)",
                [key, ws, folder, stream, job, 500, 600.0 if key == "kA" else 60.0],
            )
        # 56 days up to Sunday; set-based inserts (a row at a time is slow in DuckDB).
        con.execute(
            """
            insert into marts.agg_job_runs__daily
            select k, d::date, case when k = 'kA' then (case when d >= ? then 100 else 90 end) else 50 end,
                   case when k = 'kA' then 98 else 49 end,
                   case when k = 'kA' and d >= ? then 2 else 1 end, case when k = 'kA' then 600 else 60 end
            from range(?::date - interval 55 day, ?::date + interval 1 day, interval 1 day) t(d),
                 (values ('kA'), ('kB')) j(k)
            """,
            [MONDAY, MONDAY, SUNDAY, SUNDAY],
        )
        con.execute(
            """
            insert into marts.fct_job_runs
            select 'r' || i, 'kA', ?::date - i::int, true, 600.0 + i from range(56) t(i)
            """,
            [SUNDAY],
        )
        con.execute(
            """
            insert into marts.agg_host_metrics__hourly
            select h.host, t.ts, case when h.host = ? then 70.0 + hour(t.ts) % 2 else 30 end,
                   case when h.host = ? then 50 else 20 end, case when h.host = ? then 40 else 10 end
            from range(?::timestamptz - interval 55 day, ?::timestamptz + interval 1 day, interval 1 hour) t(ts),
                 (values (?), (?)) h(host)
            """,
            [HOSTS[0], HOSTS[0], HOSTS[0], dt.datetime.combine(SUNDAY, dt.time(0), dt.UTC),
             dt.datetime.combine(SUNDAY, dt.time(0), dt.UTC), HOSTS[0], HOSTS[1]],
        )  # fmt: skip
        con.execute(
            "create table analytics.joblog_pattern_clusters (cluster_id bigint, representative_template varchar, "
            "runs bigint, jobs_affected bigint, growth_per_week double, trend varchar, last_seen timestamptz, "
            "summary varchar, weekly struct(week varchar, week_start date, runs bigint)[])"
        )
        con.execute(
            "insert into analytics.joblog_pattern_clusters values "
            "(1, 'ORA-01653: unable to extend table <*>', 40, 3, 0.02, 'stable', ?, 's1', "
            " [{'week': '2026-W49', 'week_start': ?, 'runs': 4}]), "
            "(2, 'No space left on device <*>', 12, 2, 0.5, 'increasing', ?, 's2', "
            " [{'week': '2026-W48', 'week_start': ?, 'runs': 3}, {'week': '2026-W49', 'week_start': ?, 'runs': 9}])",
            [GENERATED, MONDAY, GENERATED, MONDAY - dt.timedelta(days=7), MONDAY],
        )
        store.ensure_tables(con)
        for run_id, job, day, cause in (
            ("run-1", "MART_BUILD", MONDAY, "tablespace USERS full"),
            ("run-2", "MART_BUILD", MONDAY + dt.timedelta(days=2), "tablespace USERS full"),
            ("run-3", "LEDGER_LOAD", MONDAY + dt.timedelta(days=3), "disk /data full"),
            ("run-old", "LEDGER_LOAD", MONDAY - dt.timedelta(days=3), "disk /data full"),
        ):
            con.execute(
                "insert into analytics.incident_analyses (run_id, job_name, workstation, ended_at, error_line, "
                "family, cause, steps, confidence, similar_incidents, has_joblog) values (?, ?, 'LNXAGT01', ?, ?, ?, "
                "?, ?, 0.9, '[]', true)",
                [
                    run_id, job, dt.datetime.combine(day, dt.time(3), dt.UTC), f"error of {run_id}",
                    "oracle" if job == "MART_BUILD" else "disk", cause,
                    json.dumps([{"text": "Extend the tablespace", "command": "df -h"}]),
                ],
            )  # fmt: skip
        res_store.record(
            con, res_store.Resolution(run_id="run-1", cause="tablespace full", fix="added datafile")
        )
        if forecasts:
            _forecaster_tables(con)
    return path


def _forecaster_tables(con) -> None:
    con.execute(
        "create table analytics.capacity_forecasts (series_id varchar, series_kind varchar, entity varchar, "
        "ds date, yhat double, yhat_lower_80 double, yhat_upper_80 double, yhat_lower_95 double, "
        "yhat_upper_95 double, model varchar, unit varchar, generated_at timestamptz)"
    )
    con.execute(
        """
        insert into analytics.capacity_forecasts
        select 'volume:ALL', 'job_volume', 'ALL', ?::date + i::int, 150.0 + i, 140.0 + i, 160.0 + i, 130.0 + i,
               170.0 + i, 'ets', 'runs', ? from range(1, 29) t(i)
        union all
        select ?, 'host_cpu', ?, ?::date + i::int, 71.0 + i, 68.0 + i, 74.0 + i, 65.0 + i, 77.0 + i, 'linear',
               'percent', ? from range(1, 29) t(i)
        union all
        select ?, 'job_runtime', ?, ?::date + i::int, 700, 650, 750, 600, 800, 'naive', 'seconds', ?
        from range(1, 29) t(i)
        """,
        [SUNDAY, GENERATED, f"host:{HOSTS[0]}:cpu", HOSTS[0], SUNDAY, GENERATED,
         f"runtime:job={JOB_A_NAME}", JOB_A_NAME, SUNDAY, GENERATED],
    )  # fmt: skip
    con.execute(
        "create table analytics.capacity_forecast_models (series_id varchar, series_kind varchar, entity varchar, "
        "model varchar, mase_model double, mase_baseline double, beats_baseline boolean, history_days integer, "
        "coverage_80 double, coverage_95 double, generated_at timestamptz)"
    )
    con.execute(
        "create table analytics.capacity_threshold_eta (host varchar, resource varchar, threshold double, "
        "week_start date, prob_cross double, eta_week_50 date, eta_week_10 date, weeks_to_50 integer, "
        "generated_at timestamptz)"
    )
    for k in range(1, 5):
        con.execute(
            "insert into analytics.capacity_threshold_eta values (?, 'cpu', 85, ?, ?, ?, ?, 2, ?)",
            [HOSTS[0], MONDAY + dt.timedelta(days=7 * k), min(1.0, 0.3 * k), dt.date(2026, 12, 14),
             dt.date(2026, 12, 7), GENERATED],
        )  # fmt: skip
    con.execute(
        "create table analytics.capacity_recommendations (priority varchar, action varchar, deadline date, "
        "subject varchar, evidence varchar, generated_at timestamptz)"
    )
    con.execute(
        "insert into analytics.capacity_recommendations values "
        "('P2', 'Archive old partitions', '2027-01-15', 'lnxprd4.example.net', '{}', ?), "
        "('P1', 'Add 2 vCPU to lnxprd3 before the CPU reaches 85 %', '2026-12-14', ?, '{}', ?), "
        "('P3', 'Investigate runtime trend of kA', '2027-02-01', 'kA', '{}', ?)",
        [GENERATED, HOSTS[0], GENERATED, GENERATED],
    )
    con.execute(
        "create table analytics.maintenance_alerts (alert_id varchar, job_key varchar, host varchar, kind varchar, "
        "severity varchar, detected_on date, expected_cross date, weekly_growth double, related varchar, "
        "message varchar, generated_at timestamptz)"
    )
    con.execute(
        "insert into analytics.maintenance_alerts values ('a1', 'kA', null, 'runtime_trend', 'warning', ?, "
        "'2027-01-04', 0.05, ?, 'MART_BUILD runtime grows 5 %/week', ?)",
        [SUNDAY, HOSTS[0], GENERATED],
    )
    con.execute(
        "create table analytics.drift_reports (report_date date, check_name varchar, drift_detected boolean, "
        "drift_share double, details varchar, html_path varchar, generated_at timestamptz)"
    )
    con.execute(
        "insert into analytics.drift_reports values "
        "(?, 'job_duration', true, 0.4, '{\"drifted_columns\": [\"duration_seconds\"]}', null, ?), "
        "(?, 'status_mix', false, 0.0, '{}', null, ?), "
        "(?, 'job_duration', false, 0.0, '{}', null, ?)",
        [SUNDAY, GENERATED, SUNDAY, GENERATED, MONDAY - dt.timedelta(days=7), GENERATED],
    )

"""What the weekly capacity report says, read from the warehouse as plain dataclasses.

`gather(con, week)` reads every section from its table (the table is named in the section's
`source`, so every number in the report can be traced back); a table that does not exist yet leaves
its section empty with a plain message ("no forecast yet ...") instead of failing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from resync_assets.lib.metrics import DEGRADED_FROM_PERCENT, UNHEALTHY_FROM_PERCENT, health_state
from resync_assets.lib.report.week import IsoWeek
from resync_assets.lib.warehouse import existing_tables

HISTORY_DAYS = 56
FORECAST_DAYS = 35
KEY_JOBS = 4
CHART_HOSTS = 4
TOP_PATTERNS = 8
TOP_INCIDENT_GROUPS = 15
RESOURCES = ("cpu", "memory", "disk")
NO_FORECAST = "no forecast yet"


@dataclass
class ForecastPoint:
    """One future day of a forecast with its 80 % and 95 % bands."""

    ds: dt.date
    yhat: float
    lower_80: float | None
    upper_80: float | None
    lower_95: float | None
    upper_95: float | None


@dataclass
class Series:
    """A daily history and, when the forecaster made one, its forecast."""

    label: str
    unit: str
    history: list[tuple[dt.date, float]] = field(default_factory=list)
    forecast: list[ForecastPoint] = field(default_factory=list)
    model: str | None = None

    @property
    def last_value(self) -> float | None:
        return self.history[-1][1] if self.history else None


@dataclass
class Kpis:
    """The week in numbers (marts.agg_job_runs__daily, analytics.incident_analyses)."""

    runs: int = 0
    failures: int = 0
    previous_runs: int = 0
    previous_failures: int = 0
    incidents: int = 0
    incidents_resolved: int = 0
    incidents_open: int = 0

    @property
    def failure_rate(self) -> float | None:
        return self.failures / self.runs if self.runs else None

    @property
    def runs_change(self) -> float | None:
        return (self.runs - self.previous_runs) / self.previous_runs if self.previous_runs else None


@dataclass
class Eta:
    """When a host resource is expected to cross a threshold (analytics.capacity_threshold_eta)."""

    host: str
    resource: str
    threshold: float
    eta_50: dt.date | None
    eta_10: dt.date | None
    weeks_to_50: int | None
    prob_cross: float | None


@dataclass
class HostRow:
    """A host's busiest level this week (day's p95 of hourly p95, highest day) and its state."""

    host: str
    cpu: float | None
    memory: float | None
    disk: float | None
    state: str | None
    nearest_eta: Eta | None = None


@dataclass
class Pattern:
    """A failure mode (analytics.joblog_pattern_clusters)."""

    summary: str
    template: str
    runs: int
    runs_this_week: int
    jobs_affected: int
    growth_per_week: float | None
    trend: str
    last_seen: dt.datetime | None


@dataclass
class IncidentGroup:
    """The week's failed runs of one job with one cause (analytics.incident_analyses)."""

    job: str
    family: str
    cause: str
    failures: int
    resolved: int
    acknowledged: int
    last_failure: dt.datetime | None
    last_run_id: str
    fix: str | None = None


@dataclass
class DriftFinding:
    """One drift check of the newest drift report up to the week's end (analytics.drift_reports)."""

    report_date: dt.date
    check: str
    drift_detected: bool
    drift_share: float | None
    details: str


@dataclass
class Recommendation:
    """A capacity recommendation (analytics.capacity_recommendations)."""

    priority: str
    action: str
    deadline: dt.date | None
    subject: str
    subject_key: str | None = None


@dataclass
class MaintenanceAlert:
    """A predictive-maintenance alert (analytics.maintenance_alerts)."""

    subject: str
    kind: str
    severity: str
    expected_cross: dt.date | None
    weekly_growth: float | None
    message: str


@dataclass
class ReportData:
    """Everything the report shows; `missing` maps a section to why it is empty."""

    week: IsoWeek
    generated_at: dt.datetime
    kpis: Kpis = field(default_factory=Kpis)
    runs: Series | None = None
    failures: Series | None = None
    job_runtimes: list[Series] = field(default_factory=list)
    host_series: dict[str, list[Series]] = field(default_factory=dict)
    hosts: list[HostRow] = field(default_factory=list)
    etas: list[Eta] = field(default_factory=list)
    patterns: list[Pattern] = field(default_factory=list)
    incidents: list[IncidentGroup] = field(default_factory=list)
    drift: list[DriftFinding] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    alerts: list[MaintenanceAlert] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    thresholds: tuple[float, float] = (DEGRADED_FROM_PERCENT, UNHEALTHY_FROM_PERCENT)


def _rows(con, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _f(value) -> float | None:
    return None if value is None else float(value)


class _Reader:
    def __init__(self, con, data: ReportData) -> None:
        self.con = con
        self.data = data
        self.tables = existing_tables(con)

    def has(self, table: str) -> bool:
        return table in self.tables

    def need(self, section: str, *tables: str, message: str | None = None) -> bool:
        """True when every table exists; else note the section as missing."""
        self.data.sources.setdefault(section, []).extend(
            t for t in tables if t not in self.data.sources[section]
        )
        absent = [t for t in tables if not self.has(t)]
        if absent:
            what = message or "no data yet"
            self.data.missing[section] = f"{what} ({', '.join(absent)} not in the warehouse)"
            return False
        return True


def gather(con, week: IsoWeek, *, now: dt.datetime | None = None) -> ReportData:
    """Read every section of the report for `week` from the warehouse connection `con`."""
    data = ReportData(week=week, generated_at=now or dt.datetime.now(dt.UTC))
    r = _Reader(con, data)
    _kpis(r, week)
    _workload(r, week)
    _job_runtimes(r, week)
    _hosts(r, week)
    _patterns(r, week)
    _incidents(r, week)
    _drift(r, week)
    _recommendations(r, week)
    _alerts(r, week)
    return data


def _window(week: IsoWeek) -> tuple[dt.date, dt.date]:
    return week.end - dt.timedelta(days=HISTORY_DAYS - 1), week.end


def _latest_forecast(r: _Reader, where: str, params: list) -> dict[str, tuple[list[ForecastPoint], str]]:
    """Forecast points of the newest generation, per series_id, for the weeks after the report week."""
    if not r.has("analytics.capacity_forecasts"):
        return {}
    rows = _rows(
        r.con,
        f"""
        select series_id, ds, yhat, yhat_lower_80, yhat_upper_80, yhat_lower_95, yhat_upper_95, model
        from analytics.capacity_forecasts
        where generated_at = (select max(generated_at) from analytics.capacity_forecasts) and {where}
          and ds > ? and ds <= ?
        order by series_id, ds
        """,
        [*params, r.data.week.end - dt.timedelta(days=7), r.data.week.end + dt.timedelta(days=FORECAST_DAYS)],
    )
    out: dict[str, tuple[list[ForecastPoint], str]] = {}
    for row in rows:
        out.setdefault(row["series_id"], ([], row["model"]))[0].append(
            ForecastPoint(
                row["ds"],
                float(row["yhat"]),
                _f(row["yhat_lower_80"]),
                _f(row["yhat_upper_80"]),
                _f(row["yhat_lower_95"]),
                _f(row["yhat_upper_95"]),
            )
        )
    return out


def _kpis(r: _Reader, week: IsoWeek) -> None:
    k = r.data.kpis
    if r.need("kpis", "marts.agg_job_runs__daily"):
        rows = r.con.execute(
            "select activity_date >= ? as this_week, sum(runs), sum(failures) from marts.agg_job_runs__daily "
            "where activity_date between ? and ? group by 1",
            [week.start, week.start - dt.timedelta(days=7), week.end],
        ).fetchall()
        for this_week, runs, failures in rows:
            if this_week:
                k.runs, k.failures = int(runs or 0), int(failures or 0)
            else:
                k.previous_runs, k.previous_failures = int(runs or 0), int(failures or 0)
    if r.need("kpis", "analytics.incident_analyses"):
        resolved = _resolved_sql(r)
        ((n, n_resolved),) = r.con.execute(
            f"select count(*), count(*) filter (where {resolved}) from analytics.incident_analyses a "
            "where cast(a.ended_at as date) between ? and ?",
            [week.start, week.end],
        ).fetchall()
        k.incidents, k.incidents_resolved = int(n), int(n_resolved)
        k.incidents_open = k.incidents - k.incidents_resolved


def _resolved_sql(r: _Reader) -> str:
    if r.has("analytics.incident_resolutions"):
        return "exists (select 1 from analytics.incident_resolutions s where s.run_id = a.run_id)"
    return "false"


def _workload(r: _Reader, week: IsoWeek) -> None:
    if not r.need("workload", "marts.agg_job_runs__daily"):
        return
    start, end = _window(week)
    rows = r.con.execute(
        "select activity_date, sum(runs), sum(failures) from marts.agg_job_runs__daily "
        "where activity_date between ? and ? group by 1 order by 1",
        [start, end],
    ).fetchall()
    runs = Series("runs per day", "runs", [(d, float(n)) for d, n, _ in rows])
    failures = Series("failed runs per day", "runs", [(d, float(f or 0)) for d, _, f in rows])
    if r.need("workload_forecast", "analytics.capacity_forecasts", message=NO_FORECAST):
        fc = _latest_forecast(r, "series_id = ?", ["volume:ALL"])
        runs.forecast, runs.model = fc.get("volume:ALL", ([], None))
        if not runs.forecast:
            r.data.missing["workload_forecast"] = f"{NO_FORECAST} for series volume:ALL"
    r.data.runs, r.data.failures = runs, failures


def _job_runtimes(r: _Reader, week: IsoWeek) -> None:
    if not r.need("job_runtimes", "marts.fct_job_runs", "marts.dim_jobs"):
        return
    name = "j.last_workstation || '#' || j.folder || j.job_stream_name || '.' || j.job_name"
    entities: list[str] = []
    if r.need("job_runtimes_forecast", "analytics.capacity_forecasts", message=NO_FORECAST):
        # The jobs whose forecast runtime grows the most over the horizon come first.
        entities = [
            row[0]
            for row in r.con.execute(
                "select entity from analytics.capacity_forecasts where series_kind = 'job_runtime' "
                "and generated_at = (select max(generated_at) from analytics.capacity_forecasts) "
                "group by entity order by (arg_max(yhat, ds) - arg_min(yhat, ds)) / nullif(abs(avg(yhat)), 0) "
                "desc nulls last, entity limit ?",
                [KEY_JOBS],
            ).fetchall()
        ]
        if not entities:
            r.data.missing["job_runtimes_forecast"] = f"{NO_FORECAST} for job runtimes"
    if not entities:
        entities = [
            row[0]
            for row in r.con.execute(
                f"select {name} from marts.dim_jobs j where j.successes > 0 "
                "order by j.avg_duration_seconds * j.successes desc nulls last, 1 limit ?",
                [KEY_JOBS],
            ).fetchall()
        ]
    start, end = _window(week)
    fc = _latest_forecast(r, "series_kind = 'job_runtime'", [])
    for entity in entities:
        rows = r.con.execute(
            f"select r.activity_date, median(r.duration_seconds) from marts.fct_job_runs r "
            f"join marts.dim_jobs j using (job_key) where {name} = ? and r.is_success "
            "and r.duration_seconds is not null and r.activity_date between ? and ? group by 1 order by 1",
            [entity, start, end],
        ).fetchall()
        s = Series(entity, "seconds", [(d, float(v)) for d, v in rows])
        sid = f"runtime:job={entity}"
        s.forecast, s.model = fc.get(sid, ([], None))
        r.data.job_runtimes.append(s)


def _hosts(r: _Reader, week: IsoWeek) -> None:
    if not r.need("hosts", "marts.agg_host_metrics__hourly"):
        return
    start, end = _window(week)
    rows = r.con.execute(
        """
        select host, cast(metric_hour as date) as ds,
               quantile_cont(p95_cpu_percent, 0.95), quantile_cont(p95_memory_percent, 0.95),
               quantile_cont(p95_disk_percent, 0.95)
        from marts.agg_host_metrics__hourly where cast(metric_hour as date) between ? and ?
        group by 1, 2 order by 1, 2
        """,
        [start, end],
    ).fetchall()
    history: dict[str, dict[str, list[tuple[dt.date, float]]]] = {}
    week_max: dict[str, dict[str, float]] = {}
    for host, ds, *values in rows:
        for resource, value in zip(RESOURCES, values):
            if value is None:
                continue
            history.setdefault(host, {}).setdefault(resource, []).append((ds, float(value)))
            if ds >= week.start:
                top = week_max.setdefault(host, {})
                top[resource] = max(top.get(resource, 0.0), float(value))
    etas: list[Eta] = []
    if r.need("etas", "analytics.capacity_threshold_eta", message=NO_FORECAST):
        for row in _rows(
            r.con,
            """
            select host, resource, threshold, min(eta_week_50) as eta_50, min(eta_week_10) as eta_10,
                   min(weeks_to_50) as weeks_to_50, max(prob_cross) as prob_cross
            from analytics.capacity_threshold_eta
            where generated_at = (select max(generated_at) from analytics.capacity_threshold_eta)
            group by 1, 2, 3 order by min(eta_week_50) nulls last, max(prob_cross) desc nulls last, 1, 2, 3
            """,
        ):
            etas.append(
                Eta(
                    row["host"],
                    row["resource"],
                    float(row["threshold"]),
                    row["eta_50"],
                    row["eta_10"],
                    row["weeks_to_50"],
                    _f(row["prob_cross"]),
                )
            )
    r.data.etas = etas
    nearest: dict[str, Eta] = {}
    for eta in etas:
        if eta.eta_50 is not None and (
            eta.host not in nearest or (nearest[eta.host].eta_50 or dt.date.max) > eta.eta_50
        ):
            nearest[eta.host] = eta
    for host in sorted(week_max):
        top = week_max[host]
        worst = max(top.values()) if top else None
        r.data.hosts.append(
            HostRow(
                host,
                top.get("cpu"),
                top.get("memory"),
                top.get("disk"),
                health_state(worst),
                nearest.get(host),
            )
        )
    # Hosts charted: nearest ETA first, then the busiest this week.
    ranked = sorted(
        r.data.hosts,
        key=lambda h: (
            h.nearest_eta.eta_50 if h.nearest_eta and h.nearest_eta.eta_50 else dt.date.max,
            -max(v for v in (h.cpu, h.memory, h.disk, 0.0) if v is not None),
            h.host,
        ),
    )
    charted = [h.host for h in ranked[:CHART_HOSTS]]
    fc = _latest_forecast(r, "series_kind like 'host_%'", []) if r.has("analytics.capacity_forecasts") else {}
    if r.has("analytics.capacity_forecasts") and not any(k.startswith("host:") for k in fc):
        r.data.missing["hosts_forecast"] = f"{NO_FORECAST} for hosts"
    elif not r.has("analytics.capacity_forecasts"):
        r.data.missing["hosts_forecast"] = (
            f"{NO_FORECAST} (analytics.capacity_forecasts not in the warehouse)"
        )
    r.data.sources.setdefault("hosts", []).append("analytics.capacity_forecasts")
    for resource in RESOURCES:
        series = []
        for host in charted:
            s = Series(host, "percent", history.get(host, {}).get(resource, []))
            sid = f"host:{host}:{resource}"
            s.forecast, s.model = fc.get(sid, ([], None))
            series.append(s)
        r.data.host_series[resource] = series


def _patterns(r: _Reader, week: IsoWeek) -> None:
    if not r.need("patterns", "analytics.joblog_pattern_clusters"):
        return
    rows = _rows(
        r.con,
        """
        select summary, representative_template as template, runs, jobs_affected, growth_per_week, trend,
               last_seen,
               coalesce((select sum(w.runs) from unnest(weekly) as t(w) where w.week_start = ?), 0) as this_week
        from analytics.joblog_pattern_clusters
        order by (trend = 'increasing') desc, coalesce(growth_per_week, 0) desc, runs desc, cluster_id
        limit ?
        """,
        [week.start, TOP_PATTERNS],
    )
    for row in rows:
        r.data.patterns.append(
            Pattern(
                row["summary"] or "",
                row["template"] or "",
                int(row["runs"] or 0),
                int(row["this_week"] or 0),
                int(row["jobs_affected"] or 0),
                _f(row["growth_per_week"]),
                row["trend"] or "",
                row["last_seen"],
            )
        )


def _incidents(r: _Reader, week: IsoWeek) -> None:
    if not r.need("incidents", "analytics.incident_analyses"):
        return
    resolved = _resolved_sql(r)
    acked = "false"
    if r.has("analytics.incident_acks"):
        acked = "exists (select 1 from analytics.incident_acks k where k.run_id = a.run_id)"
    fix = "null"
    if r.has("analytics.incident_resolutions"):
        fix = (
            "(select s.fix from analytics.incident_resolutions s join analytics.incident_analyses b "
            "using (run_id) where b.job_name = a.job_name and b.family = a.family and b.cause = a.cause "
            "order by s.recorded_at desc limit 1)"
        )
    rows = _rows(
        r.con,
        f"""
        select coalesce(a.job_name, '?') as job, coalesce(a.family, '?') as family, coalesce(a.cause, '') as cause,
               count(*) as failures, count(*) filter (where {resolved}) as resolved,
               count(*) filter (where {acked}) as acked, max(a.ended_at) as last_failure,
               arg_max(a.run_id, a.ended_at) as last_run_id, any_value({fix}) as fix
        from analytics.incident_analyses a
        where cast(a.ended_at as date) between ? and ?
        group by 1, 2, 3 order by count(*) - count(*) filter (where {resolved}) desc, failures desc, 1, 3
        limit ?
        """,
        [week.start, week.end, TOP_INCIDENT_GROUPS],
    )
    for row in rows:
        r.data.incidents.append(
            IncidentGroup(
                row["job"],
                row["family"],
                row["cause"],
                int(row["failures"]),
                int(row["resolved"]),
                int(row["acked"]),
                row["last_failure"],
                row["last_run_id"],
                row["fix"],
            )
        )


def _drift(r: _Reader, week: IsoWeek) -> None:
    if not r.need("drift", "analytics.drift_reports", message="no drift report yet"):
        return
    rows = _rows(
        r.con,
        """
        select report_date, check_name, drift_detected, drift_share, details from analytics.drift_reports
        where report_date = (select max(report_date) from analytics.drift_reports where report_date <= ?)
        order by drift_detected desc, check_name
        """,
        [week.end],
    )
    if not rows:
        r.data.missing["drift"] = f"no drift report up to {week.end}"
    for row in rows:
        r.data.drift.append(
            DriftFinding(
                row["report_date"],
                row["check_name"],
                bool(row["drift_detected"]),
                _f(row["drift_share"]),
                _short_details(row["details"]),
            )
        )


def _short_details(details: str | None, limit: int = 160) -> str:
    """A one-line reading of a drift report's JSON details."""
    if not details:
        return ""
    try:
        value = json.loads(details)
    except (TypeError, ValueError):
        return str(details)[:limit]
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if isinstance(item, (str, int, float, bool)) or item is None:
                parts.append(f"{key}: {item:.3g}" if isinstance(item, float) else f"{key}: {item}")
            elif isinstance(item, list) and all(isinstance(x, (str, int, float)) for x in item):
                parts.append(f"{key}: {', '.join(str(x) for x in item[:5])}")
        text = "; ".join(parts)
    else:
        text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _job_names(r: _Reader, keys: list[str]) -> dict[str, str]:
    """Readable names (WS#/FOLDER/STREAM.JOB, from marts.dim_jobs) of the job keys among `keys`."""
    if not keys or not r.has("marts.dim_jobs"):
        return {}
    rows = r.con.execute(
        "select job_key, last_workstation || '#' || folder || job_stream_name || '.' || job_name "
        "from marts.dim_jobs where job_key in (select unnest(?))",
        [sorted(set(keys))],
    ).fetchall()
    return {k: n for k, n in rows if n}


def _named(text: str, names: dict[str, str]) -> str:
    for key, name in names.items():
        text = text.replace(key, name)
    return text


def _recommendations(r: _Reader, week: IsoWeek) -> None:
    if not r.need("recommendations", "analytics.capacity_recommendations", message=NO_FORECAST):
        return
    cols = {c for (c,) in r.con.execute(
        "select column_name from information_schema.columns where table_schema = 'analytics' "
        "and table_name = 'capacity_recommendations'"
    ).fetchall()}  # fmt: skip
    # `wording`: the action as the LLM phrased it (already sanitised), else the rule's action.
    action = "coalesce(nullif(wording, ''), action)" if "wording" in cols else "action"
    for row in _rows(
        r.con,
        f"""
        select priority, {action} as action, deadline, subject from analytics.capacity_recommendations
        where generated_at = (select max(generated_at) from analytics.capacity_recommendations)
        order by priority, deadline nulls last, subject
        """,
    ):
        r.data.recommendations.append(
            Recommendation(
                row["priority"] or "P3", row["action"] or "", row["deadline"], row["subject"] or ""
            )
        )
    # Job subjects are job keys (hashes): shown by the job's name, the key kept in `subject_key`.
    names = _job_names(r, [x.subject for x in r.data.recommendations])
    if names:
        r.data.sources["recommendations"].append("marts.dim_jobs")
    for rec in r.data.recommendations:
        rec.subject_key = rec.subject
        rec.subject = names.get(rec.subject, rec.subject)
        rec.action = _named(rec.action, names)


def _alerts(r: _Reader, week: IsoWeek) -> None:
    if not r.need("alerts", "analytics.maintenance_alerts", message=NO_FORECAST):
        return
    cols = {c for (c,) in r.con.execute(
        "select column_name from information_schema.columns where table_schema = 'analytics' "
        "and table_name = 'maintenance_alerts'"
    ).fetchall()}  # fmt: skip
    subject = ", ".join(c for c in ("job", "job_key", "host") if c in cols) or "''"
    for row in _rows(
        r.con,
        f"""
        select coalesce({subject}, '') as subject, kind, severity, expected_cross, weekly_growth, message
        from analytics.maintenance_alerts
        where generated_at = (select max(generated_at) from analytics.maintenance_alerts)
        order by expected_cross nulls last, severity, kind
        limit 20
        """,
    ):
        r.data.alerts.append(
            MaintenanceAlert(
                row["subject"],
                row["kind"] or "",
                row["severity"] or "",
                row["expected_cross"],
                _f(row["weekly_growth"]),
                row["message"] or "",
            )
        )
    names = _job_names(r, [a.subject for a in r.data.alerts])
    for alert in r.data.alerts:
        alert.subject = names.get(alert.subject, alert.subject)
        alert.message = _named(alert.message, names)

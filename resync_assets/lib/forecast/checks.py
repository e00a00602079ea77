"""Table checks of the forecasting and drift tables: each returns (problems, rows checked)."""

from __future__ import annotations

import json

from resync_assets.lib.warehouse import table_exists

KINDS = ("runtime_trend", "failure_rate", "pattern_growth", "host_growth")


def _rows(con, sql: str) -> list:
    return con.execute(sql).fetchall()


def check_forecasts(con) -> tuple[list[str], int]:
    if not table_exists(con, "analytics", "capacity_forecasts"):
        return [], 0
    n = _rows(con, "select count(*) from analytics.capacity_forecasts")[0][0]
    bad = _rows(
        con,
        """select series_id, ds from analytics.capacity_forecasts
        where not (yhat_lower_95 <= yhat_lower_80 + 1e-9 and yhat_lower_80 <= yhat + 1e-9
                   and yhat <= yhat_upper_80 + 1e-9 and yhat_upper_80 <= yhat_upper_95 + 1e-9)
           or isnan(yhat) or isnan(yhat_lower_95) or isnan(yhat_upper_95)
           or ds <= (select max(last_observed) from analytics.capacity_forecast_models m
                     where m.series_id = capacity_forecasts.series_id)
        limit 20""",
    )
    problems = [f"{s} {d}: intervals not nested, NaN or not in the future" for s, d in bad]
    missing = _rows(
        con,
        """select distinct f.series_id from analytics.capacity_forecasts f
        left join analytics.capacity_forecast_models m using (series_id)
        where m.series_id is null or m.model is null limit 20""",
    )
    # MASE itself may be NULL: a series whose seasonal differences are all 0 has no scale.
    problems += [f"{s}: no model row" for (s,) in missing]
    return problems, n


def check_eta(con) -> tuple[list[str], int]:
    if not table_exists(con, "analytics", "capacity_threshold_eta"):
        return [], 0
    n = _rows(con, "select count(*) from analytics.capacity_threshold_eta")[0][0]
    bad = _rows(
        con,
        """select host, resource, week from (
            select *, lag(prob_cross) over (partition by host, resource order by week) as prev
            from analytics.capacity_threshold_eta)
        where prob_cross < 0 or prob_cross > 1 or prob_cross + 1e-12 < prev
           or (eta_week_50 is not null and eta_week_10 is not null and eta_week_50 < eta_week_10)
        limit 20""",
    )
    return [
        f"{h} {r} week {w}: probability out of range, decreasing, or 50 % before 10 %" for h, r, w in bad
    ], n


def check_alerts(con) -> tuple[list[str], int]:
    if not table_exists(con, "analytics", "maintenance_alerts"):
        return [], 0
    rows = _rows(con, "select alert_id, kind, detected_on, expected_cross from analytics.maintenance_alerts")
    problems = [f"{a}: unknown kind {k}" for a, k, _, _ in rows if k not in KINDS]
    problems += [
        f"{a}: expected_cross {c} before detected_on {d}"
        for a, _, d, c in rows
        if c is not None and d is not None and c < d
    ]
    ids = [r[0] for r in rows]
    if len(ids) != len(set(ids)):
        problems.append("duplicate alert ids")
    return problems, len(rows)


def check_recommendations(con) -> tuple[list[str], int]:
    if not table_exists(con, "analytics", "capacity_recommendations"):
        return [], 0
    rows = _rows(con, "select priority, action, deadline, evidence from analytics.capacity_recommendations")
    problems = []
    for p, a, d, e in rows:
        if p not in ("P1", "P2", "P3") or not a or d is None:
            problems.append(f"bad row: {p} {a!r} {d}")
        try:
            json.loads(e)
        except (TypeError, ValueError):
            problems.append(f"evidence is not JSON: {str(e)[:60]}")
    return problems, len(rows)


def latest_drift(con):
    """(latest report day, checks that drifted on it, checks on it)."""
    if not table_exists(con, "analytics", "drift_reports"):
        return None, [], 0
    rows = _rows(
        con,
        "select report_date, check_name, drift_detected from analytics.drift_reports "
        "where report_date = (select max(report_date) from analytics.drift_reports)",
    )
    if not rows:
        return None, [], 0
    return rows[0][0], [c for _, c, d in rows if d], len(rows)


CHECKS = {
    "capacity_forecasts": check_forecasts,
    "capacity_threshold_eta": check_eta,
    "maintenance_alerts": check_alerts,
    "capacity_recommendations": check_recommendations,
}

"""Capacity recommendations from deterministic rules over the ETA table and the maintenance alerts.

Rules (first match wins per host resource):
* already over the threshold, or 50 % crossing probability within `p1_weeks` → P1, deadline a week
  before the ETA (today when already over);
* 50 % within `p2_weeks` → P2, deadline a week before the ETA;
* 10 % within the horizon → P3 (watch), deadline at the 10 % week.
Maintenance alerts add P1 (crossing within 14 days) or P2 (later) "investigate" recommendations.
The evidence is JSON: the forecast (last value, value at the ETA), the ETA, the jobs that drive the
growth (runtime trend on the host's workstations) and any linked alert.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from resync_assets.lib.forecast.eta import eta_sentence

RECOMMENDATION_COLUMNS = [
    "priority",
    "action",
    "deadline",
    "subject",
    "kind",
    "evidence",
    "worded_by",
    "generated_at",
]
_ACTIONS = {
    "cpu": "Add CPU capacity to {host} or move batch load off it",
    "memory": "Add memory to {host} or spread memory-heavy jobs to other hosts",
    "disk": "Free or extend disk space on {host} (archive, purge old backups, grow the file system)",
}


@dataclass(frozen=True)
class RecommendConfig:
    """Week limits of the priorities."""

    p1_weeks: int = 4
    p2_weeks: int = 8


def _alert_subject(a) -> str:
    """What an alert is about: its job, else its host, else (an error pattern, which has neither)
    the pattern's representative template and cluster id from the alert's evidence."""
    for value in (a.job_key, a.host):
        if isinstance(value, str) and value:
            return value
    try:
        evidence = json.loads(a.evidence) if isinstance(a.evidence, str) else {}
    except ValueError:
        evidence = {}
    template = evidence.get("representative_template")
    cluster = evidence.get("cluster_id")
    if template:
        return (
            f"error pattern '{template[:60]}' (cluster {cluster})"
            if cluster is not None
            else f"error pattern '{template[:60]}'"
        )
    if cluster is not None:
        return f"error pattern cluster {cluster}"
    return str(a.related or a.job or a.alert_id)


def _d(x) -> date | None:
    if x is None or (isinstance(x, float) and pd.isna(x)) or x is pd.NaT:
        return None
    return pd.Timestamp(x).date()


def recommendations(
    eta: pd.DataFrame,
    forecasts: pd.DataFrame,
    alerts: pd.DataFrame | None = None,
    drivers: pd.DataFrame | None = None,
    config: RecommendConfig = RecommendConfig(),
    *,
    today: date | None = None,
    generated_at: datetime | None = None,
) -> pd.DataFrame:
    """Recommendations (see module docstring). `drivers`: host, job, weekly_growth of growing jobs."""
    generated_at = generated_at or datetime.now(UTC)
    rows = []
    if len(eta):
        first = eta.sort_values("week").groupby(["host", "resource"], sort=True).first().reset_index()
        for r in first.itertuples(index=False):
            start = _d(r.week_start)
            today_ = today or (start - timedelta(days=1) if start else date.today())
            w50 = None if pd.isna(r.weeks_to_50) else int(r.weeks_to_50)
            w10 = None if pd.isna(r.weeks_to_10) else int(r.weeks_to_10)
            if w50 is not None and w50 <= config.p1_weeks:
                priority = "P1"
                deadline = today_ if w50 == 0 else max(today_, _d(r.eta_week_50) - timedelta(days=7))
            elif w50 is not None and w50 <= config.p2_weeks:
                priority, deadline = "P2", _d(r.eta_week_50) - timedelta(days=7)
            elif w10 is not None:
                priority, deadline = "P3", _d(r.eta_week_10)
            else:
                continue
            sid = f"host:{r.host}:{r.resource}"
            fc = forecasts[forecasts["series_id"] == sid].sort_values("ds")
            fc_days = pd.to_datetime(fc["ds"]).dt.date
            at_eta = fc[fc_days <= (_d(r.eta_day_50) or _d(r.eta_week_10) or today_)].tail(1)
            jobs = []
            if drivers is not None and len(drivers):
                d = drivers[drivers["host"] == r.host].sort_values("weekly_growth", ascending=False).head(5)
                jobs = [
                    {"job": j.job, "weekly_growth": round(float(j.weekly_growth), 4)}
                    for j in d.itertuples(index=False)
                ]
            evidence = {
                "eta": eta_sentence(r.host, r.resource, r.threshold, w50),
                "threshold": r.threshold,
                "weeks_to_50": w50,
                "weeks_to_10": w10,
                "eta_week_50": str(_d(r.eta_week_50)) if _d(r.eta_week_50) else None,
                "forecast_series": sid,
                "forecast_at_eta": round(float(at_eta["yhat"].iloc[0]), 2) if len(at_eta) else None,
                "forecast_upper_95_at_eta": round(float(at_eta["yhat_upper_95"].iloc[0]), 2)
                if len(at_eta)
                else None,
                "growth_drivers": jobs,
            }
            action = _ACTIONS[r.resource].format(host=r.host)
            if priority == "P3":
                action = f"Watch {r.resource} of {r.host}: 10 % chance to pass {r.threshold:g} % within the horizon"
            rows.append(
                {
                    "priority": priority,
                    "action": action,
                    "deadline": deadline,
                    "subject": r.host,
                    "kind": f"capacity_{r.resource}",
                    "evidence": json.dumps(evidence, default=str, sort_keys=True),
                    "worded_by": "rules",
                    "generated_at": generated_at,
                }
            )
    if alerts is not None and len(alerts):
        for a in alerts.itertuples(index=False):
            cross = _d(a.expected_cross)
            detected = _d(a.detected_on)
            if cross is None or detected is None:
                continue
            priority = "P1" if (cross - detected).days <= 14 else "P2"
            subject = _alert_subject(a)
            # The subject is the job's key (joins to marts.dim_jobs); the action names the job.
            named = isinstance(a.job_key, str) and a.job_key and isinstance(a.job, str) and a.job
            label = a.job if named else subject
            rows.append(
                {
                    "priority": priority,
                    "action": f"Investigate {a.kind.replace('_', ' ')} of {label} before {cross}",
                    "deadline": max(detected, cross - timedelta(days=7)),
                    "subject": subject,
                    "kind": a.kind,
                    "evidence": json.dumps(
                        {"alert_id": a.alert_id, "message": a.message, "related": a.related}
                        | ({"job": label} if named else {}),
                        default=str,
                        sort_keys=True,
                    ),
                    "worded_by": "rules",
                    "generated_at": generated_at,
                }
            )
    out = pd.DataFrame(rows, columns=RECOMMENDATION_COLUMNS)
    return out.sort_values(["priority", "deadline", "subject"]).reset_index(drop=True)

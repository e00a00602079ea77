"""Predictive maintenance: jobs whose runtime or failure rate grows and will cross a limit soon.

Rules, evaluated for every job at a day `as_of` on its daily history (one matrix, jobs × days, so a
whole estate is a few array operations):

* runtime (`runtime_trend`): the log of the day's median successful runtime, with the job's
  weekday profile (from its baseline window) removed and month-end days (last two of a month) left
  out. Baseline: days `as_of-90 .. as_of-28`; recent window: the last 28 days. Alert when
  - the last 7 days' median is already over the band (baseline median × (1 + `runtime_limit`)), a
    runtime step, or
  - the recent least-squares slope is significant (t ≥ `min_t`) and the fitted level reaches the
    band within `horizon_days`.
* failure rate (`failure_rate`): the daily failure share over the last 42 days, weighted by runs;
  alert when its slope is significant and the fitted rate reaches `failure_limit` within
  `horizon_days` (or is already over it for the last 14 days while the baseline was not).
* error-pattern frequency (`pattern_growth`): failure-mode clusters whose weekly count grows and
  will double within `horizon_days`.
* `host_growth`: a job alert whose host has a growing resource forecast is linked to it
  ("BACKUP_FULL +5 %/week and disk +3 %/week on the same host: related").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

ALERT_COLUMNS = [
    "alert_id",
    "job_key",
    "job",
    "host",
    "kind",
    "severity",
    "detected_on",
    "expected_cross",
    "weekly_growth",
    "related",
    "message",
    "evidence",
    "generated_at",
]


@dataclass(frozen=True)
class AlertConfig:
    """Limits and windows of the alert rules."""

    runtime_limit: float = 0.5  # band: +50 % over the job's baseline median
    failure_limit: float = 0.2  # failure share
    horizon_days: int = 28
    baseline_days: int = 90
    recent_days: int = 28
    failure_days: int = 42
    min_t: float = 3.0
    min_z: float = 5.0
    slope_margin: float = 1.0
    min_progress: float = 0.5
    trend_min_z: float = 5.0
    min_recent_points: int = 10
    max_chance: float = 1e-3  # binomial probability of the last two weeks' failures at the baseline rate
    min_baseline_points: int = 10
    host_growth_min: float = 0.01  # relative weekly growth of a host resource worth linking


def _month_end(days: pd.DatetimeIndex) -> np.ndarray:
    return (days + pd.Timedelta(days=2)).month != days.month


@dataclass
class JobMatrix:
    """Daily job history as matrices (jobs × days)."""

    jobs: pd.DataFrame  # job_key, job, host (one row per matrix row)
    days: pd.DatetimeIndex
    log_runtime: np.ndarray  # NaN where no successful run
    runs: np.ndarray
    failures: np.ndarray

    @classmethod
    def from_daily(cls, daily: pd.DataFrame) -> JobMatrix:
        """From rows job_key, job, host, day, runs, failures, median_duration (seconds)."""
        daily = daily.copy()
        daily["day"] = pd.to_datetime(daily["day"])
        jobs = (
            daily.sort_values("day")
            .groupby("job_key", sort=True)
            .agg(job=("job", "last"), host=("host", "last"))
            .reset_index()
        )
        days = pd.date_range(daily["day"].min(), daily["day"].max(), freq="D")
        ji = pd.Index(jobs["job_key"]).get_indexer(daily["job_key"])
        di = days.get_indexer(daily["day"])
        shape = (len(jobs), len(days))
        lr = np.full(shape, np.nan)
        runs = np.zeros(shape)
        fails = np.zeros(shape)
        dur = daily["median_duration"].to_numpy(dtype=float)
        ok = np.isfinite(dur) & (dur > 0)
        lr[ji[ok], di[ok]] = np.log(dur[ok])
        runs[ji, di] = daily["runs"].to_numpy(dtype=float)
        fails[ji, di] = daily["failures"].to_numpy(dtype=float)
        return cls(jobs, days, lr, runs, fails)


def _nan_ols(y: np.ndarray, x: np.ndarray, w: np.ndarray | None = None):
    """Row-wise (weighted) least squares of y on x ignoring NaN: slope, se, level at x[-1], n."""
    m = np.isfinite(y)
    if w is None:
        w = np.ones_like(y)
    w = np.where(m, w, 0.0)
    yy = np.where(m, y, 0.0)
    sw = w.sum(axis=1)
    n = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar = (w * x).sum(axis=1) / sw
        ybar = (w * yy).sum(axis=1) / sw
        dx = x[None, :] - xbar[:, None]
        dy = yy - ybar[:, None]
        sxx = (w * dx * dx).sum(axis=1)
        sxy = (w * dx * dy).sum(axis=1)
        slope = sxy / sxx
        resid = np.where(m, dy - slope[:, None] * dx, 0.0)
        var = (w * resid * resid).sum(axis=1) / np.maximum(n - 2, 1) / (sw / np.maximum(n, 1))
        se = np.sqrt(var / sxx * (sw / np.maximum(n, 1)))
        level = ybar + slope * (x[-1] - xbar)
    return slope, se, level, n


def runtime_signals(mat: JobMatrix, t: int, cfg: AlertConfig) -> pd.DataFrame:
    """Runtime rule for every job at day index `t` (inclusive)."""
    L = mat.log_runtime
    days = mat.days
    me = _month_end(days)
    r0 = max(0, t - cfg.recent_days + 1)
    b0 = max(0, t - cfg.baseline_days + 1)
    b1 = r0
    dow = days.dayofweek.to_numpy()
    base = L[:, b0:b1].copy()
    base[:, me[b0:b1]] = np.nan
    # Weekday profile of the baseline, centred; missing weekdays count as 0.
    prof = np.zeros((L.shape[0], 7))
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for d in range(7):
                cols = dow[b0:b1] == d
                if cols.any():
                    prof[:, d] = np.nanmedian(base[:, cols], axis=1)
            centre = np.nanmedian(prof, axis=1)
            prof = np.nan_to_num(prof - centre[:, None])
            adj_base = base - prof[:, dow[b0:b1]]
            b = np.nanmedian(adj_base, axis=1)
            s = 1.4826 * np.nanmedian(np.abs(adj_base - b[:, None]), axis=1)
            nb = np.isfinite(adj_base).sum(axis=1)
            rec = L[:, r0 : t + 1].copy()
            rec[:, me[r0 : t + 1]] = np.nan
            z = rec - prof[:, dow[r0 : t + 1]] - b[:, None]
            x = np.arange(z.shape[1], dtype=float)
            slope, se, level, n = _nan_ols(z, x)
            last7 = np.nanmedian(z[:, -7:], axis=1)
            n7 = np.isfinite(z[:, -7:]).sum(axis=1)
            last14 = np.nanmedian(z[:, -14:], axis=1)
            n14 = np.isfinite(z[:, -14:]).sum(axis=1)
    lim = np.log1p(cfg.runtime_limit)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _runtime_rules(L, slope, se, level, n, last7, n7, last14, n14, s, nb, lim, cfg)


def _runtime_rules(L, slope, se, level, n, last7, n7, last14, n14, s, nb, lim, cfg) -> pd.DataFrame:
    tstat = slope / se
    days_to = np.where(slope > 0, (lim - level) / slope, np.inf)
    # The median of n daily values strays about 1.25 s / sqrt(n) from the level: a step must be both
    # over the band and `min_z` such errors above the baseline (checked on 7 and 14 days).
    se7 = 1.25 * np.maximum(s, 1e-6) / np.sqrt(np.maximum(n7, 1))
    se14 = 1.25 * np.maximum(s, 1e-6) / np.sqrt(np.maximum(n14, 1))
    over = ((n7 >= 4) & (last7 >= lim) & (last7 >= cfg.min_z * se7)) | (
        (n14 >= 8) & (last14 >= lim) & (last14 >= cfg.min_z * se14)
    )
    # A trend counts when even its slope's lower bound reaches the band within the horizon.
    slope_lo = slope - cfg.slope_margin * se
    days_lo = np.where(slope_lo > 0, (lim - level) / slope_lo, np.inf)
    trend = (
        (n >= cfg.min_recent_points)
        & (tstat >= cfg.min_t)
        & (level < lim)
        & (days_lo <= cfg.horizon_days)
        # ... and the last week already runs clearly above the baseline (half-way to the band).
        & (last7 >= lim * cfg.min_progress)
        & (last7 >= cfg.trend_min_z * se7)
    )
    ok = nb >= cfg.min_baseline_points
    return pd.DataFrame(
        {
            "row": np.arange(L.shape[0]),
            "over": over & ok,
            "trend": trend & ok & ~over,
            "slope": slope,
            "t": tstat,
            "level": level,
            "last7": last7,
            "days_to": days_to,
        }
    )


def failure_signals(mat: JobMatrix, t: int, cfg: AlertConfig) -> pd.DataFrame:
    """Failure-rate rule for every job at day index `t`."""
    r0 = max(0, t - cfg.failure_days + 1)
    b0 = max(0, t - cfg.baseline_days + 1)
    runs = mat.runs[:, r0 : t + 1]
    fails = mat.failures[:, r0 : t + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(runs > 0, fails / runs, np.nan)
        x = np.arange(rate.shape[1], dtype=float)
        slope, se, level, n = _nan_ols(rate, x, w=runs)
        base_runs = mat.runs[:, b0:r0].sum(axis=1)
        base_rate = np.where(base_runs > 0, mat.failures[:, b0:r0].sum(axis=1) / base_runs, np.nan)
        last14 = mat.failures[:, t - 13 : t + 1].sum(axis=1) / np.maximum(
            mat.runs[:, t - 13 : t + 1].sum(axis=1), 1
        )
        tstat = slope / se
    lim = cfg.failure_limit
    from scipy.stats import binom

    f14 = mat.failures[:, t - 13 : t + 1].sum(axis=1)
    n14 = mat.runs[:, t - 13 : t + 1].sum(axis=1)
    # Over the limit for two weeks, and far beyond what the baseline rate would give by chance.
    p_chance = binom.sf(f14 - 1, n14.astype(int), np.clip(np.nan_to_num(base_rate, nan=lim / 2), 0.01, 1))
    over = (
        (last14 >= lim)
        & (n14 >= 7)
        & (p_chance < cfg.max_chance)
        & (np.nan_to_num(base_rate, nan=1.0) < lim / 2)
    )
    slope_lo = slope - cfg.slope_margin * se
    with np.errstate(invalid="ignore", divide="ignore"):
        days_to = np.where(slope_lo > 0, (lim - level) / slope_lo, np.inf)
    trend = (
        (n >= cfg.min_recent_points) & (tstat >= cfg.min_t) & (level < lim) & (days_to <= cfg.horizon_days)
    )
    return pd.DataFrame(
        {
            "row": np.arange(mat.runs.shape[0]),
            "over": over,
            "trend": trend & ~over,
            "slope": slope,
            "t": tstat,
            "level": level,
            "base_rate": base_rate,
            "days_to": days_to,
        }
    )


def _alert_id(*parts) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def job_alerts(mat: JobMatrix, as_of: date | None = None, cfg: AlertConfig = AlertConfig()) -> pd.DataFrame:
    """Runtime and failure-rate alerts at `as_of` (default: the last day of the matrix)."""
    t = len(mat.days) - 1 if as_of is None else int(mat.days.get_loc(pd.Timestamp(as_of)))
    day = mat.days[t].date()
    rows = []
    rt = runtime_signals(mat, t, cfg)
    for r in rt[rt["over"] | rt["trend"]].itertuples(index=False):
        j = mat.jobs.iloc[r.row]
        growth = float(np.expm1(r.slope * 7)) if np.isfinite(r.slope) else None
        if r.over:
            cross = day
            msg = (
                f"{j.job}: runtime is {np.expm1(r.last7):+.0%} over its baseline median for the last week, "
                f"beyond its normal band (+{cfg.runtime_limit:.0%})"
            )
            severity = "high"
        else:
            cross = day + timedelta(days=int(np.ceil(r.days_to)))
            msg = (
                f"{j.job}: runtime {growth:+.1%}/week (now {np.expm1(r.level):+.0%} over baseline), "
                f"crosses its normal band (+{cfg.runtime_limit:.0%}) around {cross}"
            )
            severity = "high" if r.days_to <= 14 else "medium"
        rows.append(_row(j, "runtime_trend", severity, day, cross, growth, msg, {"t": r.t, "level": r.level}))
    fr = failure_signals(mat, t, cfg)
    for r in fr[fr["over"] | fr["trend"]].itertuples(index=False):
        j = mat.jobs.iloc[r.row]
        growth = float(r.slope * 7) if np.isfinite(r.slope) else None
        if r.over:
            cross = day
            msg = f"{j.job}: failure rate over the last 2 weeks is above {cfg.failure_limit:.0%}"
            severity = "high"
        else:
            cross = day + timedelta(days=int(np.ceil(r.days_to)))
            msg = (
                f"{j.job}: failure rate {r.level:.0%} and rising {growth * 100:+.1f} points/week, "
                f"reaches {cfg.failure_limit:.0%} around {cross}"
            )
            severity = "high" if r.days_to <= 14 else "medium"
        rows.append(
            _row(
                j,
                "failure_rate",
                severity,
                day,
                cross,
                growth,
                msg,
                {"t": r.t, "rate": r.level, "base": r.base_rate},
            )
        )
    return pd.DataFrame(rows, columns=[c for c in ALERT_COLUMNS if c != "generated_at"])


def _row(j, kind, severity, day, cross, growth, msg, evidence) -> dict:
    return {
        "alert_id": _alert_id(kind, j.job_key, day),
        "job_key": j.job_key,
        "job": j.job,
        "host": j.host,
        "kind": kind,
        "severity": severity,
        "detected_on": day,
        "expected_cross": cross,
        "weekly_growth": growth,
        "related": None,
        "message": msg,
        "evidence": json.dumps(
            {
                k: (None if v is None or not np.isfinite(v) else round(float(v), 4))
                for k, v in evidence.items()
            }
        ),
    }


def pattern_alerts(clusters: pd.DataFrame, day: date, cfg: AlertConfig = AlertConfig()) -> pd.DataFrame:
    """Failure-mode clusters (`analytics.joblog_pattern_clusters`) growing fast enough to double
    within the horizon, one alert per cluster."""
    rows = []
    if clusters is None or not len(clusters):
        return pd.DataFrame(rows, columns=[c for c in ALERT_COLUMNS if c != "generated_at"])
    weeks_to_double = cfg.horizon_days / 7
    min_growth = 2 ** (1 / weeks_to_double) - 1
    for c in clusters.itertuples(index=False):
        g = c.growth_per_week
        if g is None or not np.isfinite(g) or g < min_growth or (c.runs or 0) < 5:
            continue
        weeks = np.log(2) / np.log1p(g)
        cross = day + timedelta(days=int(np.ceil(weeks * 7)))
        jobs = list(c.jobs)[:5] if c.jobs is not None else []
        rows.append(
            {
                "alert_id": _alert_id("pattern_growth", c.template_id, day),
                "job_key": None,
                "job": ", ".join(jobs),
                "host": None,
                "kind": "pattern_growth",
                "severity": "medium",
                "detected_on": day,
                "expected_cross": cross,
                "weekly_growth": float(g),
                "related": None,
                "message": f"error pattern '{(c.representative_template or '')[:80]}' grows {g:+.0%}/week "
                f"({c.runs} failed runs), doubles by {cross}",
                "evidence": json.dumps({"template_id": int(c.template_id), "runs": int(c.runs)}),
            }
        )
    return pd.DataFrame(rows, columns=[c for c in ALERT_COLUMNS if c != "generated_at"])


def link_hosts(
    alerts: pd.DataFrame, host_models: pd.DataFrame, cfg: AlertConfig = AlertConfig()
) -> pd.DataFrame:
    """Link runtime alerts to a growing resource of the job's host; add one `host_growth` alert per
    linked host resource. `host_models`: series_id 'host:<host>:<resource>', entity, weekly_growth."""
    if alerts is None or not len(alerts) or host_models is None or not len(host_models):
        return alerts
    hm = host_models[host_models["series_id"].str.startswith("host:")].copy()
    hm["resource"] = hm["series_id"].str.rsplit(":", n=1).str[1]
    growing = hm[hm["weekly_growth"].fillna(0) >= cfg.host_growth_min]
    out = alerts.copy()
    extra = []
    for i, a in out.iterrows():
        if a["kind"] != "runtime_trend" or not isinstance(a["host"], str):
            continue
        g = growing[growing["entity"] == a["host"]]
        if not len(g):
            continue
        best = g.sort_values("weekly_growth", ascending=False).iloc[0]
        out.at[i, "related"] = f"{best['entity']}:{best['resource']}"
        sentence = (
            f"{a['job']} {a['weekly_growth']:+.0%}/week and {best['resource']} {best['weekly_growth']:+.0%}/week "
            "on the same host: related"
        )
        out.at[i, "message"] = f"{a['message']}; {sentence}"
        extra.append(
            {
                "alert_id": _alert_id(
                    "host_growth", best["entity"], best["resource"], a["job_key"], a["detected_on"]
                ),
                "job_key": a["job_key"],
                "job": a["job"],
                "host": best["entity"],
                "kind": "host_growth",
                "severity": a["severity"],
                "detected_on": a["detected_on"],
                "expected_cross": a["expected_cross"],
                "weekly_growth": float(best["weekly_growth"]),
                "related": a["job"],
                "message": sentence,
                "evidence": json.dumps({"series_id": best["series_id"], "job_alert": a["alert_id"]}),
            }
        )
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    return out


def finish(alerts: pd.DataFrame, generated_at: datetime | None = None) -> pd.DataFrame:
    """Stamp and order the alert table."""
    out = alerts.copy()
    out["generated_at"] = generated_at or datetime.now(UTC)
    return out[ALERT_COLUMNS].sort_values(["expected_cross", "kind", "alert_id"]).reset_index(drop=True)


JOB_DAILY_SQL = """
select job_key,
       any_value(workstation || '#' || folder || job_stream_name || '.' || job_name) as job,
       arg_max(host, started_at) as host,
       activity_date as day,
       count(*) filter (where is_terminal and not coalesce(is_rerun, false)) as runs,
       count(*) filter (where is_failure and not coalesce(is_rerun, false)) as failures,
       median(duration_seconds) filter (where is_success) as median_duration
from marts.fct_job_runs
where activity_date is not null and activity_date < (select max(activity_date) from marts.fct_job_runs)
group by job_key, activity_date
"""


def load_job_daily(con) -> pd.DataFrame:
    """Per job and complete day: first attempts, failed first attempts, median successful runtime
    (`marts.fct_job_runs`). Reruns are left out of the failure rate: one incident fails a job and its
    reruns, which is one failure of the job, not four."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = 'fct_job_runs'"
    ).fetchall()[0][0]
    if not exists:
        return pd.DataFrame(columns=["job_key", "job", "host", "day", "runs", "failures", "median_duration"])
    return con.execute(JOB_DAILY_SQL).df()

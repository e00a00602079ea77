"""Forecasting, threshold ETA, maintenance alerts and drift, graded against the simulator's truth.

    .venv/bin/python -m benchmarks.forecasting                 # everything (a few minutes on 2 cores)
    .venv/bin/python -m benchmarks.forecasting --parts speed   # one part: sim, speed, real
    .venv/bin/python -m benchmarks.forecasting --parts sim --only alerts   # the alert grading alone
    .venv/bin/python -m benchmarks.forecasting --parts eta     # only the threshold ETA (~10 s a seed)

Parts:
* `sim`: for each seed, a planted estate (`WorkloadConfig(plant=True, runtime_shift_day=...)`,
  `--days` of history, the runtime shift `--shift-after` days before the end). The daily series the
  product forecasts (host CPU / memory / disk daily p95, job volume overall and per workstation,
  runtime of the top jobs) are built from the simulator's own runs and samples (same aggregation as
  the marts), cut before the shift. Graded:
  - interval coverage and MASE over rolling-origin backtests (3 origins, 28-day horizon, Prophet
    tried on every series as in the product), MASE of the model used / seasonal naive on the same
    held-out days;
  - threshold ETA: for every host resource whose truth crosses its threshold, the ETA made 6
    weeks before the truth's day (`trend_eta` on the host's daily p95 up to then); error of the 50 %
    ETA day, next to a hinge told the true onset (what the noise allows); false ETAs on resources
    never crossing (`--parts eta` runs only this, without the forecasts);
  - maintenance alerts evaluated every day: lead time of the first alert before the truth's crossing
    (creeping runtime, rising failure rate), delay after the onset (runtime step), share of jobs with
    nothing planted that ever get an alert;
  - drift: the job-duration check on each of the 28 stable days before the shift and on the shift day
    and the day after.
* `speed`: forecasting and calibrating 1,000 daily series of 730 days (25 with Prophet, the rest with
  the fast models), MASE recorded for every series.
* `real`: `resync forecast`'s forecaster (Prophet tried, as the CLI does; `--no-prophet` for the
  fast models only, as tests/forecast/test_real_series.py) on the public series in
  tests/fixtures/forecast: daily series 28 days ahead from an origin every week over the last year,
  sub-daily half a day ahead from an origin every hour; coverage per series with its standard error
  (the windows overlap, so about one independent sample per horizon's length) and the Box-Cox λ the
  intervals were calibrated on.
Figures go to stdout and benchmarks/results/forecasting.json (`--only alerts`: forecasting-alerts.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import numpy as np
import pandas as pd

from resync_assets.lib.forecast.forecaster import forecast_batch
from resync_assets.lib.forecast.series import parse_freq

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "forecast"
DAY = parse_freq("D")


# -- the simulator's history ----------------------------------------------------------------------


def simulate(
    seed: int, days: int, jobs: int, end: date, shift_after: int, plant_job_share: float | None = None
):
    """Runs (one row per run), daily host p95s and the truth of one planted estate
    (`plant_job_share`: share of eligible jobs given a degradation; the simulator's default when None)."""
    from resync_assets.sim.clock import ManualClock
    from resync_assets.sim.hostmetrics import host_day_arrays
    from resync_assets.sim.planted import RESOURCES, daily_p95
    from resync_assets.sim.workload import Workload, WorkloadConfig

    shift_day = end - timedelta(days=shift_after)
    share = {} if plant_job_share is None else {"plant_job_share": plant_job_share}
    cfg = WorkloadConfig(
        seed=seed,
        days=days,
        jobs=jobs,
        end_date=end,
        plant=True,
        runtime_shift_day=shift_day,
        cache_days=3,
        **share,
    )
    wl = Workload(cfg, ManualClock(datetime.combine(end, dtime.max, UTC)))
    topo = wl.topology
    runs, hosts = [], []
    d = wl.start_date
    while d <= end - timedelta(days=1):
        for s in wl.day(d).streams:
            for j in s.jobs:
                jd = j.jd
                key = f"{jd.workstation}#{jd.folder}{s.sd.name}.{jd.name}"
                maxdur = jd.max_duration or np.nan
                for r in j.runs:
                    dur = (r.end - r.start) if r.start is not None else None
                    # The job's window as the API serves it (timeRestrictions): maxdur, and the
                    # time from this run's start to the deadline.
                    budget = (
                        j.sched + jd.deadline_offset - r.start
                        if jd.deadline_offset and r.start is not None
                        else np.nan
                    )
                    runs.append((key, jd.workstation, d, r.status, r.rc, dur, r.attempt, maxdur, budget))
        arrays = host_day_arrays(wl, d, 10)
        for w in topo.workstations:
            if w.type == "POOL":
                continue
            for res in RESOURCES:
                hosts.append((w.name, res, d, daily_p95(arrays[w.name][res], 6)))
        d += timedelta(days=1)
    runs = pd.DataFrame(
        runs,
        columns=[
            "job_key",
            "workstation",
            "day",
            "status",
            "return_code",
            "duration_seconds",
            "attempt",
            "maxdur_seconds",
            "deadline_budget",
        ],
    )
    runs["day"] = pd.to_datetime(runs["day"])
    runs["is_success"] = runs["status"] == "SUCC"
    runs["is_terminal"] = runs["status"].isin(["SUCC", "ABEND", "FAIL", "CANCL", "SUPPR"])
    runs["common_status"] = runs["status"]
    hosts = pd.DataFrame(hosts, columns=["workstation", "resource", "day", "y"])
    hosts["day"] = pd.to_datetime(hosts["day"])
    from resync_assets.sim.truth import planted_truth

    truth = planted_truth(wl)
    trend_jobs = {
        f"{j.workstation}#{j.folder}{topo.streams[j.stream_idx].name}.{j.name}" for j in topo.trend_jobs()
    }
    planted_jobs = {
        f"{t['workstation']}#{t['folder']}{t['job_stream_name']}.{t['job_name']}": t
        for t in truth["degradations"]
    }
    return {
        "runs": runs,
        "hosts": hosts,
        "truth": truth,
        "shift_day": shift_day,
        "start": wl.start_date,
        "trend_jobs": trend_jobs,
        "planted_jobs": planted_jobs,
    }


def job_daily(runs: pd.DataFrame) -> pd.DataFrame:
    """Per job and day: first attempts, failed first attempts, median successful runtime and the
    job's window (maxdur, start to deadline), as `alerts.load_job_daily`."""
    g = runs[runs["is_terminal"] & (runs["attempt"] == 1)].groupby(["job_key", "day"])
    out = pd.DataFrame(
        {
            "runs": g.size(),
            "failures": g["status"].apply(lambda s: int(s.isin(["ABEND", "FAIL"]).sum())),
        }
    )
    ok = runs[runs["is_success"]].groupby(["job_key", "day"])
    out = out.join(ok["duration_seconds"].median().rename("median_duration"))
    if "maxdur_seconds" in runs:  # runs without windows (tests' own worlds) leave them out
        out = out.join(g["maxdur_seconds"].median().rename("max_duration"))
        in_time = runs[runs["is_success"] & (runs["deadline_budget"] > 0)].groupby(["job_key", "day"])
        out = out.join(in_time["deadline_budget"].median())
    out = out.reset_index()
    out["job"] = out["job_key"]
    out["host"] = out["job_key"].str.split("#").str[0]
    return out


def product_series(sim: dict, top_jobs: int = 10) -> dict[str, tuple[str, np.ndarray]]:
    """The daily series the product forecasts, cut before the shift: id → (kind, values)."""
    cut = pd.Timestamp(sim["shift_day"])
    runs = sim["runs"][sim["runs"]["day"] < cut]
    days = pd.date_range(runs["day"].min(), cut - pd.Timedelta(days=1), freq="D")
    out = {}
    vol = runs.groupby("day").size().reindex(days, fill_value=0)
    out["volume:ALL"] = ("job_volume", vol.to_numpy(float))
    for ws, g in runs.groupby("workstation"):
        out[f"volume:ws={ws}"] = (
            "job_volume",
            g.groupby("day").size().reindex(days, fill_value=0).to_numpy(float),
        )
    ok = runs[runs["is_success"]]
    per_day = ok.groupby("job_key")["day"].nunique()
    daily_jobs = per_day[per_day >= 0.9 * len(days)].index
    top = (
        ok[ok["job_key"].isin(daily_jobs)]
        .groupby("job_key")["duration_seconds"]
        .sum()
        .nlargest(top_jobs)
        .index
    )
    for key in top:
        s = ok[ok["job_key"] == key].groupby("day")["duration_seconds"].median().reindex(days)
        out[f"runtime:job={key}"] = ("job_runtime", s.interpolate(limit_direction="both").to_numpy(float))
    h = sim["hosts"][sim["hosts"]["day"] < cut]
    for (ws, res), g in h.groupby(["workstation", "resource"]):
        out[f"host:{ws}:{res}"] = (f"host_{res}", g.sort_values("day")["y"].to_numpy(float))
    return out, days


def grade_forecasts(
    series: dict, days: pd.DatetimeIndex, horizon: int = 28, origins: int = 3, prophet: bool = True
):
    """Rolling-origin coverage and MASE of the product's forecaster on `series`."""
    ids = list(series)
    Y = np.vstack([series[i][1] for i in ids])
    kinds = [series[i][0] for i in ids]
    n = Y.shape[1]
    upper = np.array([100.0 if k.startswith("host_") else np.inf for k in kinds])
    rows = []
    for o in [n - horizon - k * 14 for k in range(origins)][::-1]:
        b = forecast_batch(
            Y[:, :o],
            days[:o],
            DAY,
            horizon,
            prophet_rows=range(len(ids)) if prophet else (),
            lower_bound=0.0,
            upper_bound=upper,
        )
        actual = Y[:, o : o + horizon]
        snaive = np.tile(Y[:, o - 7 : o], (1, horizon // 7 + 1))[:, :horizon]
        for i, sid in enumerate(ids):
            mae = np.mean(np.abs(actual[i] - b.yhat[i]))
            mae_naive = np.mean(np.abs(actual[i] - snaive[i]))
            rows.append(
                {
                    "series": sid,
                    "kind": kinds[i],
                    "origin": int(o),
                    "model": b.model[i],
                    "in80": float(np.mean((actual[i] >= b.lower[80][i]) & (actual[i] <= b.upper[80][i]))),
                    "in95": float(np.mean((actual[i] >= b.lower[95][i]) & (actual[i] <= b.upper[95][i]))),
                    "mae": mae,
                    "mae_snaive": mae_naive,
                    "backtest_mase": float(b.mase_model[i]),
                    "backtest_mase_baseline": float(b.mase_baseline[i]),
                }
            )
    return pd.DataFrame(rows)


def grade_eta(sim: dict) -> pd.DataFrame:
    """ETA at 6 weeks before each truth crossing; false ETAs where the truth never crosses.

    The product's `trend_eta` sees the host's daily p95 up to the origin. `oracle_error_days`: the
    error of a hinge fit told the true onset day (least squares, weekday profile), what the noise of
    the series allows at best with a linear trend."""
    from resync_assets.lib.forecast.eta import trend_eta

    cut = pd.Timestamp(sim["shift_day"])
    start = pd.Timestamp(sim["start"])
    rows = []
    hosts = sim["hosts"][sim["hosts"]["day"] < cut]
    for t in sim["truth"]["host_thresholds"]:
        g = hosts[
            (hosts["workstation"] == t["workstation"]) & (hosts["resource"] == t["resource"])
        ].sort_values("day")
        y = g["y"].to_numpy(float)
        ds = pd.DatetimeIndex(g["day"])
        if t["already_over"]:
            continue
        if t["crosses_on"] is not None:
            origin = pd.Timestamp(t["crosses_on"]) - pd.Timedelta(days=42)
            case = "crosses"
            # Gradable only when the growth is visible at the origin: the ramp began 3+ weeks before.
            if t["onset"] is not None and origin < pd.Timestamp(t["onset"]) + pd.Timedelta(days=21):
                continue
        elif not t["planted"] and t.get("background_pp_per_week", 0) == 0:
            origin = cut
            case = "never"
        else:
            continue
        o = int((origin - start).days)
        if o < 56 or o > len(y):
            continue
        eta = trend_eta(ds[o - 1].date(), y[:o], t["threshold"], horizon_days=84)
        err = oracle = pit = None
        if case == "crosses" and eta["eta_day_50"] is not None:
            err = (eta["eta_day_50"] - t["crosses_on"]).days
        if case == "crosses":
            # Where the truth's day falls in the crossing-day distribution, uniform over the cases
            # when the probabilities are honest. The distribution is over whole days, often a few
            # (a smooth disk), so the mid-distribution value: P(before that day) + P(on it) / 2, not
            # P(by that day), which reads an exact ETA with 90 % on its day as outside the window.
            k = (t["crosses_on"] - ds[o - 1].date()).days
            by = np.concatenate([[float(eta["already_over"])], eta["cum"]])  # by[j]: P(crossed by day j)
            pit = (by[min(max(k - 1, 0), len(by) - 1)] + by[min(max(k, 0), len(by) - 1)]) / 2
        if case == "crosses" and t["onset"] is not None:
            oracle = _oracle_error(y[:o], ds[:o], pd.Timestamp(t["onset"]), t["threshold"], t["crosses_on"])
        rows.append(
            {
                "host": t["workstation"],
                "resource": t["resource"],
                "case": case,
                "onset": t["onset"],
                "pp_per_week": round(t["pp_per_week"] + t.get("background_pp_per_week", 0.0), 2),
                "truth": t["crosses_on"],
                "eta_day_50": eta["eta_day_50"],
                "error_days": err,
                "oracle_error_days": oracle,
                "pit_of_truth": pit,
                "weeks_to_50": eta["weeks_to_50"],
                "weeks_to_10": eta["weeks_to_10"],
                "slope_per_week": round(eta["slope_per_week"], 2),
                "model": eta["shape"],
            }
        )
    return pd.DataFrame(rows)


def _oracle_error(
    y: np.ndarray, ds: pd.DatetimeIndex, onset: pd.Timestamp, threshold: float, truth
) -> int | None:
    """Crossing-day error of a least-squares hinge at the true onset (with a weekday profile)."""
    n = len(y)
    tau = float((onset - ds[0]).days)
    wd = (np.arange(n + 200) + ds[0].weekday()) % 7
    X = np.column_stack(
        [np.ones(n + 200), np.maximum(np.arange(n + 200) - tau, 0.0)]
        + [(wd == d).astype(float) - (wd == 6) for d in range(6)]
    )
    ok = np.isfinite(y)
    beta, *_ = np.linalg.lstsq(X[:n][ok], y[ok], rcond=None)
    path = X[n:] @ beta
    over = np.flatnonzero(path >= threshold)
    if not len(over):
        return None
    return int((ds[-1] + pd.Timedelta(days=int(over[0]) + 1) - pd.Timestamp(truth)).days)


def cadence(daily: pd.DataFrame) -> pd.Series:
    """Per job, `daily`, `weekly` or `monthly` by the median gap between its days with runs."""
    days = daily[daily["runs"] > 0].sort_values("day")
    gap = days.groupby("job_key")["day"].apply(lambda d: d.diff().dt.days.median())
    return pd.cut(gap.fillna(0), [-1, 4, 19, np.inf], labels=["daily", "weekly", "monthly"]).astype(str)


SPARSE_GROWTH = 0.05  # a week, the creep planted in the grading's copy of some clean weekly jobs


def plant_sparse_creep(
    daily: pd.DataFrame, jobs: list[str], onset: pd.Timestamp
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """`daily` with the runtimes of `jobs` growing `SPARSE_GROWTH` a week from `onset` (the
    simulator plants degradations on daily jobs only; this is the grading's own case for weekly
    ones), and the day they cross +50 %."""
    out = daily.copy()
    age = (pd.to_datetime(out["day"]) - onset).dt.days.clip(lower=0)
    hit = out["job_key"].isin(jobs)
    out.loc[hit, "median_duration"] *= np.exp(age[hit] / 7 * np.log1p(SPARSE_GROWTH))
    cross = onset + pd.Timedelta(days=int(np.ceil(7 * np.log(1.5) / np.log1p(SPARSE_GROWTH))))
    return out, cross


def grade_alerts(sim: dict, first_day: int = 56, cfg=None, sparse_creep: int = 3) -> dict:
    """Evaluate the alert rules every day before the shift; lead times, delays and false alerts.
    `sparse_creep` clean weekly jobs get a +5 %/week creep in the grading's copy of their history
    (onset 66 days before the shift: it crosses +50 % a week before it)."""
    from resync_assets.lib.forecast.alerts import AlertConfig, JobMatrix, failure_signals, runtime_signals

    cut = pd.Timestamp(sim["shift_day"])
    daily = job_daily(sim["runs"][sim["runs"]["day"] < cut])
    planted = dict(sim["planted_jobs"])
    excluded = set(planted) | sim["trend_jobs"]
    freq = cadence(daily)
    weekly = sorted(k for k in freq[freq == "weekly"].index if k not in excluded)
    sparse_jobs = weekly[:: max(1, len(weekly) // max(sparse_creep, 1))][:sparse_creep]
    if sparse_jobs:
        onset = cut - pd.Timedelta(days=66)
        daily, cross = plant_sparse_creep(daily, sparse_jobs, onset)
        for k in sparse_jobs:
            planted[k] = {
                "kind": "weekly_creeping_runtime",
                "onset": onset.date(),
                "crosses_on": cross.date(),
            }
    mat = JobMatrix.from_daily(daily)
    cfg = cfg or AlertConfig()
    first: dict[tuple[str, str], pd.Timestamp] = {}
    for t in range(first_day, len(mat.days)):
        day = mat.days[t]
        for kind, sig in (
            ("runtime_trend", runtime_signals(mat, t, cfg)),
            ("failure_rate", failure_signals(mat, t, cfg)),
        ):
            for r in sig[sig["over"] | sig["trend"]]["row"]:
                key = (mat.jobs["job_key"].iloc[r], kind)
                first.setdefault(key, day)
    cases = []
    for key, t in planted.items():
        kind = "failure_rate" if t["kind"] == "rising_failure" else "runtime_trend"
        onset, cross = pd.Timestamp(t["onset"]), pd.Timestamp(t["crosses_on"])
        hit = first.get((key, kind))
        early_false = hit is not None and hit < onset
        oracle = _oracle_ramp_z(mat, key, onset, cross) if t["kind"].endswith("creeping_runtime") else None
        oracle_p = _oracle_failure_p(mat, key, onset, cross) if t["kind"] == "rising_failure" else None
        cases.append(
            {
                "job": key,
                "kind": t["kind"],
                "onset": onset.date(),
                "crosses_on": cross.date(),
                "first_alert": None if hit is None else hit.date(),
                "lead_days": None if hit is None else (cross - hit).days,
                "delay_days": None if hit is None else (hit - onset).days,
                "before_onset": early_false,
                "gradable": bool(cross < cut and onset >= mat.days[first_day]),
                "oracle_z": oracle,
                "oracle_p": oracle_p,
            }
        )
    excluded |= set(planted)
    # Jobs with nothing planted that have enough history to be judged.
    enough = daily.groupby("job_key")["day"].nunique()
    clean = [k for k in enough[enough >= 28].index if k not in excluded]
    clean_set = set(clean)
    flagged = sorted({k for (k, _), _d in first.items() if k in clean_set})
    by_kind = {
        kind: len({k for (k, kd), _d in first.items() if k in clean_set and kd == kind})
        for kind in ("runtime_trend", "failure_rate")
    }
    # Weekly and month-end jobs with nothing planted (most have fewer than 28 days with runs, so
    # they are not among `clean`): how many, how many ever get a runtime alert.
    alerted = {k for (k, kind), _d in first.items() if kind == "runtime_trend"}
    sparse = {c: [k for k in freq[freq == c].index if k not in excluded] for c in ("weekly", "monthly")}
    return {
        "cases": pd.DataFrame(cases),
        "clean_jobs": len(clean),
        "clean_sparse": {c: len(ks) for c, ks in sparse.items()},
        "false_alert_sparse": {c: len(alerted.intersection(ks)) for c, ks in sparse.items()},
        "weekly_sigmas": _log_sigmas(daily, sparse["weekly"]),
        "false_alert_jobs": flagged,
        "false_alert_kinds": by_kind,
    }


def _log_sigmas(daily: pd.DataFrame, jobs: list[str]) -> list[float]:
    """Robust (MAD) spread of each job's log median runtime: the noise a creep must rise out of."""
    d = daily[daily["job_key"].isin(jobs) & (daily["median_duration"] > 0)]
    lr = np.log(d["median_duration"].astype(float))
    mad = lr.groupby(d["job_key"]).apply(lambda x: 1.4826 * (x - x.median()).abs().median())
    return [float(v) for v in mad.dropna()]


def _oracle_span(mat, key: str, onset: pd.Timestamp, cross: pd.Timestamp) -> tuple[int, int, int] | None:
    """The job's matrix row and the day indexes of the true onset and of the deadline two weeks
    before the crossing (None when the job or either day is not in the matrix)."""
    rows = np.flatnonzero(mat.jobs["job_key"].to_numpy() == key)
    deadline = cross - pd.Timedelta(days=14)
    if not len(rows) or onset not in mat.days or deadline not in mat.days:
        return None
    return int(rows[0]), int(mat.days.get_loc(onset)), int(mat.days.get_loc(deadline))


def _oracle_ramp_z(mat, key: str, onset: pd.Timestamp, cross: pd.Timestamp) -> float | None:
    """The ramp score two weeks before the crossing of a test told the true onset and given the
    job's pre-onset baseline (no search over start days, no multiple testing): how clear the creep
    is in the data at the deadline, whatever the detector."""
    from resync_assets.lib.forecast.alerts import _baseline, _month_end

    span = _oracle_span(mat, key, onset, cross)
    if span is None:
        return None
    row, o, d = span
    L = mat.log_runtime[[row]].copy()
    L[:, _month_end(mat.days)] = np.nan
    dow = mat.days.dayofweek.to_numpy()
    prof, _, level, sigma, _ = _baseline(L, dow, max(0, o - 90), o)
    z = (L[0, o : d + 1] - prof[0, dow[o : d + 1]] - level[0]) / sigma[0]
    w = np.arange(1, d - o + 2, dtype=float)
    ok = np.isfinite(z)
    return float((w[ok] * z[ok]).sum() / np.sqrt((w[ok] ** 2).sum())) if ok.any() else None


def _oracle_failure_p(mat, key: str, onset: pd.Timestamp, cross: pd.Timestamp) -> float | None:
    """The chance of at least the failures seen from the true onset to two weeks before the crossing
    under the job's failure rate of the 90 days before the onset (binomial, one test, no search over
    windows): how clear the rise is in the data at the deadline, whatever the detector."""
    from scipy.stats import binom

    span = _oracle_span(mat, key, onset, cross)
    if span is None:
        return None
    row, o, d = span
    runs, fails = mat.runs[row], mat.failures[row]
    b0 = max(0, o - 90)
    p0 = (fails[b0:o].sum() + 1.0) / (runs[b0:o].sum() + 2.0)
    n, f = int(runs[o : d + 1].sum()), int(fails[o : d + 1].sum())
    return float(binom.sf(f - 1, n, p0)) if f > 0 else 1.0


def pool_alerts(graded: list[tuple[int, dict]]) -> tuple[pd.DataFrame, dict]:
    """The cases (with a `seed` column) and figures of `grade_alerts` results of several seeds."""
    cases = pd.concat([a["cases"].assign(seed=seed) for seed, a in graded], ignore_index=True)
    kinds: dict = {}
    for _, a in graded:
        for k, v in a["false_alert_kinds"].items():
            kinds[k] = kinds.get(k, 0) + v
    clean = sum(a["clean_jobs"] for _, a in graded)
    flagged = sum(len(a["false_alert_jobs"]) for _, a in graded)
    out = summarize_alerts(cases, clean, flagged, kinds)
    for name in ("clean_sparse", "false_alert_sparse"):
        out[name] = {c: sum(a[name][c] for _, a in graded) for c in ("weekly", "monthly")}
    sig = [v for _, a in graded for v in a["weekly_sigmas"]]
    out["weekly_sigma_quartiles"] = (
        [round(float(q), 3) for q in np.quantile(sig, [0.25, 0.5, 0.75])] if sig else None
    )
    return cases, out


def summarize_alerts(cases: pd.DataFrame, clean: int, flagged: int, false_kinds: dict) -> dict:
    """Figures of `grade_alerts` over one or more seeds (cases with a `seed` column)."""
    g = cases[cases["gradable"]]
    early = g["lead_days"].fillna(-999) >= 14
    out = {
        "false_alert_jobs": int(flagged),
        "clean_jobs": int(clean),
        "false_alert_share": flagged / max(clean, 1),
        "false_alert_kinds": false_kinds,
        "alerts_before_onset": int(g["before_onset"].sum()),
    }
    for kind in ("creeping_runtime", "rising_failure", "weekly_creeping_runtime"):
        k = g["kind"] == kind
        out[kind] = {"gradable": int(k.sum()), "ge_14_days_early": int((early & k).sum())}
    wk = g[g["kind"] == "weekly_creeping_runtime"]
    out["weekly_creeping_runtime"]["by_crossing"] = int((wk["lead_days"].fillna(-999) >= 0).sum())
    creeping = g["kind"].isin(["creeping_runtime", "rising_failure"])
    out["alerts_gradable_creeping"] = int(creeping.sum())
    out["alerts_ge_14_days_early"] = int((early & creeping).sum())
    steps = g[g["kind"] == "runtime_step"]
    out["alerts_steps"] = len(steps)
    out["alerts_steps_found"] = int(steps["first_alert"].notna().sum())
    out["steps_median_delay_days"] = (
        None if steps["delay_days"].isna().all() else float(steps["delay_days"].median())
    )
    oz = g[g["kind"] == "creeping_runtime"]["oracle_z"].dropna()
    out["creeping_oracle_z_ge_3"] = int((oz >= 3).sum())
    out["creeping_oracle_z_median"] = float(oz.median()) if len(oz) else None
    op = g[g["kind"] == "rising_failure"]["oracle_p"].dropna()
    out["rising_oracle_p_lt_1e3"] = int((op < 1e-3).sum())
    out["rising_oracle_p_median"] = float(op.median()) if len(op) else None
    leads = g[g["kind"] == "creeping_runtime"]["lead_days"].dropna()
    out["creeping_runtime_median_lead_days"] = float(leads.median()) if len(leads) else None
    return out


def print_alerts(cases: pd.DataFrame, f: dict) -> None:
    g = cases[cases["gradable"]]
    print("\n== maintenance alerts, evaluated every day ==")
    print(
        g[["seed", "job", "kind", "onset", "crosses_on", "first_alert", "lead_days", "delay_days"]].to_string(
            index=False
        )
    )
    c, r = f["creeping_runtime"], f["rising_failure"]
    print(
        f"creeping runtime / rising failure flagged >= 14 days before crossing: {f['alerts_ge_14_days_early']}/"
        f"{f['alerts_gradable_creeping']} ({f['alerts_ge_14_days_early'] / max(f['alerts_gradable_creeping'], 1):.0%}): "
        f"creeping runtime {c['ge_14_days_early']}/{c['gradable']} (median lead {f['creeping_runtime_median_lead_days']} days), "
        f"rising failure {r['ge_14_days_early']}/{r['gradable']}; creeping cases whose ramp score two weeks before the "
        f"crossing is >= 3 for a test told the true onset: {f['creeping_oracle_z_ge_3']}/{c['gradable']} "
        f"(median {f['creeping_oracle_z_median']}); rising failure cases whose failures from the true onset to two weeks "
        f"before the crossing have a chance < 1e-3 under the pre-onset rate: {f['rising_oracle_p_lt_1e3']}/{r['gradable']} "
        f"(median chance {f['rising_oracle_p_median']:.2g}); runtime steps found: {f['alerts_steps_found']}/"
        f"{f['alerts_steps']}, median delay {f['steps_median_delay_days']} days; alerts before the onset: "
        f"{f['alerts_before_onset']}; false alerts: {f['false_alert_jobs']}/{f['clean_jobs']} jobs with nothing "
        f"planted ({f['false_alert_share']:.1%}; by rule {f['false_alert_kinds']})"
    )
    w, cs, fs = f["weekly_creeping_runtime"], f["clean_sparse"], f["false_alert_sparse"]
    print(
        f"weekly jobs given a +{SPARSE_GROWTH:.0%}/week creep by the grading: flagged >= 14 days before crossing "
        f"{w['ge_14_days_early']}/{w['gradable']}, by the crossing {w['by_crossing']}/{w['gradable']}; clean weekly "
        f"jobs with a runtime alert {fs['weekly']}/{cs['weekly']}, month-end jobs {fs['monthly']}/{cs['monthly']}; "
        f"weekly jobs' log-runtime noise (MAD sigma) quartiles {f['weekly_sigma_quartiles']}"
    )


def grade_drift(sim: dict) -> pd.DataFrame:
    """The drift checks on 28 stable days before the shift and on the shift day and the day after."""
    from resync_assets.lib.drift.monitor import DriftConfig, run_checks

    shift = pd.Timestamp(sim["shift_day"])
    runs = sim["runs"]
    data = {"runs": runs}
    rows = []
    for k in range(-28, 2):
        day = (shift + pd.Timedelta(days=k)).date()
        res = run_checks(data, day, DriftConfig())
        for r in res:
            if r.check_name not in ("job_duration", "status_mix", "return_code_mix"):
                continue
            score = next((v.get("score") for v in r.details.values() if isinstance(v, dict)), None)
            rows.append(
                {"day": day, "offset": k, "check": r.check_name, "drift": r.drift_detected, "score": score}
            )
    return pd.DataFrame(rows)


def eta_figures(eta: pd.DataFrame) -> dict:
    """The graded ETA figures of `grade_eta` rows (pooled over seeds)."""
    ok = eta[eta["case"] == "crosses"]
    never = eta[eta["case"] == "never"]
    err = ok["error_days"].abs()
    oracle = ok["oracle_error_days"].abs()
    return {
        "eta_cases": len(ok),
        "eta_within_7_days": int((err <= 7).sum()),
        "eta_median_abs_error_days": None if err.isna().all() else float(err.median()),
        "eta_none_within_12_weeks": int(ok["eta_day_50"].isna().sum()),
        "eta_oracle_within_7_days": int((oracle <= 7).sum()),
        "eta_oracle_cases": int(ok["onset"].notna().sum()),
        "eta_truth_in_10_90_window": int(ok["pit_of_truth"].between(0.1, 0.9).sum()),
        "eta_false_on_never": int(never["eta_day_50"].notna().sum()),
        "eta_false_10_on_never": int(never["weeks_to_10"].notna().sum()),
        "eta_never_cases": len(never),
    }


def report_eta(eta: pd.DataFrame) -> dict:
    """Print the ETA table and its figures; return the figures."""
    f = eta_figures(eta)
    ok = eta[eta["case"] == "crosses"]
    print("\n== threshold ETA, 6 weeks before the truth's crossing (the host's daily p95 up to then) ==")
    cols = [
        "seed",
        "host",
        "resource",
        "pp_per_week",
        "truth",
        "eta_day_50",
        "error_days",
        "oracle_error_days",
    ]
    print(ok[cols + ["slope_per_week", "model"]].to_string(index=False))
    n = max(f["eta_cases"], 1)
    print(
        f"within ±7 days: {f['eta_within_7_days']}/{f['eta_cases']} ({f['eta_within_7_days'] / n:.0%}); "
        f"median |error| {f['eta_median_abs_error_days']} days; no 50 % ETA within 12 weeks: "
        f"{f['eta_none_within_12_weeks']}; hinge told the true onset (oracle): "
        f"{f['eta_oracle_within_7_days']}/{f['eta_oracle_cases']} within ±7 days; the truth inside the "
        f"10-90 % window of the crossing-day distribution: {f['eta_truth_in_10_90_window']}/{f['eta_cases']} "
        "(80 % when the probabilities are honest)"
    )
    print(
        f"false ETA within 12 weeks on never-crossing resources: {f['eta_false_on_never']}/{f['eta_never_cases']} "
        f"at 50 %, {f['eta_false_10_on_never']}/{f['eta_never_cases']} at 10 %",
        flush=True,
    )
    return f


# -- speed ----------------------------------------------------------------------------------------


def synthetic_series(k: int, n: int, seed: int = 0) -> np.ndarray:
    """Daily series with level, trend, weekly and yearly seasonality, noise, spikes and level shifts."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = rng.uniform(20, 500, (k, 1))
    trend = rng.normal(0, 0.002, (k, 1)) * level * t
    weekly = rng.uniform(0, 0.2, (k, 1)) * level * np.sin(2 * np.pi * (t + rng.integers(0, 7, (k, 1))) / 7)
    yearly = rng.uniform(0, 0.2, (k, 1)) * level * np.sin(2 * np.pi * t / 365.25)
    noise = rng.normal(0, 1, (k, n)) * rng.uniform(0.02, 0.1, (k, 1)) * level
    y = level + trend + weekly + yearly + noise
    spikes = rng.random((k, n)) < 0.01
    y = np.where(spikes, y * rng.uniform(1.5, 3, (k, n)), y)
    shift_at = rng.integers(n // 4, n, k)
    has_shift = rng.random(k) < 0.2
    y += np.where(
        has_shift[:, None] & (t[None, :] >= shift_at[:, None]), rng.uniform(-0.3, 0.3, (k, 1)) * level, 0
    )
    return np.clip(y, 0, None)


def bench_speed(k: int = 1000, n: int = 730, prophet_series: int = 25, horizon: int = 84) -> dict:
    Y = synthetic_series(k, n)
    ds = pd.date_range("2024-01-01", periods=n, freq="D")
    started = time.perf_counter()
    cpu0 = time.process_time()
    b = forecast_batch(Y, ds, DAY, horizon, prophet_rows=range(prophet_series))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    return {
        "series": k,
        "history_days": n,
        "horizon": horizon,
        "prophet_series": prophet_series,
        "wall_seconds": round(wall, 1),
        "cpu_seconds_this_process": round(cpu, 1),
        "mase_recorded": int(np.isfinite(b.mase_model).sum()),
        "models": pd.Series(b.model).value_counts().to_dict(),
        "beats_baseline": int(np.sum(b.mase_model < b.mase_baseline)),
        "median_backtest_coverage_95": float(np.nanmedian(b.coverage[95])),
    }


# -- real-world series ----------------------------------------------------------------------------


def real_origins(n: int, freq) -> tuple[list[int], int, int]:
    """Rolling origins (prefix lengths), horizon and origin spacing for a public series of `n` steps.

    Daily: 28 days ahead from an origin every week over the last year (a full season of the data);
    sub-daily: half a day ahead from an origin every hour while two days of history remain. The
    windows overlap, so the coverage is an average over many placements rather than a dozen."""
    daily = freq.alias == "D"
    h = 28 if daily else round(freq.steps_per_day / 2)
    step = 7 if daily else max(1, round(freq.steps_per_day / 24))
    span = 364 if daily else n
    first = 2 * freq.season + 10
    return [o for o in range(n - h, max(n - h - span, first - 1), -step)][::-1], h, step


def coverage_se(hits: np.ndarray, h: int, step: int) -> float:
    """Standard error of a coverage averaged over overlapping windows: errors inside one window are
    correlated, so the effective sample is about the number of non-overlapping windows."""
    per_origin = hits.mean(axis=1)
    eff = max(1.0, len(per_origin) * step / h)
    return float(per_origin.std(ddof=1) / np.sqrt(eff)) if len(per_origin) > 1 else float("nan")


def bench_real(use_prophet: bool = True) -> pd.DataFrame:
    """Coverage of the forecaster on each public fixture series at rolling origins."""
    from resync_assets.lib.forecast.forecaster import forecast
    from resync_assets.lib.forecast.series import prepare

    rows = []
    for path in sorted(FIXTURES.glob("*.csv")):
        s = prepare(pd.read_csv(path), None, name=path.name)
        origins, h, step = real_origins(len(s), s.freq)
        for o in origins:
            sub = pd.DataFrame({"ds": s.ds[:o], "y": s.y[:o]})
            r = forecast(sub, h, freq=s.freq.alias, use_prophet=use_prophet)
            actual = s.y[o : o + h]
            f = r.frame
            snaive = np.tile(s.y[o - s.freq.season : o], h // s.freq.season + 1)[:h]
            rows.append(
                {
                    "series": path.stem,
                    "freq": s.freq.alias,
                    "points": o,
                    "horizon": h,
                    "step": step,
                    "model": r.model,
                    "box_cox_lambda": r.box_cox_lambda,
                    "hits80": (actual >= f["yhat_lower_80"]) & (actual <= f["yhat_upper_80"]),
                    "in80": float(np.mean((actual >= f["yhat_lower_80"]) & (actual <= f["yhat_upper_80"]))),
                    "in95": float(np.mean((actual >= f["yhat_lower_95"]) & (actual <= f["yhat_upper_95"]))),
                    "mae_ratio": float(
                        np.mean(np.abs(actual - f["yhat"])) / max(np.mean(np.abs(actual - snaive)), 1e-12)
                    ),
                }
            )
    return pd.DataFrame(rows)


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="benchmarks.forecasting", description=__doc__.split("\n")[0])
    p.add_argument(
        "--parts", nargs="+", default=["sim", "speed", "real"], choices=["sim", "eta", "speed", "real"]
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[42, 7, 11])
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--jobs", type=int, default=500)
    p.add_argument(
        "--shift-after", type=int, default=14, help="the runtime shift this many days before the end"
    )
    p.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 11, 30))
    p.add_argument("--no-prophet", action="store_true", help="fast models only (sim and real parts)")
    p.add_argument("--no-drift", action="store_true", help="skip the drift grading of the sim part")
    p.add_argument(
        "--only",
        choices=["alerts"],
        help="sim part: grade only the maintenance alerts (no forecasts, ETA, drift)",
    )
    p.add_argument("--plant-job-share", type=float, help="share of eligible jobs given a degradation")
    args = p.parse_args(argv)
    out: dict = {}
    pd.set_option("display.width", 200)
    if "sim" in args.parts and args.only == "alerts":
        graded = []
        for seed in args.seeds:
            t0 = time.perf_counter()
            sim = simulate(seed, args.days, args.jobs, args.end_date, args.shift_after, args.plant_job_share)
            graded.append((seed, grade_alerts(sim)))
            print(f"seed {seed}: simulated and graded in {time.perf_counter() - t0:.0f} s", flush=True)
        cases, figures = pool_alerts(graded)
        print_alerts(cases, figures)
        out["alerts"] = {"seeds": args.seeds, "days": args.days, "jobs": args.jobs, **figures}
    elif "sim" in args.parts:
        fc, eta, graded, drift = [], [], [], []
        for seed in args.seeds:
            t0 = time.perf_counter()
            sim = simulate(seed, args.days, args.jobs, args.end_date, args.shift_after)
            t1 = time.perf_counter()
            series, days = product_series(sim)
            fc.append(grade_forecasts(series, days, prophet=not args.no_prophet).assign(seed=seed))
            t2 = time.perf_counter()
            eta.append(grade_eta(sim).assign(seed=seed))
            graded.append((seed, grade_alerts(sim)))
            t3 = time.perf_counter()
            if not args.no_drift:
                drift.append(grade_drift(sim).assign(seed=seed))
            print(
                f"seed {seed}: simulated {len(sim['runs'])} runs in {t1 - t0:.0f} s, {len(series)} series "
                f"forecast in {t2 - t1:.0f} s, ETA+alerts {t3 - t2:.0f} s, drift {time.perf_counter() - t3:.0f} s",
                flush=True,
            )
        if not drift:
            drift = [
                pd.DataFrame({"day": [], "offset": [], "check": [], "drift": [], "score": [], "seed": []})
            ]
        fc, eta, drift = (pd.concat(x, ignore_index=True) for x in (fc, eta, drift))
        per_series = fc.groupby("series").agg(
            kind=("kind", "first"),
            in80=("in80", "mean"),
            in95=("in95", "mean"),
            mae=("mae", "sum"),
            mae_snaive=("mae_snaive", "sum"),
        )
        fc["ratio"] = fc["mae"] / fc["mae_snaive"].clip(lower=1e-12)
        ratio = fc.groupby(["seed", "series"]).apply(
            lambda g: g["mae"].sum() / max(g["mae_snaive"].sum(), 1e-12)
        )
        by_kind = fc.groupby("kind").agg(
            series=("series", "nunique"), in80=("in80", "mean"), in95=("in95", "mean")
        )
        by_kind["share_mase_lt_1"] = ratio.groupby(fc.groupby(["seed", "series"])["kind"].first()).apply(
            lambda r: float((r < 1).mean())
        )
        print("\n== forecasts on the simulator's history (3 origins x 28 days) ==")
        print(by_kind.round(3).to_string())
        print(
            f"pooled coverage: 80 % {fc['in80'].mean():.3f}, 95 % {fc['in95'].mean():.3f}; "
            f"MASE (model / seasonal naive, held-out) < 1 on {float((ratio < 1).mean()):.0%} of {len(ratio)} series; "
            f"median {float(ratio.median()):.3f}; models {fc['model'].value_counts().to_dict()}"
        )
        eta_figures = report_eta(eta)
        alerts, af = pool_alerts(graded)
        print_alerts(alerts, af)
        dj = drift[drift["check"] == "job_duration"]
        stable = dj[dj["offset"] < 0]
        found = dj[dj["offset"] >= 0].groupby("seed")["drift"].any()
        print("\n== drift monitor (job duration), +30 % runtime shift ==")
        print(
            f"shift found within 1 day: {int(found.sum())}/{len(found)} seeds; false detections on stable days: "
            f"{int(stable['drift'].sum())}/{len(stable)} ({stable['drift'].mean():.1%}); "
            f"scores stable median {stable['score'].median():.3f} max {stable['score'].max():.3f}, "
            f"shift day {dj[dj['offset'] == 0]['score'].round(3).tolist()}"
        )
        for check in ("status_mix", "return_code_mix"):
            st = drift[(drift["check"] == check) & (drift["offset"] < 0)]
            print(f"{check}: drift on {int(st['drift'].sum())}/{len(st)} stable days")
        out["sim"] = {
            "seeds": args.seeds,
            "days": args.days,
            "coverage_80": round(float(fc["in80"].mean()), 4),
            "coverage_95": round(float(fc["in95"].mean()), 4),
            "by_kind": json.loads(by_kind.round(4).to_json(orient="index")),
            "share_mase_lt_1": round(float((ratio < 1).mean()), 4),
            "series": len(ratio),
            **eta_figures,
            **{k: v for k, v in af.items() if k != "false_alert_share"},
            "drift_found_within_1_day": int(found.sum()),
            "drift_stable_days": len(stable),
            "drift_false_detections": int(stable["drift"].sum()),
        }
        _ = per_series
    if "eta" in args.parts and "sim" not in args.parts:
        eta = []
        for seed in args.seeds:
            sim = simulate(seed, args.days, args.jobs, args.end_date, args.shift_after)
            eta.append(grade_eta(sim).assign(seed=seed))
        out["eta"] = report_eta(pd.concat(eta, ignore_index=True))
    if "speed" in args.parts:
        print("\n== speed: 1,000 daily series x 730 days, 84-day horizon ==", flush=True)
        s = bench_speed()
        print(json.dumps(s))
        out["speed"] = s
    if "real" in args.parts:
        print("\n== public real-world series (tests/fixtures/forecast) ==", flush=True)
        r = bench_real(use_prophet=not args.no_prophet)
        per = r.groupby(["series", "freq"]).agg(
            origins=("in80", "size"),
            horizon=("horizon", "first"),
            step=("step", "first"),
            in80=("in80", "mean"),
            in95=("in95", "mean"),
            mae_ratio=("mae_ratio", "median"),
            box_cox=("box_cox_lambda", lambda x: ",".join(f"{v:g}" for v in sorted(set(x)))),
            models=("model", lambda m: ",".join(sorted(set(m)))),
        )
        per["se80"] = [
            coverage_se(np.vstack(g["hits80"].to_list()), int(g["horizon"].iloc[0]), int(g["step"].iloc[0]))
            for _, g in r.groupby(["series", "freq"])
        ]
        per["ok"] = per["in80"].between(0.75, 0.85) & per["in95"].between(0.90, 0.98)
        per = per[
            ["origins", "horizon", "step", "in80", "se80", "in95", "mae_ratio", "box_cox", "ok", "models"]
        ]
        print(per.round(3).to_string())
        out["real"] = json.loads(per.round(4).to_json(orient="index"))
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    name = "forecasting-alerts.json" if args.only == "alerts" else "forecasting.json"
    (results / name).write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

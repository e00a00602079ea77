"""Predictive maintenance: jobs whose runtime or failure rate grows and will cross a limit soon.

Rules, evaluated for every job at a day `as_of` on its daily history (one matrix, jobs × days, so a
whole estate is a few array operations). Each is a test with a known null distribution, since a
clean job is tested every day (docs/forecasting.md has the method and the measured figures):

* runtime (`runtime_trend`): log of the day's median successful runtime, month-end days left out,
  as residuals (in robust sigmas) against the job's baseline - weekday profile, level and sigma of
  the 90 days before the last 42. A ramp: the largest over its possible start days of the
  likelihood-ratio score of "a linear rise in log runtime from that day", whose null variance
  includes the baseline's own error; alert when it is over `ramp_z`, fits about as well as a level
  shift, and its slope (minus one standard error) crosses the band (+50 %) within the horizon, on 3
  of the last 4 days. A runtime step: the last 7 or 14 days already over the band. Weekly and
  month-end jobs (too few points for those windows) get the same test on longer ones
  (`sparse_windows`), the ramp holding after their last two runs; a job that runs (almost) only at
  month end keeps its month-end days.
* failure rate (`failure_rate`): the beta-binomial chance of the last 14-42 days' failures under
  the job's baseline rate (shrunk to the estate's); alert when it is tiny and the rise, projected,
  reaches `failure_limit` within the horizon (or the last 14 days are over it).
* error-pattern frequency (`pattern_growth`): failure-mode clusters whose weekly count grows and
  will double within `horizon_days`.
* `host_growth`: a job alert whose host has a growing resource forecast is linked to it
  ("BACKUP_FULL +5 %/week and disk +3 %/week on the same host: related").
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import asdict, dataclass, field, replace
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
class SparseWindow:
    """Longer windows of the runtime rule for jobs that run weekly or monthly (`AlertConfig` fields)."""

    recent_days: int
    baseline_days: int
    min_recent_points: int
    min_baseline_points: int
    step_days: tuple[int, int]
    ramp_z: float


@dataclass(frozen=True)
class AlertConfig:
    """Limits, windows and error rates of the alert rules."""

    runtime_limit: float = 0.5  # band: +50 % over the job's baseline median
    failure_limit: float = 0.2  # failure share
    horizon_days: int = 28  # warn when the crossing is projected within this many days
    baseline_days: int = 90  # reference window, ending where the recent window starts
    recent_days: int = 42  # window searched for the start of a ramp
    min_ramp_days: int = 7  # a ramp needs this many days of data after its start
    min_z: float = 5.0  # a runtime step: the last week/two weeks this many standard errors up
    ramp_z: float = 3.0  # ramp statistic (standard normal under no change) needed to alert
    step_margin: float = -1.0  # the ramp statistic may trail the level-shift one by at most this
    slope_margin: float = 1.0  # crossing projected from the slope minus this many standard errors
    clip_z: float = 3.0  # residuals are clipped to ±clip_z robust sigmas (one-off spikes)
    persistence: tuple[int, int] = (3, 4)  # the ramp holds on k of the last n days
    min_recent_points: int = 10
    min_baseline_points: int = 10
    step_days: tuple[int, int] = (7, 14)  # a runtime step: the median of these last days (4, 8 points)
    # Jobs with too few runs for the windows above (weekly, month-end) are tested again, same test,
    # on longer windows: the first of these whose point minimums the job meets.
    sparse_windows: tuple[SparseWindow, ...] = (
        SparseWindow(84, 252, 8, 8, (28, 56), 2.75),
        SparseWindow(182, 365, 5, 6, (120, 240), 2.75),
    )
    sparse_two_runs: bool = True  # on the longer windows, the ramp holds after the last two runs
    month_end_only: float = 2 / 3  # share of a job's runs on month-end days that makes it a month-end job
    min_sigma: float = 0.02  # floor of the robust log-runtime sigma (a job that never varies)
    failure_alpha: float = 3e-4  # chance level of the last weeks' failures at the baseline rate
    failure_windows: tuple[int, ...] = (14, 21, 28, 42)
    failure_prior_runs: float = 50.0  # weight of the estate-wide rate in a job's baseline rate
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
    # The job's window that day, in seconds of runtime (NaN: none set): its TWS maximum duration, and
    # the time from its start to its deadline.
    max_duration: np.ndarray | None = None
    deadline_budget: np.ndarray | None = None
    cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_daily(cls, daily: pd.DataFrame) -> JobMatrix:
        """From rows job_key, job, host, day, runs, failures, median_duration (seconds) and, when
        the loader has them, max_duration and deadline_budget (seconds)."""
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
        windows = {}
        for name in ("max_duration", "deadline_budget"):
            m = np.full(shape, np.nan)
            if name in daily:
                v = pd.to_numeric(daily[name], errors="coerce").to_numpy(dtype=float)
                ok = np.isfinite(v) & (v > 0)
                m[ji[ok], di[ok]] = v[ok]
            windows[name] = m
        return cls(jobs, days, lr, runs, fails, **windows)

    def take(self, rows: np.ndarray) -> JobMatrix:
        """The same days for a subset of the jobs (own cache)."""

        def sub(m):
            return None if m is None else m[rows]

        return JobMatrix(
            self.jobs.iloc[rows].reset_index(drop=True),
            self.days,
            self.log_runtime[rows],
            self.runs[rows],
            self.failures[rows],
            sub(self.max_duration),
            sub(self.deadline_budget),
        )


# The median of n values of spread sigma strays from the centre with variance about pi/2 sigma^2 / n;
# the mean winsorised at ±2.5 sigma (normal data) with about 1.1 sigma^2 / n.
_MEDIAN_VAR = np.pi / 2
_WINSOR_VAR = 1.1
_SIGMA_VAR = 0.6


def _baseline(L: np.ndarray, dow: np.ndarray, b0: int, b1: int):
    """Robust baseline of log runtime over columns [b0, b1): weekday profile (jobs × 7, shrunk
    towards 0 where a weekday's median is within its own sampling error), its sampling variance per
    weekday in units of sigma^2, the level and sigma (winsorised mean and standard deviation, the
    latter corrected for the fitted profile) and the number of points."""
    base = L[:, b0:b1]
    J = L.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        level0 = np.nanmedian(base, axis=1)
        sigma0 = 1.4826 * np.nanmedian(np.abs(base - level0[:, None]), axis=1)
        prof = np.full((J, 7), np.nan)
        nd = np.zeros((J, 7))
        for d in range(7):
            cols = dow[b0:b1] == d
            if cols.any():
                prof[:, d] = np.nanmedian(base[:, cols], axis=1) - level0
                nd[:, d] = np.isfinite(base[:, cols]).sum(axis=1)
        vd = _MEDIAN_VAR / np.maximum(nd, 1)  # sampling variance of a weekday median / sigma^2
        shrink = np.clip(1 - vd * sigma0[:, None] ** 2 / np.maximum(prof**2, 1e-12), 0, 1)
        prof = np.nan_to_num(prof * shrink)
        adj = base - prof[:, dow[b0:b1]]
        med = np.nanmedian(adj, axis=1)
        nb = np.isfinite(adj).sum(axis=1)
        fitted = 1 + (shrink > 0).sum(axis=1)
        mad = 1.4826 * np.nanmedian(np.abs(adj - med[:, None]), axis=1)
        # Level and sigma from the residuals winsorised at ±2.5 MAD-sigmas: as robust to outliers as
        # the median and the MAD, close to the mean's and the standard deviation's precision
        # (variances ~1.1 sigma^2 / n and ~0.6 sigma^2 / n against pi/2 and 1.36 for median and MAD).
        safe = np.where(mad > 0, mad, 1.0)
        w = np.clip((adj - med[:, None]) / safe[:, None], -2.5, 2.5)
        level = med + safe * np.nanmean(w, axis=1)
        # E[min(Z^2, 2.5^2)] = 0.9776 for a standard normal Z; the fitted profile uses up degrees of freedom.
        sigma = safe * np.sqrt(np.nanmean(w**2, axis=1) / 0.9776 * nb / np.maximum(nb - fitted, 1))
    return prof, np.where(shrink > 0, vd, 0.0), level, sigma, nb


def _ramp_weights(width: int, min_after: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hinge positions h (a ramp starting after column h, h = -1 at the window's start) and, per
    hinge, the ramp weights max(0, i - h) and the step weights [i > h]."""
    hinges = np.arange(-1, width - min_after)
    i = np.arange(width)
    ramp = np.maximum(0, i[None, :] - hinges[:, None]).astype(float)
    step = (i[None, :] > hinges[:, None]).astype(float)
    return hinges, ramp, step


def _scores(u0, m, weights, onehot, vd, vb):
    """sum(w u) and its null variance: sum(w^2) for the noise plus the errors of the baseline level
    (variance vb, shared by every day) and of each weekday's profile (vd), which every day of the
    window shares with its weekday."""
    num = u0 @ weights.T
    sw2 = m @ (weights**2).T
    sw = m @ weights.T
    per_day = np.einsum("jw,hw,wd->jhd", m, weights, onehot)
    var = sw2 + sw**2 * vb[:, None] + np.einsum("jhd,jd->jh", per_day**2, vd)
    return num, var, sw2


def _ramp_test(
    u: np.ndarray, u_fit: np.ndarray, dow: np.ndarray, vd: np.ndarray, vb: np.ndarray, cfg: AlertConfig
):
    """One-sided likelihood-ratio test of "a linear ramp from an unknown day" against "no change"
    on standardised residuals `u` (jobs × window, NaN where no run): for each hinge the score
    sum(w_i u_i) / sd is standard normal without a change (sd allows for the baseline's own error);
    the largest over the hinges is the ramp statistic. The same with step weights gives the step
    statistic, so a level shift (which a ramp also fits, worse) is told from a ramp. The slope at the
    best hinge comes from `u_fit`, clipped less: a real ramp soon runs 3 sigmas over the baseline,
    where the test's clipping would flatten it."""
    width = u.shape[1]
    hinges, ramp, step = _ramp_weights(width, cfg.min_ramp_days)
    if not len(hinges):  # a window shorter than a ramp's minimum: nothing to test yet
        none, nan = np.full(u.shape[0], -np.inf), np.full(u.shape[0], np.nan)
        return none, none.copy(), nan, nan.copy(), nan.copy()
    onehot = (dow[:, None] == np.arange(7)[None, :]).astype(float)
    m = np.isfinite(u).astype(float)
    u0 = np.where(m > 0, u, 0.0)
    num, var, sw2 = _scores(u0, m, ramp, onehot, vd, vb)
    snum, svar, _ = _scores(u0, m, step, onehot, vd, vb)
    after = m @ step.T
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(after >= cfg.min_ramp_days // 2 + 1, num / np.sqrt(var), -np.inf)
        step_score = np.where(after >= 1, snum / np.sqrt(svar), -np.inf)
    best = np.argmax(score, axis=1)
    rows = np.arange(u.shape[0])
    stat = score[rows, best]
    with np.errstate(invalid="ignore", divide="ignore"):
        w_best = np.maximum(0, np.arange(width)[None, :] - hinges[best][:, None])
        slope = (np.where(m > 0, u_fit, 0.0) * w_best).sum(axis=1) / sw2[rows, best]  # sigmas per day
        se = np.sqrt(var[rows, best]) / sw2[rows, best]
    age = (width - 1 - hinges[best]).astype(float)
    return stat, step_score.max(axis=1), slope, se, age


def _runtime_at(mat: JobMatrix, t: int, cfg: AlertConfig) -> dict:
    """The runtime rule at day index `t` on the default windows; jobs with too few points there
    (weekly, month-end) on the first of `cfg.sparse_windows` whose minimums they meet."""
    out = _runtime_window(mat, t, cfg)
    todo = ~out["ok"]
    for w in cfg.sparse_windows:
        recent = np.isfinite(mat.log_runtime[:, max(0, t - w.recent_days + 1) : t + 1]).any(axis=1)
        rows = np.flatnonzero(todo & recent)
        if not len(rows):
            continue
        wide = replace(cfg, **asdict(w), sparse_windows=())
        res = _runtime_window(mat.take(rows), t, wide)
        ok = res["ok"]
        for k, v in res.items():
            out[k][rows] = np.where(ok, v, out[k][rows])
        todo[rows[ok]] = False
    return out


def _runtime_window(mat: JobMatrix, t: int, cfg: AlertConfig) -> dict:
    """Residuals of the recent window against the baseline and the ramp test, at day index `t`."""
    L = mat.log_runtime
    me = _month_end(mat.days)
    dow = mat.days.dayofweek.to_numpy()
    r0 = max(0, t - cfg.recent_days + 1)
    b0 = max(0, r0 - cfg.baseline_days)
    base = L.copy()
    # Month-end days are left out (their load spikes); a job that runs (almost) only then is
    # compared with its own month-end runs.
    ran = np.isfinite(L[:, b0 : t + 1])
    on_me = (ran & me[None, b0 : t + 1]).sum(axis=1)
    month_end_job = on_me >= cfg.month_end_only * np.maximum(ran.sum(axis=1), 1)
    base[np.ix_(~month_end_job, me)] = np.nan
    prof, vd, b, s, nb = _baseline(base, dow, b0, r0)
    s = np.maximum(np.nan_to_num(s, nan=np.inf), cfg.min_sigma)
    z = base[:, r0 : t + 1] - prof[:, dow[r0 : t + 1]] - b[:, None]
    u = np.clip(z / s[:, None], -cfg.clip_z, cfg.clip_z)
    vb = _WINSOR_VAR / np.maximum(nb, 1)
    u_fit = np.clip(z / s[:, None], -3 * cfg.clip_z, 3 * cfg.clip_z)
    stat, step_stat, slope, se, age = _ramp_test(u, u_fit, dow[r0 : t + 1], vd, vb, cfg)
    # Sigma itself is estimated (relative variance ~0.6 / n): a score of S is then S ± S·error.
    stat = stat / np.sqrt(1 + np.maximum(stat, 0) ** 2 * _SIGMA_VAR / np.maximum(nb, 1))
    step_stat = step_stat / np.sqrt(1 + np.maximum(step_stat, 0) ** 2 * _SIGMA_VAR / np.maximum(nb, 1))
    slope, se = slope * s, se * s  # log runtime per day
    lim, limit_kind, limit_seconds = _runtime_limits(mat, t, prof, b, cfg)
    level = slope * age
    lo = slope - cfg.slope_margin * se
    with np.errstate(invalid="ignore", divide="ignore"):
        days_to = np.where(slope > 0, lim / slope - age, np.inf)
        days_lo = np.where(lo > 0, lim / lo - age, np.inf)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            d7, d14 = cfg.step_days
            last7 = np.nanmedian(z[:, -d7:], axis=1)
            last14 = np.nanmedian(z[:, -d14:], axis=1)
    n = np.isfinite(z).sum(axis=1)
    n7 = np.isfinite(z[:, -d7:]).sum(axis=1)
    n14 = np.isfinite(z[:, -d14:]).sum(axis=1)
    ok = (nb >= cfg.min_baseline_points) & (n >= cfg.min_recent_points)
    # The median of n daily values strays about 1.25 s / sqrt(n) from the level: a step must be both
    # over the band and `min_z` such errors above the baseline (checked on 7 and 14 days).
    se7 = 1.25 * s / np.sqrt(np.maximum(n7, 1))
    se14 = 1.25 * s / np.sqrt(np.maximum(n14, 1))
    over = ok & (
        ((n7 >= 4) & (last7 >= lim) & (last7 >= cfg.min_z * se7))
        | ((n14 >= 8) & (last14 >= lim) & (last14 >= cfg.min_z * se14))
    )
    # A fitted level already past the band (short, steep fits overshoot) projects a crossing now.
    ramp = ok & (stat >= cfg.ramp_z) & (stat >= step_stat + cfg.step_margin) & (days_lo <= cfg.horizon_days)
    return {
        "ok": ok,
        "recent_days": np.where(ok, cfg.recent_days, 0),
        "over": over,
        "ramp": ramp,
        "limit_kind": limit_kind,
        "limit_seconds": limit_seconds,
        "stat": stat,
        "slope": slope,
        "level": level,
        "last7": last7,
        "days_to": days_to,
    }


LIMIT_WORDS = {
    "band": "its normal band",
    "max_duration": "its maximum duration",
    "deadline": "the time left before its deadline",
}


def _runtime_limits(mat: JobMatrix, t: int, prof: np.ndarray, level: np.ndarray, cfg: AlertConfig):
    """Per job, the line a growing runtime must not cross, as a log-runtime residual over the
    baseline: the band (+`runtime_limit`), or the job's own window when it is tighter - its TWS
    maximum duration, or the time from its start to its deadline (each the median of the last 28
    days), reached first on its slowest weekday. Returns (limit, kind, seconds: NaN for the band)."""
    band = np.full(len(level), np.log1p(cfg.runtime_limit))
    kind = np.full(len(level), "band", dtype=object)
    seconds = np.full(len(level), np.nan)
    lo = max(0, t - 27)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, m in (("max_duration", mat.max_duration), ("deadline", mat.deadline_budget)):
            if m is None:
                continue
            w = np.nanmedian(m[:, lo : t + 1], axis=1)
            # A window already below the baseline's slowest weekday is crossed now (limit 0).
            lim = np.maximum(np.log(w) - level - prof.max(axis=1), 0.0)
            tighter = np.isfinite(lim) & (lim < band)
            band = np.where(tighter, lim, band)
            kind = np.where(tighter, name, kind)
            seconds = np.where(tighter, w, seconds)
    return band, kind, seconds


def _cached_runtime_at(mat: JobMatrix, t: int, cfg: AlertConfig) -> dict:
    # Evaluating every day (the benchmark, persistence) reuses the days already computed.
    key = (t, cfg)
    if key not in mat.cache:
        mat.cache[key] = _runtime_at(mat, t, cfg)
    return mat.cache[key]


def runtime_signals(mat: JobMatrix, t: int, cfg: AlertConfig) -> pd.DataFrame:
    """Runtime rule for every job at day index `t` (inclusive): `over` (a runtime step: the last
    one or two weeks beyond the band) or `trend` (a ramp, holding on k of the last n days, whose
    crossing of the band is projected within the horizon)."""
    now = _cached_runtime_at(mat, t, cfg)
    k, n = cfg.persistence
    held = now["ramp"].astype(int)
    for back in range(1, n):
        if t - back >= 0:
            held = held + _cached_runtime_at(mat, t - back, cfg)["ramp"]
    trend = now["ramp"] & (held >= k) & ~now["over"]
    # A weekly or monthly job's statistic changes once a run, so days of persistence say nothing
    # about it: its ramp must also have held the day before its latest run (two runs in a row).
    sparse = trend & (now["recent_days"] > cfg.recent_days)
    if cfg.sparse_two_runs and sparse.any():
        ran = np.isfinite(mat.log_runtime[:, : t + 1])
        before = t - np.argmax(ran[:, ::-1], axis=1) - 1  # the day before the latest run
        for day in np.unique(before[sparse]):
            rows = sparse & (before == day)
            prev = _cached_runtime_at(mat, int(day), cfg)["ramp"] if day >= 0 else np.zeros_like(rows)
            trend = trend & ~(rows & ~prev)
    return pd.DataFrame(
        {
            "row": np.arange(mat.log_runtime.shape[0]),
            "over": now["over"],
            "trend": trend,
            "limit_kind": now["limit_kind"],
            "limit_seconds": now["limit_seconds"],
            "slope": now["slope"],
            "t": now["stat"],
            "level": now["level"],
            "last7": now["last7"],
            "days_to": now["days_to"],
            "recent_days": now["recent_days"],
        }
    )


def failure_signals(mat: JobMatrix, t: int, cfg: AlertConfig) -> pd.DataFrame:
    """Failure-rate rule for every job at day index `t`.

    Baseline: the job's failures / runs over the reference window, shrunk to the estate-wide rate
    (a beta prior worth `failure_prior_runs` runs). For each trailing window the beta-binomial chance
    of at least the window's failures under that baseline (it allows for the baseline's own
    uncertainty); the smallest over the windows must be below `failure_alpha`. A rise that began at
    the window's start and grew linearly has today twice the window's excess rate: its projection
    must reach `failure_limit` within the horizon (`trend`), or the last two weeks are already over it
    (`over`)."""
    from scipy.stats import betabinom

    wmax = max(cfg.failure_windows)
    r0 = max(0, t - wmax + 1)
    b0 = max(0, r0 - cfg.baseline_days)
    base_runs = mat.runs[:, b0:r0].sum(axis=1)
    base_fails = mat.failures[:, b0:r0].sum(axis=1)
    pooled = (base_fails.sum() + 1.0) / (base_runs.sum() + 2.0)
    k = cfg.failure_prior_runs
    a = base_fails + k * pooled
    b = base_runs - base_fails + k * (1 - pooled)
    p0 = a / (a + b)
    J = mat.runs.shape[0]
    best_p = np.ones(J)
    rate_now = np.full(J, np.nan)
    slope = np.zeros(J)
    for w in cfg.failure_windows:
        lo = max(0, t - w + 1)
        n = mat.runs[:, lo : t + 1].sum(axis=1)
        f = mat.failures[:, lo : t + 1].sum(axis=1)
        p = np.where(f > 0, betabinom.sf(f - 1, n.astype(int), a, b), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            excess = np.where(n > 0, f / n - p0, 0.0)
        better = p < best_p
        best_p = np.where(better, p, best_p)
        rate_now = np.where(better, p0 + 2 * excess, rate_now)
        slope = np.where(better, 2 * excess / (t + 1 - lo), slope)
    lim = cfg.failure_limit
    n14 = mat.runs[:, max(0, t - 13) : t + 1].sum(axis=1)
    f14 = mat.failures[:, max(0, t - 13) : t + 1].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        last14 = np.where(n14 > 0, f14 / n14, np.nan)
        days_to = np.where(slope > 0, (lim - rate_now) / slope, np.inf)
    enough = base_runs >= cfg.min_baseline_points
    signal = enough & (best_p < cfg.failure_alpha) & (slope > 0) & (p0 < lim / 2)
    over = signal & (n14 >= 7) & (last14 >= lim)
    trend = signal & ~over & (days_to <= cfg.horizon_days)
    return pd.DataFrame(
        {
            "row": np.arange(J),
            "over": over,
            "trend": trend,
            "slope": slope,
            "t": -np.log10(np.maximum(best_p, 1e-300)),
            "level": rate_now,
            "base_rate": p0,
            "days_to": days_to,
        }
    )


def _alert_id(*parts) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def job_alerts(mat: JobMatrix, as_of: date | None = None, cfg: AlertConfig = AlertConfig()) -> pd.DataFrame:
    """Runtime and failure-rate alerts at `as_of` (default: the last day of the matrix)."""
    # ISO-8601 as TWS writes a maxdur; imported here: `lib.tws` loads the HTTP client with it.
    from resync_assets.lib.tws.oql import format_duration

    t = len(mat.days) - 1 if as_of is None else int(mat.days.get_loc(pd.Timestamp(as_of)))
    day = mat.days[t].date()
    rows = []
    rt = runtime_signals(mat, t, cfg)
    for r in rt[rt["over"] | rt["trend"]].itertuples(index=False):
        j = mat.jobs.iloc[r.row]
        growth = float(np.expm1(r.slope * 7)) if np.isfinite(r.slope) else None
        line = LIMIT_WORDS[r.limit_kind] + (
            f" (+{cfg.runtime_limit:.0%})"
            if r.limit_kind == "band"
            else f" ({format_duration(timedelta(seconds=round(float(r.limit_seconds))))})"
        )
        if r.over:
            cross = day
            since = "the last week" if r.recent_days <= cfg.recent_days else "its last runs"
            msg = (
                f"{j.job}: runtime is {np.expm1(r.last7):+.0%} over its baseline median for {since}, "
                f"beyond {line}"
            )
            severity = "high"
        else:
            cross = day + timedelta(days=max(1, int(np.ceil(r.days_to))))
            msg = (
                f"{j.job}: runtime {growth:+.1%}/week (now {np.expm1(min(r.level, r.last7)):+.0%} over baseline), "
                f"crosses {line} around {cross}"
            )
            severity = "high" if r.days_to <= 14 else "medium"
        evidence = {
            "ramp_stat": r.t,
            "level": r.level,
            "limit_seconds": r.limit_seconds,
            "recent_days": r.recent_days,
        }
        rows.append(_row(j, "runtime_trend", severity, day, cross, growth, msg, evidence, limit=r.limit_kind))
    fr = failure_signals(mat, t, cfg)
    for r in fr[fr["over"] | fr["trend"]].itertuples(index=False):
        j = mat.jobs.iloc[r.row]
        growth = float(r.slope * 7) if np.isfinite(r.slope) else None
        if r.over:
            cross = day
            msg = f"{j.job}: failure rate over the last 2 weeks is above {cfg.failure_limit:.0%}"
            severity = "high"
        else:
            cross = day + timedelta(days=max(1, int(np.ceil(r.days_to))))
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
                {"minus_log10_p": r.t, "rate": r.level, "base": r.base_rate},
            )
        )
    return pd.DataFrame(rows, columns=[c for c in ALERT_COLUMNS if c != "generated_at"])


def _row(j, kind, severity, day, cross, growth, msg, evidence, limit: str | None = None) -> dict:
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
            | ({"limit": limit} if limit else {})
        ),
    }


def pattern_alerts(clusters: pd.DataFrame, day: date, cfg: AlertConfig = AlertConfig()) -> pd.DataFrame:
    """Failure-mode clusters (`analytics.joblog_pattern_clusters`) growing fast enough to double
    within the horizon, one alert per cluster, keyed by the cluster's `cluster_id` (its
    `template_id` may be null) and named by its representative template."""
    rows = []
    if clusters is None or not len(clusters):
        return pd.DataFrame(rows, columns=[c for c in ALERT_COLUMNS if c != "generated_at"])
    weeks_to_double = cfg.horizon_days / 7
    min_growth = 2 ** (1 / weeks_to_double) - 1
    for c in clusters.to_dict("records"):
        g = c.get("growth_per_week")
        runs = c.get("runs")
        if g is None or not np.isfinite(g) or g < min_growth or _missing(runs) or runs < 5:
            continue
        cluster_id = c.get("cluster_id")
        if _missing(cluster_id):
            cluster_id = c.get("template_id")
        if _missing(cluster_id):
            continue
        weeks = np.log(2) / np.log1p(g)
        cross = day + timedelta(days=int(np.ceil(weeks * 7)))
        jobs = list(c["jobs"])[:5] if c.get("jobs") is not None else []
        template = c.get("representative_template") or ""
        tid = c.get("template_id")
        rows.append(
            {
                "alert_id": _alert_id("pattern_growth", int(cluster_id), day),
                "job_key": None,
                "job": ", ".join(jobs),
                "host": None,
                "kind": "pattern_growth",
                "severity": "medium",
                "detected_on": day,
                "expected_cross": cross,
                "weekly_growth": float(g),
                "related": f"cluster:{int(cluster_id)}",
                "message": f"error pattern '{template[:80]}' grows {g:+.0%}/week "
                f"({int(runs)} failed runs), doubles by {cross}",
                "evidence": json.dumps(
                    {
                        "cluster_id": int(cluster_id),
                        "template_id": None if _missing(tid) else int(tid),
                        "representative_template": template,
                        "runs": int(runs),
                    }
                ),
            }
        )
    return pd.DataFrame(rows, columns=[c for c in ALERT_COLUMNS if c != "generated_at"])


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and not np.isfinite(x)) or x is pd.NA


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
       median(duration_seconds) filter (where is_success) as median_duration,
       median(maxdur_seconds) as max_duration,
       median(epoch(deadline_at) - epoch(started_at)) filter (where is_success and deadline_at > started_at)
           as deadline_budget
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
        return pd.DataFrame(
            columns=[
                "job_key",
                "job",
                "host",
                "day",
                "runs",
                "failures",
                "median_duration",
                "max_duration",
                "deadline_budget",
            ]
        )
    return con.execute(JOB_DAILY_SQL).df()

"""Threshold ETA: when a host resource crosses its threshold, as a probability per week.

The ETA has its own trend estimate (`lib/forecast/trend.py`), fitted on the host's daily history
rather than read off `capacity_forecasts`: the forecaster picks the model that forecasts the next
weeks best (for a resource that started growing a few weeks ago that can be a level or a long trend,
and Prophet's changepoints cover only the first 80 % of the history), while the ETA needs the slope
since the growth began and how sure we are of it. The trend is
piecewise linear with a data-chosen break (or a level shift, or none) plus a weekday profile; the
crossing day is sampled from the uncertainty of the break, the level and the slope. The probability
of having crossed by the end of week w is the share of samples whose expected daily value reached the
threshold by then; the ETA at 50 % / 10 % is the first week whose probability reaches it
(`eta_day_50`: the median crossing day).

Series with too little history for a trend (fewer than `TrendConfig.min_points` days) fall back to the
forecast: each forecast day read as a normal distribution (mean `yhat`, spread from the calibrated 80 %
interval), the probability of having crossed by a day the largest day probability up to then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from scipy.stats import norm

from resync_assets.lib.forecast.trend import TrendConfig, crossing_days, fit_trend

Z80 = 1.2815515655446004
DEFAULT_THRESHOLDS = {"cpu": 95.0, "memory": 95.0, "disk": 90.0}
ETA_COLUMNS = [
    "host",
    "resource",
    "threshold",
    "week_start",
    "week",
    "prob_cross",
    "eta_week_50",
    "eta_week_10",
    "weeks_to_50",
    "weeks_to_10",
    "eta_day_50",
    "already_over",
    "generated_at",
]


@dataclass(frozen=True)
class EtaConfig:
    """Thresholds in percent per resource, how far ahead, and the trend fit."""

    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    horizon_days: int = 84
    trend: TrendConfig = field(default_factory=TrendConfig)


def day_probabilities(yhat, lower80, upper80, threshold: float) -> np.ndarray:
    """P(value > threshold) per forecast day."""
    yhat = np.asarray(yhat, dtype=float)
    lo = yhat - np.asarray(lower80, dtype=float)
    hi = np.asarray(upper80, dtype=float) - yhat
    # Bounds clip one side of the interval: take the wider side as the spread.
    sigma = np.maximum(np.maximum(lo, hi), 1e-6) / Z80
    return norm.sf(threshold, loc=yhat, scale=sigma)


def series_eta(
    ds: list[date],
    yhat,
    lower80,
    upper80,
    threshold: float,
    *,
    last_value: float | None = None,
) -> dict:
    """Cumulative crossing probability per week (week 1 = the first 7 forecast days) and the ETAs, from
    a forecast's point and 80 % interval (the fallback when a series is too short for `trend_eta`)."""
    p_day = day_probabilities(yhat, lower80, upper80, threshold)
    already = last_value is not None and last_value >= threshold
    return _eta_from_cdf(list(ds), np.maximum.accumulate(p_day), already)


def _eta_from_cdf(ds: list[date], cum: np.ndarray, already: bool) -> dict:
    """Weeks, week and day ETAs from the cumulative crossing probability per future day."""
    n_weeks = len(ds) // 7
    weeks = [(ds[w * 7], float(cum[w * 7 + 6])) for w in range(n_weeks)]

    def first(level: float):
        if already:
            return 0, ds[0]
        idx = np.flatnonzero(cum >= level)
        if not len(idx):
            return None, None
        return int(idx[0]) // 7 + 1, ds[int(idx[0])]

    w50, d50 = first(0.5)
    w10, _ = first(0.1)
    return {
        "weeks": weeks,
        "weeks_to_50": w50,
        "weeks_to_10": w10,
        "eta_week_50": weeks[w50 - 1][0] if w50 else (ds[0] if w50 == 0 else None),
        "eta_week_10": weeks[w10 - 1][0] if w10 else (ds[0] if w10 == 0 else None),
        "eta_day_50": d50,
        "already_over": already,
        "cum": cum,  # P(crossed by day k), k = 1 .. len(ds)
    }


def trend_eta(
    last_day: date,
    y,
    threshold: float,
    *,
    horizon_days: int = 84,
    config: TrendConfig | None = None,
) -> dict | None:
    """ETA of one daily series `y` (oldest first, NaN for missing days, the last value on `last_day`)
    from its own trend: the `series_eta` dict plus `shape`, `slope_per_week` and its standard
    deviation. None when the history is too short for a trend."""
    config = config or TrendConfig()
    y = np.asarray(y, dtype=float)
    weekday0 = (last_day.weekday() - (len(y) - 1)) % 7
    fit = fit_trend(y, weekday0, config)
    if fit is None:
        return None
    days = crossing_days(fit, threshold, horizon_days, config)
    ds = [last_day + timedelta(days=k) for k in range(1, horizon_days + 1)]
    # P(crossed by day k), k = 1..horizon.
    cum = np.searchsorted(np.sort(days), np.arange(1, horizon_days + 1), side="right") / len(days)
    recent = y[-7:][np.isfinite(y[-7:])]
    already = bool(len(recent) and float(np.mean(recent)) >= threshold)
    out = _eta_from_cdf(ds, cum, already)
    slope, slope_sd = fit.slope_per_week()
    out.update(shape=fit.shape, slope_per_week=slope, slope_sd_per_week=slope_sd)
    return out


def threshold_eta(
    forecasts: pd.DataFrame,
    models: pd.DataFrame | None = None,
    config: EtaConfig = EtaConfig(),
    *,
    history: pd.DataFrame | None = None,
    generated_at: datetime | None = None,
) -> pd.DataFrame:
    """One row per (host, resource, week). `history` (series_id, series_kind, entity, ds, y: the host
    rows of `capacity.load_host_series`) gives each series' own trend ETA (`trend_eta`); a series
    without enough history there falls back to its rows of `capacity_forecasts` (`series_eta`)."""
    generated_at = generated_at or datetime.now(UTC)
    kinds = [f"host_{r}" for r in config.thresholds]
    last = {}
    if models is not None and len(models):
        last = dict(zip(models["series_id"], models["last_value"], strict=False))
    etas: dict[str, tuple[str, str, float, dict]] = {}
    if history is not None and len(history):
        hist = history[history["series_kind"].isin(kinds)]
        for sid, g in hist.groupby("series_id", sort=True):
            resource = g["series_kind"].iloc[0].removeprefix("host_")
            thr = float(config.thresholds[resource])
            s = g.assign(ds=pd.to_datetime(g["ds"])).set_index("ds")["y"].astype(float).sort_index()
            s = s.reindex(pd.date_range(s.index.min(), s.index.max(), freq="D"))
            eta = trend_eta(
                s.index[-1].date(), s.to_numpy(), thr, horizon_days=config.horizon_days, config=config.trend
            )
            if eta is not None:
                etas[sid] = (g["entity"].iloc[0], resource, thr, eta)
    fc = forecasts
    hosts = fc[fc["series_kind"].isin(kinds)] if len(fc) else fc
    for sid, g in hosts.groupby("series_id", sort=True) if len(hosts) else ():
        if sid in etas:
            continue
        g = g.sort_values("ds")
        resource = g["series_kind"].iloc[0].removeprefix("host_")
        thr = float(config.thresholds[resource])
        ds = [d if isinstance(d, date) else pd.Timestamp(d).date() for d in g["ds"]]
        eta = series_eta(ds, g["yhat"], g["yhat_lower_80"], g["yhat_upper_80"], thr, last_value=last.get(sid))
        etas[sid] = (g["entity"].iloc[0], resource, thr, eta)
    rows = []
    for sid in sorted(etas):
        host, resource, thr, eta = etas[sid]
        for w, (start, p) in enumerate(eta["weeks"], start=1):
            rows.append(
                {
                    "host": host,
                    "resource": resource,
                    "threshold": thr,
                    "week_start": start,
                    "week": w,
                    "prob_cross": 1.0 if eta["already_over"] else p,
                    "eta_week_50": eta["eta_week_50"],
                    "eta_week_10": eta["eta_week_10"],
                    "weeks_to_50": eta["weeks_to_50"],
                    "weeks_to_10": eta["weeks_to_10"],
                    "eta_day_50": eta["eta_day_50"],
                    "already_over": eta["already_over"],
                    "generated_at": generated_at,
                }
            )
    return pd.DataFrame(rows, columns=ETA_COLUMNS)


def eta_sentence(host: str, resource: str, threshold: float, weeks_to_50: int | None) -> str:
    """'CPU of LNXPRD3 will hit 95 % in ~6 weeks' (or 'is already over' / 'not within the horizon')."""
    label = {"cpu": "CPU", "memory": "Memory", "disk": "Disk"}.get(resource, resource)
    if weeks_to_50 is None:
        return f"{label} of {host} stays under {threshold:g} % within the forecast horizon"
    if weeks_to_50 == 0:
        return f"{label} of {host} is already over {threshold:g} %"
    return (
        f"{label} of {host} will hit {threshold:g} % in ~{weeks_to_50} week{'s' if weeks_to_50 > 1 else ''}"
    )

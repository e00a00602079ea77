"""Threshold ETA: when a host resource's forecast crosses its threshold, as a probability per week.

Each forecast day is read as a normal distribution: mean `yhat`, spread from the calibrated 80 %
interval (the side not clipped by the 0-100 % bounds). The probability of having crossed by the end
of a week is the largest day probability up to then (the level has crossed when the most likely
day has). The ETA at 50 % / 10 % is the first week whose probability reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from scipy.stats import norm

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
    """Thresholds in percent per resource."""

    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))


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
    """Cumulative crossing probability per week (week 1 = the first 7 forecast days) and the ETAs."""
    p_day = day_probabilities(yhat, lower80, upper80, threshold)
    cum = np.maximum.accumulate(p_day)
    n_weeks = len(ds) // 7
    weeks = []
    for w in range(n_weeks):
        weeks.append((ds[w * 7], float(cum[w * 7 + 6])))
    already = last_value is not None and last_value >= threshold

    def first(level: float):
        idx = np.flatnonzero(cum >= level)
        if already:
            return 0, ds[0]
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
    }


def threshold_eta(
    forecasts: pd.DataFrame,
    models: pd.DataFrame | None = None,
    config: EtaConfig = EtaConfig(),
    *,
    generated_at: datetime | None = None,
) -> pd.DataFrame:
    """One row per (host, resource, week) from the host rows of `capacity_forecasts`."""
    generated_at = generated_at or datetime.now(UTC)
    rows = []
    last = {}
    if models is not None and len(models):
        last = dict(zip(models["series_id"], models["last_value"], strict=False))
    hosts = forecasts[forecasts["series_kind"].isin([f"host_{r}" for r in config.thresholds])]
    for sid, g in hosts.groupby("series_id", sort=True):
        g = g.sort_values("ds")
        resource = g["series_kind"].iloc[0].removeprefix("host_")
        thr = float(config.thresholds[resource])
        ds = [d if isinstance(d, date) else pd.Timestamp(d).date() for d in g["ds"]]
        eta = series_eta(ds, g["yhat"], g["yhat_lower_80"], g["yhat_upper_80"], thr, last_value=last.get(sid))
        for w, (start, p) in enumerate(eta["weeks"], start=1):
            rows.append(
                {
                    "host": g["entity"].iloc[0],
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

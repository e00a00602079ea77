"""Point forecasters: seasonal naive, fast vectorised regressions, and Prophet.

The fast models work on a batch of series that share one time grid (a `(k, n)` array): each is a
least-squares fit of Fourier seasonality (plus a level, plus a linear trend for the trend models) on a
recent window whose spikes were clipped first (`seasonal_hampel`), so an incident does not bend the fit.
One design matrix serves the whole batch, so a thousand series cost about what one does.

Prophet is fitted per series without its sampled intervals (they are recalibrated anyway).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from resync_assets.lib.forecast.series import Freq

FAST_MODELS = ("snaive", "seasonal_level", "trend_recent", "trend_seasonal", "trend_seasonal_long")


def _windows(freq: Freq) -> dict[str, int]:
    """Fit windows (steps) of the fast models."""
    week = round(7 * freq.steps_per_day)
    day = round(freq.steps_per_day)
    if freq.alias == "D":
        return {"seasonal_level": 28, "trend_recent": 42, "trend_seasonal": 91, "trend_seasonal_long": 364}
    return {
        "seasonal_level": max(4 * day, 2 * week) if week <= 4032 else 4 * day,
        "trend_recent": 2 * week if week <= 4032 else 6 * day,
        "trend_seasonal": 4 * week,
        "trend_seasonal_long": 12 * week,
    }


def min_train(freq: Freq) -> int:
    """Shortest training prefix a backtest origin may have."""
    return 2 * freq.season


def _fourier(t: np.ndarray, periods: list[tuple[float, int]]) -> list[np.ndarray]:
    cols = []
    for p, k_max in periods:
        for k in range(1, min(k_max, int(p // 2)) + 1):
            w = 2 * np.pi * k * t / p
            cols.append(np.sin(w))
            if 2 * k != p:
                cols.append(np.cos(w))
    return cols


def _design(t: np.ndarray, periods: list[tuple[float, int]], trend: bool, t0: float) -> np.ndarray:
    cols = [np.ones_like(t, dtype=float)]
    if trend:
        cols.append((t - t0) / max(1.0, len(t)))
    cols += _fourier(t, periods)
    return np.column_stack(cols)


def snaive(Y: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """Seasonal naive: repeat the last season. `Y` is `(k, n)`; returns `(k, horizon)`."""
    n = Y.shape[1]
    m = min(season, n)
    last = Y[:, n - m :]
    reps = int(np.ceil(horizon / m))
    return np.tile(last, (1, reps))[:, :horizon]


def _periods_for(freq: Freq, window: int) -> list[tuple[float, int]]:
    """(period in steps, harmonics) of the seasonalities a window of `window` steps can carry."""
    out = []
    if freq.alias != "D":
        out.append((freq.steps_per_day, 8))
    week = 7 * freq.steps_per_day
    if window >= 2 * week and week <= 4032:
        out.append((week, 3 if freq.alias == "D" else 4))
    if freq.alias == "D" and window >= 2 * 365:
        out.append((365.25, 4))
    return out


def regression(
    Y: np.ndarray, t: np.ndarray, freq: Freq, horizon: int, *, window: int, trend: bool
) -> np.ndarray:
    """Least-squares seasonal (+ trend) fit on the last `window` steps of every row of `Y`, forecast
    `horizon` steps. `t` are absolute step numbers of `Y`'s columns (keeps seasonal phase)."""
    n = Y.shape[1]
    w = min(window, n)
    tt = t[n - w :].astype(float)
    tf = t[-1] + np.arange(1, horizon + 1, dtype=float)
    periods = _periods_for(freq, w)
    t0 = tt[-1]
    X = _design(tt, periods, trend, t0)
    Xf = _design(tf, periods, trend, t0)
    if trend:
        Xf[:, 1] = (tf - t0) / max(1.0, len(tt))
    Yw = seasonal_hampel(Y[:, n - w :], freq.season).T  # (w, k)
    beta, *_ = np.linalg.lstsq(X, Yw, rcond=None)
    return (Xf @ beta).T


def seasonal_hampel(
    Y: np.ndarray, season: int, k: int = 3, n_sigmas: float = 5.0, *, symmetric: bool = False
) -> np.ndarray:
    """Clip spikes: each value against the median of the same seasonal phase `k` seasons either side
    (itself included), beyond `n_sigmas` robust deviations of the row. Trends and level shifts pass
    (the median of neighbours follows them); one-off spikes and incidents do not.

    Near the ends a value has neighbours on one side only, and on a trend their median lags it.
    `symmetric=True` uses only as many seasons as exist on both sides (none in the first and last
    season: a spike there is left to the caller's own robust fit), so a recent ramp is not flattened.
    Its spread comes from the differences between consecutive seasons around their median: on a
    steady trend the same-phase values are monotone, each is its own window's median, and the spread
    of the deviations from that median would collapse to 0."""
    k_rows, n = Y.shape
    m = min(season, max(1, n // 3))
    stack = np.full((2 * k + 1, k_rows, n), np.nan)
    for i, j in enumerate(range(-k, k + 1)):
        off = j * m
        if off >= 0:
            stack[i, :, : n - off] = Y[:, off:]
        else:
            stack[i, :, -off:] = Y[:, : n + off]
    if not symmetric:
        med = np.nanmedian(stack, axis=0)
        dev = Y - med
        scale = 1.4826 * np.median(np.abs(dev), axis=1, keepdims=True)
    else:
        for j in range(1, k + 1):
            lacks = np.zeros(n, dtype=bool)
            lacks[: j * m] = True
            lacks[max(0, n - j * m) :] = True
            stack[k + j][:, lacks] = np.nan
            stack[k - j][:, lacks] = np.nan
        med = np.nanmedian(stack, axis=0)
        dev = Y - med
        diff = Y[:, m:] - Y[:, :-m]
        centred = diff - np.nanmedian(diff, axis=1, keepdims=True)
        scale = 1.4826 * np.nanmedian(np.abs(centred), axis=1, keepdims=True) / np.sqrt(2.0)
    floor = 1e-6 * np.maximum(1.0, np.abs(np.median(Y, axis=1, keepdims=True)))
    lim = n_sigmas * np.maximum(scale, floor)
    return med + np.clip(dev, -lim, lim)


def fast_forecast(model: str, Y: np.ndarray, t: np.ndarray, freq: Freq, horizon: int) -> np.ndarray:
    """Forecast every row of `Y` (`(k, n)`) `horizon` steps ahead with one fast model."""
    if model == "snaive":
        return snaive(Y, freq.season, horizon)
    win = _windows(freq)
    if model == "seasonal_level":
        return regression(Y, t, freq, horizon, window=win["seasonal_level"], trend=False)
    if model == "trend_recent":
        return regression(Y, t, freq, horizon, window=win["trend_recent"], trend=True)
    if model == "trend_seasonal":
        return regression(Y, t, freq, horizon, window=win["trend_seasonal"], trend=True)
    if model == "trend_seasonal_long":
        return regression(Y, t, freq, horizon, window=win["trend_seasonal_long"], trend=True)
    raise ValueError(f"unknown model {model!r}")


def fast_candidates(freq: Freq, n: int) -> list[str]:
    """The fast models worth trying on `n` observations (the long-trend one only with enough history)."""
    win = _windows(freq)
    out = ["snaive", "seasonal_level", "trend_recent", "trend_seasonal"]
    if n >= 1.5 * win["trend_seasonal"] and n >= win["trend_seasonal_long"] * 0.75:
        out.append("trend_seasonal_long")
    return out


# -- Prophet -----------------------------------------------------------------------------------------

_QUIET = False


def _silence() -> None:
    global _QUIET
    if _QUIET:
        return
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        lg = logging.getLogger(name)
        # cmdstanpy adds its own INFO handler unless the logger already has one.
        if not lg.handlers:
            lg.addHandler(logging.NullHandler())
        lg.setLevel(logging.ERROR)
        lg.propagate = False
        for h in lg.handlers:
            h.setLevel(logging.ERROR)
    _QUIET = True


def prophet_history_cap(freq: Freq) -> int:
    """Prophet sees at most this many recent steps (sub-daily fits get slow and gain little)."""
    if freq.alias == "D":
        return 3 * 365
    return round(28 * freq.steps_per_day) if freq.steps_per_day <= 24 else round(14 * freq.steps_per_day)


def prophet_forecast(ds: pd.DatetimeIndex, y: np.ndarray, freq: Freq, horizon: int) -> np.ndarray:
    """Fit Prophet on (`ds`, `y`) and return its point forecast for the next `horizon` steps."""
    from prophet import Prophet

    _silence()

    cap = prophet_history_cap(freq)
    ds, y = ds[-cap:], y[-cap:]
    n = len(y)
    days = n / freq.steps_per_day
    model = Prophet(
        yearly_seasonality=freq.alias == "D" and days >= 2 * 365,
        weekly_seasonality=days >= 14,
        daily_seasonality=freq.alias != "D",
        uncertainty_samples=0,
    )
    model.fit(pd.DataFrame({"ds": ds, "y": y}), algorithm="LBFGS")
    future = pd.DataFrame({"ds": pd.date_range(ds[-1] + freq.step, periods=horizon, freq=freq.step)})
    return model.predict(future)["yhat"].to_numpy(dtype=float)

"""Forecast any regular series with calibrated intervals, choosing the model per series by backtest.

For each series:
1. a rolling-origin backtest: up to `max_origins` (16) origins in the later part of the history, each
   forecasting `hb = min(horizon, a quarter of the history)` steps with every candidate model (the
   fast models, plus Prophet for key series);
2. the model with the lowest backtest MAE (recent origins weigh more) is used (Prophet when it wins, otherwise the better of the
   fast models - seasonal naive included, so a model that does not beat the baseline is never used),
   and its MASE and the seasonal-naive MASE are recorded;
3. intervals are split-conformal on the backtest errors of the model choice (`selection_errors`: at
   each origin, the errors of the model the other origins pick, so the luck of the winner on its own
   calibration origins does not narrow them), measured on a variance-stabilised scale (Box-Cox λ per
   series from its spread-versus-level, `series.stabilising_lambda`; 1 = as is): errors are divided
   by a horizon scale g(h) = h^b (b fitted on the error growth, 0 ≤ b ≤ 1, extrapolated past `hb`),
   the level's quantile of |error| / g(h) (finite-sample corrected) gives the half-width q·g(h), and
   the interval is z⁻¹(z(ŷ) ± q·g(h)). The backtest coverage is measured leave-one-origin-out
   (calibrated on the other origins).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from resync_assets.lib.forecast import models as M
from resync_assets.lib.forecast.series import (
    Freq,
    Series,
    box_cox,
    future_index,
    inv_box_cox,
    prepare,
    stabilising_lambda,
)

DEFAULT_LEVELS = (80, 95)
_Z = {50: 0.674, 80: 1.2816, 90: 1.6449, 95: 1.96, 99: 2.5758}


@dataclass
class ForecastResult:
    """The forecast of one series and how its model did in the backtest."""

    frame: pd.DataFrame  # ds, yhat, yhat_lower_<L>, yhat_upper_<L> ..., model
    model: str
    mase_model: float | None
    mase_baseline: float | None
    prophet_mase: float | None
    coverage: dict[int, float | None] = field(default_factory=dict)  # level → backtest coverage
    history_points: int = 0
    backtest_origins: int = 0
    filled: int = 0
    box_cox_lambda: float = 1.0  # the scale the intervals were calibrated on (1: as is, 0: log)

    @property
    def beats_baseline(self) -> bool:
        """True when the model used is better than seasonal naive in the backtest."""
        if self.mase_model is None or self.mase_baseline is None:
            return False
        return self.mase_model < self.mase_baseline


def backtest_origins(n: int, horizon: int, freq: Freq, max_origins: int = 16) -> tuple[list[int], int]:
    """Origins (prefix lengths) and backtest horizon for a series of `n` steps."""
    mt = M.min_train(freq)
    # A quarter of the history at most: the later origins then see recent changes (a new trend).
    hb = min(horizon, max(freq.season, (n - mt) // 4), n - mt)
    hb = max(1, hb)
    last = n - hb
    first = max(mt, min(int(0.4 * n), last))
    if last < first:
        return ([last] if last >= freq.season + 1 else []), hb
    k = min(max_origins, last - first + 1)
    origins = sorted({round(x) for x in np.linspace(first, last, k)})
    return origins, hb


def _horizon_exponent(abs_err: np.ndarray) -> float:
    """b in g(h) = h^b from the mean |error| per step (`abs_err` is (origins, hb))."""
    hb = abs_err.shape[-1]
    if hb < 3:
        return 0.5
    mae = abs_err.reshape(-1, hb).mean(axis=0)
    ok = mae > 0
    if ok.sum() < 3:
        return 0.5
    h = np.arange(1, hb + 1)[ok]
    b = np.polyfit(np.log(h), np.log(mae[ok]), 1)[0]
    return float(np.clip(b, 0.0, 1.0))


def _conformal_q(scores: np.ndarray, level: float) -> float:
    """Finite-sample split-conformal quantile of non-negative scores at `level` (0-1)."""
    s = np.sort(scores[np.isfinite(scores)])
    n = len(s)
    if n == 0:
        return float("nan")
    rank = int(np.ceil((n + 1) * level))
    if rank > n:
        # Not enough scores for this level: extrapolate the top of the sample.
        return float(s[-1] * (1 + (rank - n) / max(n, 1)))
    return float(s[rank - 1])


@dataclass
class Calibration:
    """Half-width quantiles per level and the horizon exponent."""

    b: float
    q: dict[int, float]

    def half_width(self, horizon: int) -> dict[int, np.ndarray]:
        g = np.arange(1, horizon + 1, dtype=float) ** self.b
        return {lvl: q * g for lvl, q in self.q.items()}


def calibrate(errors: np.ndarray, levels: Sequence[int]) -> Calibration:
    """Calibrate from backtest errors (origins, hb) of one series."""
    a = np.abs(errors)
    b = _horizon_exponent(a)
    g = np.arange(1, a.shape[-1] + 1, dtype=float) ** b
    scores = (a / g).ravel()
    return Calibration(b, {lvl: _conformal_q(scores, lvl / 100) for lvl in levels})


def loo_coverage(errors: np.ndarray, levels: Sequence[int]) -> dict[int, float | None]:
    """Coverage of each origin's errors by intervals calibrated on the other origins."""
    k = errors.shape[0]
    if k < 2:
        return {lvl: None for lvl in levels}
    hits = {lvl: [] for lvl in levels}
    for i in range(k):
        cal = calibrate(np.delete(errors, i, axis=0), levels)
        hw = cal.half_width(errors.shape[1])
        for lvl in levels:
            hits[lvl].append(np.abs(errors[i]) <= hw[lvl])
    return {lvl: float(np.mean(hits[lvl])) for lvl in levels}


def selection_errors(
    errs: dict[str, np.ndarray],
    zerrs: dict[str, np.ndarray],
    names: list[str],
    w: np.ndarray,
    best: np.ndarray,
) -> np.ndarray:
    """The backtest errors (`zerrs`' scale) of choosing a model, not of the model chosen: at each
    origin, the errors of the model the other origins would have chosen (weighted MAE of `errs`).
    The model with the lowest error on the very origins that calibrate it is partly lucky there; its
    own errors would make the intervals too narrow. `errs[c]` are `(k, K, hb)`, `best` the model
    index chosen per row on all origins (used when there are fewer than two); returns `(k, K, hb)`."""
    k, K, hb = zerrs[names[0]].shape
    if K < 2:
        return np.stack([zerrs[names[b]][r] for r, b in enumerate(best)])
    per_origin = np.stack([np.abs(errs[c]).mean(axis=2) for c in names], axis=2)  # (k, K, C)
    # A model that could not forecast loses, without inf - inf in the sums below.
    per_origin = np.where(np.isfinite(per_origin), per_origin, np.finfo(float).max / (4 * K))
    Z = np.stack([zerrs[c] for c in names], axis=2)  # (k, K, C, hb)
    out = np.empty((k, K, hb))
    rows = np.arange(k)
    for i in range(K):
        wi = w.copy()
        wi[i] = 0.0
        pick = np.argmin(np.einsum("kjc,j->kc", per_origin, wi), axis=1)
        out[:, i, :] = Z[rows, i, pick, :]
    return out


@dataclass
class BatchResult:
    """Forecasts of a batch of series sharing one grid."""

    yhat: np.ndarray  # (k, horizon)
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]
    model: list[str]
    mase_model: np.ndarray
    mase_baseline: np.ndarray
    prophet_mase: np.ndarray
    coverage: dict[int, np.ndarray]
    origins: int
    box_cox_lambda: np.ndarray  # per row: the scale the intervals were calibrated on (1 = as is)


def forecast_batch(
    Y: np.ndarray,
    ds: pd.DatetimeIndex,
    freq: Freq,
    horizon: int,
    *,
    levels: Sequence[int] = DEFAULT_LEVELS,
    prophet_rows: Iterable[int] = (),
    lower_bound: np.ndarray | float | None = None,
    upper_bound: np.ndarray | float | None = None,
    max_origins: int = 16,
    prophet_origins: int = 4,
) -> BatchResult:
    """Forecast every row of `Y` ((k, n) on the grid `ds`) `horizon` steps ahead with calibrated
    intervals. Rows in `prophet_rows` also try Prophet. Bounds clip the forecast and the intervals
    (None: 0 as lower bound for a row never negative, no upper bound)."""
    Y = np.asarray(Y, dtype=float)
    k, n = Y.shape
    levels = sorted({int(x) for x in levels})
    prophet_rows = sorted(set(prophet_rows))
    t = ((ds - pd.Timestamp("1970-01-01")) // freq.step).to_numpy(dtype=np.int64).astype(float)
    origins, hb = backtest_origins(n, horizon, freq, max_origins)
    cands = M.fast_candidates(freq, n)
    K = len(origins)
    scale = np.mean(np.abs(Y[:, freq.season :] - Y[:, : -freq.season]), axis=1)
    scale = np.where(scale > 0, scale, np.nan)
    # Intervals are calibrated on a variance-stabilised scale: where the spread grows with the level
    # (page views, counts), an error is z(actual) - z(forecast) with z the row's Box-Cox transform, so
    # the interval widens and narrows with the forecast's level. Point forecasts and the model choice
    # stay on the original scale (no exponential extrapolation of a log-scale trend).
    lam = stabilising_lambda(Y, freq.season)
    # A forecast below anything the (strictly positive) row has shown is measured at its minimum.
    floor = np.where(lam < 1, Y.min(axis=1), -np.inf)[:, None]

    def z(V: np.ndarray) -> np.ndarray:
        return box_cox(np.maximum(V, floor), lam)

    errs = {c: np.zeros((k, K, hb)) for c in cands}
    zerrs = {c: np.zeros((k, K, hb)) for c in cands}
    for oi, o in enumerate(origins):
        actual = Y[:, o : o + hb]
        z_actual = box_cox(actual, lam)
        for c in cands:
            fc = M.fast_forecast(c, Y[:, :o], t[:o], freq, hb)
            errs[c][:, oi, :] = actual - fc
            zerrs[c][:, oi, :] = z_actual - z(fc)
    # Model choice weighs recent origins more (weights 1..K): what works now matters most.
    w = np.arange(1, K + 1, dtype=float) / max(1, K * (K + 1) / 2)
    mae = np.column_stack([(np.abs(errs[c]).mean(axis=2) @ w) if K else np.full(k, np.nan) for c in cands])
    names = list(cands)
    prophet_mae = np.full(k, np.nan)
    prophet_plain = np.full(k, np.nan)
    prophet_errs: dict[int, np.ndarray] = {}
    # Ties go to the simpler model (candidates are listed simplest first).
    if K:
        best = np.nanargmin(np.where(np.isnan(mae), np.inf, mae), axis=1)
    else:
        best = np.zeros(k, dtype=int)
    chosen = [names[i] for i in best]
    base_mae = np.abs(errs["snaive"]).mean(axis=(1, 2)) if K else np.full(k, np.nan)
    sel = selection_errors(errs, zerrs, names, w, best)
    # Prophet is fitted once per origin: only on the most recent few, compared with the best fast
    # model on those same origins. When it wins, its errors there set the level of its intervals and
    # the fast model's errors on every origin give their shape (more origins than Prophet can afford).
    p_idx = list(range(max(0, K - prophet_origins), K))
    wp = np.arange(1, len(p_idx) + 1, dtype=float)
    wp = wp / wp.sum() if len(wp) else wp
    for r in prophet_rows:
        if not p_idx:
            break
        e = np.zeros((len(p_idx), hb))
        for j, oi in enumerate(p_idx):
            o = origins[oi]
            e[j] = Y[r, o : o + hb] - M.prophet_forecast(ds[:o], Y[r, :o], freq, hb)
        fast = errs[names[best[r]]][r]
        p_mae = float(np.abs(e).mean(axis=1) @ wp)
        f_mae = float(np.abs(fast[p_idx]).mean(axis=1) @ wp)
        prophet_mae[r] = p_mae
        prophet_plain[r] = float(np.abs(e).mean())
        if p_mae < f_mae:  # so f_mae > 0
            chosen[r] = "prophet"
            prophet_errs[r] = sel[r] * (p_mae / f_mae)
    # Final forecasts.
    yhat = np.zeros((k, horizon))
    for c in set(chosen) - {"prophet"}:
        rows = [i for i, m in enumerate(chosen) if m == c]
        yhat[rows] = M.fast_forecast(c, Y[rows], t, freq, horizon)
    for r, m in enumerate(chosen):
        if m == "prophet":
            yhat[r] = M.prophet_forecast(ds, Y[r], freq, horizon)
    lower = {lvl: np.zeros((k, horizon)) for lvl in levels}
    upper = {lvl: np.zeros((k, horizon)) for lvl in levels}
    coverage = {lvl: np.full(k, np.nan) for lvl in levels}
    used_mae = np.zeros(k)
    zhat = z(yhat)
    for r in range(k):
        e = prophet_errs[r] if chosen[r] == "prophet" else sel[r] if K else None
        if e is None or not e.size:
            # No backtest possible: the seasonal-naive spread, grown like a random walk.
            zy = box_cox(Y[r : r + 1], lam[r : r + 1])[0]
            spread = float(np.std(zy[freq.season :] - zy[: -freq.season])) if n > freq.season else 0.0
            cal = Calibration(0.5, {lvl: spread * _Z[lvl] if lvl in _Z else spread * 2 for lvl in levels})
        else:
            cal = calibrate(e, levels)
        hw = cal.half_width(horizon)
        for lvl in levels:
            if lam[r] == 1:
                lower[lvl][r] = yhat[r] - hw[lvl]
                upper[lvl][r] = yhat[r] + hw[lvl]
            else:
                lr = lam[r : r + 1]
                lower[lvl][r] = np.minimum(inv_box_cox(zhat[r : r + 1] - hw[lvl], lr)[0], yhat[r])
                upper[lvl][r] = np.maximum(inv_box_cox(zhat[r : r + 1] + hw[lvl], lr)[0], yhat[r])
        if K:
            cov = loo_coverage(e, levels)
            for lvl in levels:
                coverage[lvl][r] = np.nan if cov[lvl] is None else cov[lvl]
            if chosen[r] == "prophet":
                used_mae[r] = prophet_plain[r]
            else:
                used_mae[r] = np.abs(errs[chosen[r]][r]).mean()
        else:
            used_mae[r] = np.nan
    lo_b = np.where(Y.min(axis=1) >= 0, 0.0, -np.inf) if lower_bound is None else lower_bound
    hi_b = np.inf if upper_bound is None else upper_bound
    lo_b = np.broadcast_to(np.asarray(lo_b, dtype=float), (k,))[:, None]
    hi_b = np.broadcast_to(np.asarray(hi_b, dtype=float), (k,))[:, None]
    yhat = np.clip(yhat, lo_b, hi_b)
    for lvl in levels:
        lower[lvl] = np.clip(lower[lvl], lo_b, hi_b)
        upper[lvl] = np.clip(upper[lvl], lo_b, hi_b)
    return BatchResult(
        yhat=yhat,
        lower=lower,
        upper=upper,
        model=chosen,
        mase_model=used_mae / scale,
        mase_baseline=base_mae / scale,
        prophet_mase=prophet_plain / scale,
        coverage=coverage,
        origins=K,
        box_cox_lambda=lam,
    )


def _num(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def result_frame(
    series: Series, batch: BatchResult, row: int, horizon: int, levels: Sequence[int]
) -> pd.DataFrame:
    """The output table of one series: ds, yhat, yhat_lower_<L>, yhat_upper_<L>..., model."""
    cols: dict[str, object] = {"ds": future_index(series, horizon), "yhat": batch.yhat[row]}
    for lvl in sorted(levels):
        cols[f"yhat_lower_{lvl}"] = batch.lower[lvl][row]
        cols[f"yhat_upper_{lvl}"] = batch.upper[lvl][row]
    cols["model"] = batch.model[row]
    return pd.DataFrame(cols)


def forecast(
    df: pd.DataFrame,
    horizon: int,
    *,
    freq: str | Freq | None = None,
    levels: Sequence[int] = DEFAULT_LEVELS,
    use_prophet: bool = True,
    lower_bound: float | None = None,
    upper_bound: float | None = None,
    name: str = "series",
) -> ForecastResult:
    """Forecast one series (`ds`, `y`) `horizon` steps ahead with calibrated intervals at `levels`."""
    if int(horizon) < 1:
        raise ValueError("horizon must be >= 1")
    bad = [lvl for lvl in levels if not 0 < int(lvl) < 100]
    if bad:
        raise ValueError(f"levels must be between 1 and 99 (percent): {bad}")
    s = prepare(df, freq, name=name)
    batch = forecast_batch(
        s.y[None, :],
        s.ds,
        s.freq,
        int(horizon),
        levels=levels,
        prophet_rows=[0] if use_prophet else [],
        lower_bound=lower_bound,
        upper_bound=upper_bound,
    )
    return ForecastResult(
        frame=result_frame(s, batch, 0, int(horizon), levels),
        model=batch.model[0],
        mase_model=_num(batch.mase_model[0]),
        mase_baseline=_num(batch.mase_baseline[0]),
        prophet_mase=_num(batch.prophet_mase[0]),
        coverage={lvl: _num(batch.coverage[lvl][0]) for lvl in sorted({int(x) for x in levels})},
        history_points=len(s),
        backtest_origins=batch.origins,
        filled=s.filled,
        box_cox_lambda=float(batch.box_cox_lambda[0]),
    )

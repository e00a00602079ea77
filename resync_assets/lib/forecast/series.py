"""Input checking and regularisation of one time series (`ds`, `y`), the Prophet convention.

A series comes in as a table with a timestamp column `ds` and a numeric column `y`. Checking is strict
about what cannot be repaired silently (unsorted or duplicate timestamps, NaN values, text in `y`, too
little history) and lenient about what real exports look like: timestamps a little off the grid are
floored onto it, missing steps (gaps) are filled by linear interpolation and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


class ForecastInputError(ValueError):
    """The series cannot be forecast as given; the message names the problem."""


# Season length (steps per day) comes from the frequency; daily data uses the week.
_MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class Freq:
    """A supported regular frequency: its pandas alias, step and the seasonal periods (in steps)."""

    alias: str  # '5min', '10min', 'h', 'D', ...
    step: pd.Timedelta

    @property
    def steps_per_day(self) -> float:
        return pd.Timedelta(days=1) / self.step

    @property
    def season(self) -> int:
        """The main seasonal period in steps: one day for sub-daily data, one week for daily data."""
        return 7 if self.alias == "D" else round(self.steps_per_day)

    def periods(self, n: int) -> list[float]:
        """Seasonal periods worth modelling with `n` observations: day (sub-daily), week, year (daily)."""
        out: list[float] = []
        if self.alias != "D":
            out.append(self.steps_per_day)
        week = 7 * self.steps_per_day
        if n >= 2 * week:
            out.append(week)
        if self.alias == "D" and n >= 2 * 365:
            out.append(365.25)
        return out


def parse_freq(text: str) -> Freq:
    """`5min`, `10min`, `15min`, `30min`, `h`/`H`/`1h`, `D`/`d`/`1D` (any case) → `Freq`."""
    raw = str(text).strip()
    t = raw.lower()
    if t in ("d", "1d", "day", "daily"):
        return Freq("D", pd.Timedelta(days=1))
    if t in ("h", "1h", "hour", "hourly"):
        return Freq("h", pd.Timedelta(hours=1))
    for suffix in ("min", "t"):
        if t.endswith(suffix):
            num = t[: -len(suffix)] or "1"
            if num.isdigit() and int(num) > 0 and _MINUTES_PER_DAY % int(num) == 0:
                minutes = int(num)
                if minutes == 60:
                    return Freq("h", pd.Timedelta(hours=1))
                return Freq(f"{minutes}min", pd.Timedelta(minutes=minutes))
    raise ForecastInputError(
        f"unsupported frequency {raw!r}: use 5min (or another number of minutes dividing a day), h or D"
    )


def infer_freq(ds: pd.Series) -> Freq:
    """The frequency of sorted timestamps from their most common spacing."""
    diffs = ds.diff().dropna()
    if diffs.empty:
        raise ForecastInputError("cannot infer the frequency from a single timestamp: pass --freq")
    step = diffs.mode().iloc[0]
    if step >= pd.Timedelta(days=1) and step % pd.Timedelta(days=1) == pd.Timedelta(0) and step.days == 1:
        return Freq("D", pd.Timedelta(days=1))
    minutes = step / pd.Timedelta(minutes=1)
    if minutes >= 1 and float(minutes).is_integer() and _MINUTES_PER_DAY % int(minutes) == 0:
        return parse_freq(f"{int(minutes)}min")
    raise ForecastInputError(
        f"cannot infer a supported frequency: the most common spacing is {step}; "
        "pass --freq 5min|h|D to resample"
    )


@dataclass
class Series:
    """A checked, regular series: values on a complete grid plus what was repaired."""

    ds: pd.DatetimeIndex
    y: np.ndarray
    freq: Freq
    filled: int  # grid steps that were missing and interpolated
    tz: object = None

    def __len__(self) -> int:
        return len(self.y)


def min_points(freq: Freq) -> int:
    """Shortest history accepted: two seasons (two days sub-daily, two weeks daily)."""
    return 2 * freq.season


def prepare(df: pd.DataFrame, freq: str | Freq | None = None, *, name: str = "series") -> Series:
    """Check `df` (`ds`, `y`) and put it on a regular grid; raise `ForecastInputError` naming the problem."""
    if not isinstance(df, pd.DataFrame):
        raise ForecastInputError(f"{name}: expected a table with columns ds, y")
    missing = [c for c in ("ds", "y") if c not in df.columns]
    if missing:
        raise ForecastInputError(
            f"{name}: missing column(s) {', '.join(missing)}; expected columns ds, y "
            f"(found: {', '.join(map(str, df.columns)) or 'none'})"
        )
    if len(df) == 0:
        raise ForecastInputError(f"{name}: the series is empty")
    try:
        ds = pd.to_datetime(df["ds"], utc=False)
    except (ValueError, TypeError) as exc:
        raise ForecastInputError(f"{name}: column ds holds values that are not timestamps ({exc})") from None
    if ds.isna().any():
        row = int(np.flatnonzero(ds.isna().to_numpy())[0])
        raise ForecastInputError(f"{name}: column ds is empty at row {row + 1}")
    y_raw = df["y"]
    if not pd.api.types.is_numeric_dtype(y_raw) or pd.api.types.is_bool_dtype(y_raw):
        coerced = pd.to_numeric(y_raw, errors="coerce")
        bad = coerced.isna() & y_raw.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ForecastInputError(
                f"{name}: column y is not numeric: row {row + 1} holds {y_raw.iloc[row]!r}"
            )
        y_raw = coerced
    y = y_raw.to_numpy(dtype=float)
    if np.isnan(y).any():
        rows = np.flatnonzero(np.isnan(y))
        raise ForecastInputError(
            f"{name}: column y has {len(rows)} NaN/empty value(s), first at row {rows[0] + 1} "
            f"(ds={ds.iloc[rows[0]]}); drop those rows (gaps are filled) or fill them"
        )
    if np.isinf(y).any():
        row = int(np.flatnonzero(np.isinf(y))[0])
        raise ForecastInputError(f"{name}: column y is infinite at row {row + 1}")
    dup = ds.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise ForecastInputError(f"{name}: duplicate ds {ds.iloc[row]} (row {row + 1}); ds must be unique")
    if not ds.is_monotonic_increasing:
        row = int(np.flatnonzero((ds.diff() < pd.Timedelta(0)).to_numpy())[0])
        raise ForecastInputError(
            f"{name}: ds is not sorted: row {row + 1} ({ds.iloc[row]}) comes before row {row} "
            f"({ds.iloc[row - 1]}); sort the series by ds"
        )
    tz = ds.dt.tz
    if tz is not None:
        ds = ds.dt.tz_convert("UTC").dt.tz_localize(None)
    f = freq if isinstance(freq, Freq) else (parse_freq(freq) if freq else infer_freq(ds))
    # Floor onto the grid; several samples in one step (finer input) are averaged.
    floored = ds.dt.floor(f.step) if f.alias != "D" else ds.dt.normalize()
    frame = pd.DataFrame({"ds": floored.to_numpy(), "y": y}).groupby("ds", sort=True)["y"].mean()
    grid = pd.date_range(frame.index[0], frame.index[-1], freq=f.step)
    regular = frame.reindex(grid)
    filled = int(regular.isna().sum())
    if filled:
        regular = regular.interpolate(method="linear", limit_direction="both")
    n = len(regular)
    need = min_points(f)
    if n < need:
        raise ForecastInputError(
            f"{name}: too short: {n} point(s) at frequency {f.alias}; need at least {need} "
            f"(two seasons of {f.season} steps)"
        )
    if filled > 0.5 * n:
        raise ForecastInputError(
            f"{name}: {filled} of {n} steps at frequency {f.alias} are missing; "
            "the series is too sparse for this frequency (pass a coarser --freq)"
        )
    return Series(pd.DatetimeIndex(grid), regular.to_numpy(dtype=float), f, filled, tz)


def future_index(series: Series, horizon: int) -> pd.DatetimeIndex:
    """The `horizon` timestamps after the last observation (timezone as in the input)."""
    idx = pd.date_range(series.ds[-1] + series.freq.step, periods=horizon, freq=series.freq.step)
    if series.tz is not None:
        idx = idx.tz_localize("UTC").tz_convert(series.tz)
    return idx


# -- variance stabilisation ---------------------------------------------------------------------------


def stabilising_lambda(Y: np.ndarray, season: int, min_blocks: int = 8) -> np.ndarray:
    """Box-Cox λ per row of `Y` (`(k, n)`), chosen from the data by Tukey's spread-versus-level rule.

    The history is cut into blocks of one season; in each block the level is the median value and the
    spread the median absolute deviation of the seasonal differences (how far a seasonal-naive
    forecast strays there, net of the block's trend). The slope
    β of log spread on log level says how the error grows with the level: β = 0 constant (λ = 1, no
    transform), β = 1 proportional (λ = 0, log). λ = 1 - β, clipped to [0, 1], is used only for rows that
    are strictly positive and whose slope is positive beyond two standard errors over at least
    `min_blocks` blocks; every other row gets 1 (no transform)."""
    Y = np.asarray(Y, dtype=float)
    k, n = Y.shape
    lam = np.ones(k)
    nb = (n - season) // season if n > season else 0
    if nb < min_blocks:
        return lam
    pos = Y.min(axis=1) > 0
    if not pos.any():
        return lam
    cut = nb * season
    d = (Y[pos, season:] - Y[pos, :-season])[:, -cut:].reshape(-1, nb, season)
    lvl = Y[pos, season:][:, -cut:].reshape(-1, nb, season)
    x = np.log(np.median(lvl, axis=2))
    # The spread around the block's own median difference: a trend (a steady seasonal difference)
    # is the models' job and must not read as noise growing with the level.
    spread = np.median(np.abs(d - np.median(d, axis=2, keepdims=True)), axis=2)
    ok = spread > 0
    with np.errstate(divide="ignore"):
        y = np.where(ok, np.log(np.where(ok, spread, 1.0)), np.nan)
    x = np.where(ok, x, np.nan)
    m = ok.sum(axis=1)
    with np.errstate(invalid="ignore"):
        xm = np.nansum(x, axis=1, keepdims=True) / np.maximum(m, 1)[:, None]
        ym = np.nansum(y, axis=1, keepdims=True) / np.maximum(m, 1)[:, None]
    dx = np.where(ok, x - xm, 0.0)
    dy = np.where(ok, y - ym, 0.0)
    sxx = (dx**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = (dx * dy).sum(axis=1) / sxx
        resid = np.where(ok, dy - beta[:, None] * dx, 0.0)
        se = np.sqrt((resid**2).sum(axis=1) / np.maximum(m - 2, 1) / sxx)
    use = (m >= min_blocks) & (sxx > 0) & np.isfinite(beta) & (beta - 2 * se > 0)
    lam[np.flatnonzero(pos)[use]] = np.round(np.clip(1 - beta[use], 0.0, 1.0), 2)
    return lam


def box_cox(Y: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Box-Cox transform of each row of `Y` with its λ (`lam`, one per row); λ = 1 leaves a row as is.
    Rows with λ < 1 must be strictly positive."""
    Y = np.asarray(Y, dtype=float)
    lam = np.asarray(lam, dtype=float).reshape((-1,) + (1,) * (Y.ndim - 1))
    out = Y.copy()
    rows = np.flatnonzero(lam.ravel() < 1)
    for r in rows:
        lr = float(lam.ravel()[r])
        out[r] = np.log(Y[r]) if lr == 0 else (Y[r] ** lr - 1) / lr
    return out


def inv_box_cox(Z: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The inverse of `box_cox` (values below the transform's range map to 0)."""
    Z = np.asarray(Z, dtype=float)
    lam = np.asarray(lam, dtype=float).ravel()
    out = Z.copy()
    for r in np.flatnonzero(lam < 1):
        lr = float(lam[r])
        if lr == 0:
            out[r] = np.exp(np.minimum(Z[r], 700.0))
        else:
            out[r] = np.maximum(lr * Z[r] + 1, 0.0) ** (1 / lr)
    return out

"""The current trend of a daily resource series and when it reaches a threshold, with its uncertainty.

A host's CPU, memory or disk usually stays flat for months and then starts to grow (a new
application, growing data) or jumps once (a migration). What matters for "when will it hit 95 %" is
the slope since the change, not the average slope of the whole history, and how sure we are of it.

The model is a piecewise-linear trend with a data-chosen break plus a day-of-week profile, fitted by
least squares on the last `window` days (spikes clipped first against the same weekday's neighbours,
so an incident does not bend the fit). Candidate shapes, each with a break day τ tried every
`break_step` days:

* `flat`: level only;
* `hinge`: flat, then a slope from τ (the line is continuous at τ); `linear`, one slope over the
  whole window, is the hinge whose growth began at the window's start;
* `bend`: one slope, then another from τ;
* `step`: a level shift at τ, flat on both sides;  * `step_slope`: a level shift at τ, then a slope;
* `shift`: one slope with a level shift at τ (a clean-up of a growing disk);
* `broken`: a level shift at τ and a new slope from there.

Each (shape, τ) gets a posterior weight from its BIC and a prior: flat and hinge (with the line) one
each, each of the five families with a level shift or a second slope (bend, step, step_slope, shift,
broken) `TrendConfig.extra_shape_prior` (0.2: together as likely as one simple shape, not five times
as likely), each family's prior spread evenly over its break days; so the break day and the shape are
uncertain too. The crossing-day distribution is sampled: a shape and τ by weight, then its trend
coefficients (level and slopes) from their normal posterior (least-squares covariance, widened for
the residuals' lag-1 autocorrelation); each sample's expected path (trend plus the fitted weekday
profile) is followed forward and its first day at or over the threshold is its crossing day. The
weekday profile is not sampled: the first crossing is on the highest weekday, and the highest of
seven independently perturbed weekdays sits above the estimate's highest in every sample, which
moved the crossing days early (on the simulator: median error -7 days where the break was right);
instead each sample's path is shifted by the standard error of the busiest weekday's profile value
(symmetric: wider, not earlier). "Crossing" is the expected daily value reaching the threshold,
not one spiky day over it. Sampling uses a fixed seed, so a re-run gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from resync_assets.lib.forecast.models import seasonal_hampel

# Shape → its trend terms after the level (see `_terms`).
SHAPES = {
    "flat": (),
    "linear": ("t",),
    "hinge": ("after",),
    "bend": ("t", "after"),
    "step": ("jump",),
    "step_slope": ("jump", "after"),
    "shift": ("t", "jump"),
    "broken": ("t", "jump", "after"),
}


@dataclass(frozen=True)
class TrendConfig:
    """Window and break search of `fit_trend`, sampling of `crossing_days`."""

    window: int = 182  # days of history the trend is fitted on
    min_points: int = 21  # fewer observed days: no fit
    break_step: int = 3  # days between candidate break days
    min_segment: int = 14  # observed days needed after a break (and before it)
    clip_sigmas: float = 3.0  # robust pass: residuals beyond this many robust deviations are clipped
    weekday_min_points: int = 21  # weekday profile only with at least three weeks
    samples: int = 4000
    seed: int = 0
    # Prior weight of each family with a level shift or a second slope (flat and hinge: 1 each).
    extra_shape_prior: float = 0.2


@dataclass
class TrendFit:
    """The fitted candidates of one series and their posterior weights."""

    n: int  # length of the window (days, gaps included)
    weekday0: int  # weekday of the window's first day (Monday 0)
    use_weekday: bool
    shapes: list[str]
    breaks: list[int | None]  # break index within the window
    betas: list[np.ndarray]
    covs: list[np.ndarray]
    weights: np.ndarray
    sigma: float  # residual spread of the best candidate
    last_level: float  # the best candidate's fitted trend at the last day (weekday profile averaged)

    @property
    def best(self) -> int:
        return int(np.argmax(self.weights))

    @property
    def shape(self) -> str:
        """The most probable shape (by summed weight over its break days)."""
        tot: dict[str, float] = {}
        for s, w in zip(self.shapes, self.weights, strict=True):
            tot[s] = tot.get(s, 0.0) + float(w)
        return max(tot, key=tot.get)

    def slope_per_week(self) -> tuple[float, float]:
        """Posterior mean and standard deviation of the current slope (units per week)."""
        m = np.array([_slope(s, b) for s, b in zip(self.shapes, self.betas, strict=True)])
        v = np.array([_slope_var(s, c) for s, c in zip(self.shapes, self.covs, strict=True)])
        mean = float(self.weights @ m)
        var = float(self.weights @ (v + (m - mean) ** 2))
        return 7 * mean, 7 * float(np.sqrt(max(var, 0.0)))


def _terms(shape: str) -> tuple[str, ...]:
    """The trend columns of a shape after the level: `t` (a slope from the start), `jump` (a level
    shift at τ), `after` (a slope, or a change of slope, from τ)."""
    return SHAPES[shape]


def _slope(shape: str, beta: np.ndarray) -> float:
    """The current slope (per day): the slope from the start plus the change from τ."""
    terms = _terms(shape)
    return float(sum(beta[1 + i] for i, c in enumerate(terms) if c in ("t", "after")))


def _slope_var(shape: str, cov: np.ndarray) -> float:
    idx = [1 + i for i, c in enumerate(_terms(shape)) if c in ("t", "after")]
    return float(cov[np.ix_(idx, idx)].sum()) if idx else 0.0


def _trend_cols(shape: str, t: np.ndarray, tau: int | None) -> list[np.ndarray]:
    cols = [np.ones_like(t, dtype=float)]
    for c in _terms(shape):
        if c == "t":
            cols.append(t.astype(float))
        elif c == "jump":
            cols.append((t >= tau).astype(float))
        else:
            cols.append(np.maximum(t - tau, 0.0))
    return cols


def _weekday_cols(t: np.ndarray, weekday0: int) -> list[np.ndarray]:
    """Six sum-to-zero weekday columns (the trend then carries the week's mean)."""
    wd = (t.astype(int) + weekday0) % 7
    cols = []
    for d in range(6):
        cols.append((wd == d).astype(float) - (wd == 6).astype(float))
    return cols


def _design(shape: str, t: np.ndarray, tau: int | None, weekday0: int, use_weekday: bool) -> np.ndarray:
    cols = _trend_cols(shape, t, tau)
    if use_weekday:
        cols += _weekday_cols(t, weekday0)
    return np.column_stack(cols)


def _designs(shape: str, t: np.ndarray, taus: list, weekday0: int, use_weekday: bool) -> np.ndarray:
    """`_design` for every break day of `taus` at once: (len(taus), len(t), columns)."""
    tau = np.array([0.0 if x is None else float(x) for x in taus])[:, None]
    tt = np.broadcast_to(t.astype(float)[None, :], (len(taus), len(t)))
    cols = [np.ones_like(tt)]
    for c in _terms(shape):
        if c == "t":
            cols.append(tt)
        elif c == "jump":
            cols.append((tt >= tau).astype(float))
        else:
            cols.append(np.maximum(tt - tau, 0.0))
    if use_weekday:
        cols += [np.broadcast_to(w[None, :], tt.shape) for w in _weekday_cols(t, weekday0)]
    return np.stack(cols, axis=2)


def _ar1_inflation(resid: np.ndarray) -> np.ndarray:
    """Per row of `resid` (candidates x days): the variance factor (1 + ρ) / (1 - ρ) of positively
    autocorrelated residuals (1 when ρ ≤ 0 or with fewer than 10 days)."""
    if resid.shape[1] < 10:
        return np.ones(resid.shape[0])
    r = resid - resid.mean(axis=1, keepdims=True)
    den = np.einsum("tm,tm->t", r, r)
    num = np.einsum("tm,tm->t", r[:, 1:], r[:, :-1])
    rho = np.clip(np.divide(num, den, out=np.zeros_like(num), where=den > 0), 0.0, 0.8)
    return (1 + rho) / (1 - rho)


def fit_trend(y, weekday0: int, config: TrendConfig = TrendConfig()) -> TrendFit | None:
    """Fit every candidate shape and break day to the last `config.window` days of `y` (daily values,
    NaN for missing days; `weekday0` is the weekday of `y[0]`, Monday 0). None with too few days."""
    y = np.asarray(y, dtype=float)
    if len(y) > config.window:
        weekday0 = (weekday0 + len(y) - config.window) % 7
        y = y[-config.window :]
    n = len(y)
    obs = np.isfinite(y)
    if obs.sum() < config.min_points:
        return None
    t_all = np.arange(n, dtype=float)
    # Spikes are clipped against the same weekday's neighbours (gaps filled only for that).
    filled = np.interp(t_all, t_all[obs], y[obs])
    clean = seasonal_hampel(filled[None, :], 7, symmetric=True)[0]
    t, yy = t_all[obs], clean[obs]
    m = len(yy)
    use_weekday = m >= config.weekday_min_points
    # A flat line must not give a zero spread (log 0): floor it at a tiny share of the level.
    floor = (1e-3 * max(1.0, float(np.median(np.abs(yy))))) ** 2
    # Break days with enough observed days on both sides.
    cum = np.cumsum(obs)
    taus = [
        tau
        for tau in range(config.min_segment, n, config.break_step)
        if cum[tau - 1] >= config.min_segment and cum[-1] - cum[tau - 1] >= config.min_segment
    ]
    # Prior: flat and hinge 1 each, the other families `extra_shape_prior`, each spread evenly over its
    # candidates (an extra shape fits noise a little better at some break day; five of them at equal
    # prior outvoted the hinge). A line over the whole window is the hinge whose growth began at the
    # window's start, one candidate among the break days.
    families = [(1.0, [("flat", None)]), (1.0, [("linear", None)] + [("hinge", tau) for tau in taus])]
    families += [
        (config.extra_shape_prior, [(shape, tau) for tau in taus])
        for shape in ("bend", "step", "step_slope", "shift", "broken")
    ]
    families = [(w, f) for w, f in families if f and w > 0]
    cands = _fit_candidates(families, t, yy, weekday0, use_weekday, floor)
    if cands is None:
        return None
    # One robust pass: values further than `clip_sigmas` robust deviations from the best candidate's
    # fit (incidents the weekday clipping left) are pulled in, and every candidate is fitted again.
    X = _design(cands[0][cands[5]], t, cands[1][cands[5]], weekday0, use_weekday)
    fitted = X @ cands[2][cands[5]]
    dev = yy - fitted
    lim = config.clip_sigmas * max(1.4826 * float(np.median(np.abs(dev))), np.sqrt(floor))
    if np.any(np.abs(dev) > lim):
        yy = fitted + np.clip(dev, -lim, lim)
        cands = _fit_candidates(families, t, yy, weekday0, use_weekday, floor)
    shapes, breaks, betas, covs, w, best = cands
    resid = yy - _design(shapes[best], t, breaks[best], weekday0, use_weekday) @ betas[best]
    Xlast = _design(shapes[best], np.array([n - 1.0]), breaks[best], weekday0, False)
    return TrendFit(
        n=n,
        weekday0=weekday0,
        use_weekday=use_weekday,
        shapes=shapes,
        breaks=breaks,
        betas=betas,
        covs=covs,
        weights=w,
        sigma=float(np.sqrt(np.mean(resid**2))),
        last_level=float(Xlast[0] @ betas[best][: Xlast.shape[1]]),
    )


def _fit_candidates(families, t, yy, weekday0: int, use_weekday: bool, floor: float):
    """Least squares of every (shape, break) of `families` ((prior weight, candidates) pairs); (shapes,
    breaks, betas, covariances, posterior weights, index of the best) or None. The break days of one
    shape are solved together."""
    m = len(yy)
    shapes, breaks, betas, covs, bics, priors = [], [], [], [], [], []
    for prior, fam in families:
        by_shape: dict[str, list] = {}
        for shape, tau in fam:
            by_shape.setdefault(shape, []).append(tau)
        for shape, taus in by_shape.items():
            X = _designs(shape, t, taus, weekday0, use_weekday)  # (T, m, p)
            p = X.shape[2]
            # The break day is not counted as a parameter here: its prior is spread over the days.
            if m <= p + 2:
                continue
            xtx_inv = np.linalg.pinv(np.einsum("tmp,tmq->tpq", X, X))
            beta = np.einsum("tpq,tq->tp", xtx_inv, np.einsum("tmp,m->tp", X, yy))
            resid = yy[None, :] - np.einsum("tmp,tp->tm", X, beta)
            rss = np.maximum(np.einsum("tm,tm->t", resid, resid), floor * m)
            s2 = rss / (m - p)
            infl = _ar1_inflation(resid)
            for i, tau in enumerate(taus):
                shapes.append(shape)
                breaks.append(tau)
                betas.append(beta[i])
                covs.append(s2[i] * infl[i] * xtx_inv[i])
                bics.append(m * np.log(rss[i] / m) + p * np.log(m))
                priors.append(prior / len(fam))
    if not shapes:
        return None
    bics = np.asarray(bics)
    logw = -0.5 * (bics - bics.min()) + np.log(np.asarray(priors))
    w = np.exp(logw - logw.max())
    w /= w.sum()
    return shapes, breaks, betas, covs, w, int(np.argmax(w))


def crossing_days(
    fit: TrendFit, threshold: float, horizon: int, config: TrendConfig = TrendConfig()
) -> np.ndarray:
    """Sampled crossing days (1 = the day after the last observed one; `inf`: not within `horizon`)."""
    rng = np.random.default_rng(config.seed)
    counts = rng.multinomial(config.samples, fit.weights)
    tf = fit.n - 1 + np.arange(1, horizon + 1, dtype=float)
    out = []
    z = rng.standard_normal((config.samples, max(len(b) for b in fit.betas)))
    used = 0
    for i in np.flatnonzero(counts):
        Xf = _design(fit.shapes[i], tf, fit.breaks[i], fit.weekday0, fit.use_weekday)
        # Trend coefficients from their marginal N(beta, cov), the weekday profile at its estimate
        # (see the module docstring): beta + z A' with A A' = cov (eigen-decomposition: the covariance
        # may be singular).
        q = 1 + len(_terms(fit.shapes[i]))
        cov = np.zeros_like(fit.covs[i])
        cov[:q, :q] = fit.covs[i][:q, :q]
        lam, vec = np.linalg.eigh(cov)
        a = vec * np.sqrt(np.clip(lam, 0.0, None))
        p = len(fit.betas[i])
        b = fit.betas[i] + z[used : used + counts[i], :p] @ a.T
        used += counts[i]
        paths = b @ Xf.T  # (samples, horizon)
        if p > q:
            # The profile's own error still moves the busiest weekday's level: a symmetric shift of
            # every sample's path by that weekday's standard error (no bias toward early crossings).
            profile = Xf[:, q:] @ fit.betas[i][q:]
            x = Xf[int(np.argmax(profile)), q:]
            sd = float(np.sqrt(max(x @ fit.covs[i][q:, q:] @ x, 0.0)))
            paths = paths + sd * rng.standard_normal((counts[i], 1))
        over = paths >= threshold
        first = np.where(over.any(axis=1), over.argmax(axis=1) + 1.0, np.inf)
        out.append(first)
    return np.concatenate(out) if out else np.full(config.samples, np.inf)

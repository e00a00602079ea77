"""The trend behind the threshold ETA on hand-made daily series with known answers."""

from datetime import date, timedelta

import numpy as np
import pandas as pd

from resync_assets.lib.forecast.eta import EtaConfig, threshold_eta, trend_eta
from resync_assets.lib.forecast.trend import fit_trend

LAST = date(2026, 6, 30)


def _noise(n: int, seed: int, sd: float = 4.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, sd, n)


def _ramp(seed: int) -> tuple[np.ndarray, int]:
    """100 flat days at 60 %, then +3 points a week for 6 weeks, with noise (sd 3), incidents at 100 %
    and a 3-day gap. 60 + 3 (k - 100) / 7 reaches 95 % on day k = 182: 41 days after the last one."""
    n = 142
    k = np.arange(n)
    y = 60 + 3 * np.maximum(k - 100, 0) / 7 + _noise(n, seed, 3.0)
    y[[20, 57, 110, 128]] = 100.0  # incidents
    y[70:73] = np.nan  # collector down
    return y, 41


def test_ramp_with_noise_spikes_and_a_gap_crosses_within_a_week_of_the_truth():
    errors = []
    for seed in range(12):
        y, truth = _ramp(seed)
        eta = trend_eta(LAST, y, 95.0)
        assert eta is not None and not eta["already_over"]
        assert eta["eta_day_50"] is not None, seed
        err = (eta["eta_day_50"] - (LAST + timedelta(days=truth))).days
        errors.append(err)
        probs = [p for _, p in eta["weeks"]]
        assert probs == sorted(probs) and probs[0] < 0.01 and probs[-1] > 0.9
        # 10 % comes before (or with) 50 %, and the week of the 50 % day is the 50 % week.
        assert eta["weeks_to_10"] <= eta["weeks_to_50"] == (truth + err - 1) // 7 + 1
        if seed < 6:
            assert eta["shape"] in ("hinge", "bend", "step_slope"), seed
            assert abs(eta["slope_per_week"] - 3.0) < 3 * eta["slope_sd_per_week"], seed
    # Measured: 10 of 12 within a week (the other two 13 and 15 days off), median |error| 5 days
    # (2.5 with the shape families a priori alike: the same cases a few days either way).
    errors = np.abs(errors)
    assert (errors <= 7).sum() >= 9 and np.median(errors) <= 6, errors


def test_flat_series_has_no_eta_even_close_to_the_threshold_with_spikes():
    for seed in range(5):
        y = 82 + _noise(150, seed, 5.0)
        y[[30, 90, 140]] = 100.0
        eta = trend_eta(LAST, y, 95.0)
        assert eta["weeks_to_50"] is None and eta["eta_day_50"] is None, seed
        assert eta["weeks"][-1][1] < 0.1, seed
    # A perfectly flat line (a stuck collector) is flat, not an error.
    eta = trend_eta(LAST, np.full(60, 40.0), 90.0)
    assert eta["weeks_to_10"] is None and eta["shape"] == "flat" and abs(eta["slope_per_week"]) < 1e-9


def test_a_level_shift_without_a_trend_gives_no_eta():
    for seed in range(5):
        k = np.arange(150)
        y = 55 + 20 * (k >= 110) + _noise(150, seed, 3.0)
        eta = trend_eta(LAST, y, 90.0)
        assert eta["weeks_to_50"] is None, (seed, eta["shape"], eta["slope_per_week"])
        assert eta["weeks"][-1][1] < 0.1, seed
        assert eta["shape"] == "step", seed


def test_a_clean_up_of_a_growing_disk_does_not_hide_the_growth():
    """+2 points a week, a clean-up frees 25 points on day 110, growth goes on: 80.4 % on the last day,
    90 % 34 days later."""
    errors = []
    for seed in range(6):
        k = np.arange(160)
        y = 60 + 2 * k / 7 - 25 * (k >= 110) + _noise(160, seed, 1.5)
        eta = trend_eta(LAST, y, 90.0)
        assert eta["shape"] in ("shift", "broken"), seed
        errors.append((eta["eta_day_50"] - (LAST + timedelta(days=34))).days)
    # Measured: -1 to +6 days.
    assert max(np.abs(errors)) <= 7, errors


def test_weekday_profile_makes_the_busy_day_cross_first():
    """A Monday peak 10 points over the other days: the Monday crosses a week or more before the mean."""
    n = 140
    days = pd.date_range(end=pd.Timestamp(LAST), periods=n, freq="D")
    k = np.arange(n)
    y = 50 + 2.5 * np.maximum(k - 60, 0) / 7 + 10 * (days.weekday == 0) + _noise(n, 3, 2.0)
    eta = trend_eta(LAST, y, 95.0)
    assert eta["eta_day_50"].weekday() == 0
    # Monday level 60 + 2.5 (k - 60) / 7 reaches 95 at k = 158: 18-24 days after the last day.
    assert 14 <= (eta["eta_day_50"] - LAST).days <= 28


def test_already_over_and_too_short():
    assert trend_eta(LAST, 96 + _noise(60, 0, 1.0), 95.0)["weeks_to_50"] == 0
    assert trend_eta(LAST, 50 + _noise(10, 0), 95.0) is None
    assert fit_trend(np.full(30, np.nan), 0) is None


def test_threshold_eta_uses_the_history_and_falls_back_to_the_forecast():
    y, truth = _ramp(0)
    days = pd.date_range(end=pd.Timestamp(LAST), periods=len(y), freq="D")
    history = pd.concat(
        [
            pd.DataFrame({"series_id": "host:h1:cpu", "series_kind": "host_cpu", "entity": "h1", "ds": days, "y": y}),
            # Only 10 days of memory: too short for a trend.
            pd.DataFrame({"series_id": "host:h1:memory", "series_kind": "host_memory", "entity": "h1",
                          "ds": days[-10:], "y": 50.0}),
        ]
    ).dropna(subset=["y"])  # fmt: skip
    future = [LAST + timedelta(days=k) for k in range(1, 85)]
    mem = np.linspace(90, 99, 84)
    forecasts = pd.DataFrame({"series_id": "host:h1:memory", "series_kind": "host_memory", "entity": "h1",
                              "ds": future, "yhat": mem, "yhat_lower_80": mem - 1, "yhat_upper_80": mem + 1})  # fmt: skip
    eta = threshold_eta(forecasts, None, EtaConfig(), history=history)
    cpu = eta[eta["resource"] == "cpu"].sort_values("week")
    assert len(cpu) == 12 and cpu["week_start"].iloc[0] == LAST + timedelta(days=1)
    assert abs((cpu["eta_day_50"].iloc[0] - (LAST + timedelta(days=truth))).days) <= 7
    memory = eta[eta["resource"] == "memory"]
    # The forecast reaches 95 % on day 47 (90 + 9 k / 83).
    assert memory["weeks_to_50"].iloc[0] == 7 and len(memory) == 12


def test_a_clean_recent_ramp_keeps_its_slope_up_to_the_last_day():
    # A filling disk: flat for 20 weeks, then +3.8 points a week for 4 weeks, almost no noise. The
    # spike filter compares a value with its weekday neighbours; in the last weeks those lie only in
    # the past, and clipping against them flattened the ramp (slope 2.5, ETA a month late).
    n = 168
    k = np.arange(n)
    y = 52 + 3.8 * np.maximum(k - 140, 0) / 7 + _noise(n, 3, 0.2)
    eta = trend_eta(LAST, y, 90.0)
    assert abs(eta["slope_per_week"] - 3.8) < 0.2, eta["slope_per_week"]
    # 52 + 3.8 (k - 140) / 7 reaches 90 on day k = 210: 43 days after the last one.
    assert abs((eta["eta_day_50"] - (LAST + timedelta(days=43))).days) <= 3, eta["eta_day_50"]


def test_symmetric_spike_filter_leaves_a_ramp_and_clips_a_spike():
    from resync_assets.lib.forecast.models import seasonal_hampel

    y = np.concatenate([np.full(70, 50.0), 50 + 0.5 * np.arange(1, 29)]) + _noise(98, 1, 0.1)
    y[40] = 99.0
    one_sided = seasonal_hampel(y[None, :], 7)[0]
    both = seasonal_hampel(y[None, :], 7, symmetric=True)[0]
    assert one_sided[-1] < y[-1] - 3  # the one-sided median lags the ramp: clipped
    assert np.allclose(both[70:], y[70:])  # kept
    assert both[40] < 51  # the spike inside the window is clipped either way

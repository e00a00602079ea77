"""The forecaster: calibrated intervals out of sample, model choice against seasonal naive, the CLI."""

import numpy as np
import pandas as pd
import pytest

from resync_assets.cli import main
from resync_assets.lib.forecast.forecaster import forecast, forecast_batch
from resync_assets.lib.forecast.series import parse_freq


def _seasonal(n, rng, trend=0.05, noise=2.0):
    t = np.arange(n)
    return 50 + trend * t + 6 * np.sin(2 * np.pi * t / 7) + rng.normal(0, noise, n)


def test_intervals_cover_out_of_sample_on_many_series():
    """Calibrated on each prefix, scored on the 28 days after it: coverage near nominal."""
    rng = np.random.default_rng(3)
    k, n, h = 200, 300, 28
    Y = np.vstack(
        [_seasonal(n, rng, trend=rng.uniform(-0.05, 0.1), noise=rng.uniform(1, 4)) for _ in range(k)]
    )
    ds = pd.date_range("2025-01-01", periods=n, freq="D")
    hits80, hits95 = [], []
    for origin in (200, 240, 272):
        b = forecast_batch(Y[:, :origin], ds[:origin], parse_freq("D"), h, lower_bound=-np.inf)
        actual = Y[:, origin : origin + h]
        hits80.append((actual >= b.lower[80]) & (actual <= b.upper[80]))
        hits95.append((actual >= b.lower[95]) & (actual <= b.upper[95]))
    cov80, cov95 = np.mean(hits80), np.mean(hits95)
    assert 0.75 <= cov80 <= 0.87, cov80
    assert 0.90 <= cov95 <= 0.98, cov95


def test_intervals_are_nested_and_bounded():
    rng = np.random.default_rng(1)
    y = np.clip(_seasonal(120, rng, trend=0.3), 0, None)
    df = pd.DataFrame({"ds": pd.date_range("2026-01-01", periods=120, freq="D"), "y": y})
    r = forecast(df, 30, use_prophet=False, upper_bound=100.0)
    f = r.frame
    assert list(f.columns) == [
        "ds",
        "yhat",
        "yhat_lower_80",
        "yhat_upper_80",
        "yhat_lower_95",
        "yhat_upper_95",
        "model",
    ]
    assert (f["yhat_lower_95"] <= f["yhat_lower_80"]).all() and (f["yhat_lower_80"] <= f["yhat"]).all()
    assert (f["yhat"] <= f["yhat_upper_80"]).all() and (f["yhat_upper_80"] <= f["yhat_upper_95"]).all()
    assert f["yhat_upper_95"].max() <= 100.0 and f["yhat_lower_95"].min() >= 0.0
    assert f["ds"].iloc[0] == pd.Timestamp("2026-05-01")


def test_model_beats_seasonal_naive_on_trend_or_falls_back():
    rng = np.random.default_rng(2)
    n = 200
    trend = pd.DataFrame(
        {"ds": pd.date_range("2026-01-01", periods=n, freq="D"), "y": _seasonal(n, rng, trend=0.4, noise=1)}
    )
    r = forecast(trend, 28, use_prophet=False)
    assert r.model.startswith("trend") and r.beats_baseline and r.mase_model < r.mase_baseline
    # Pure weekly pattern without noise: seasonal naive is exact and must be the model kept.
    flat = pd.DataFrame({"ds": trend["ds"], "y": np.tile([1.0, 5, 5, 5, 5, 9, 2], n // 7 + 1)[:n]})
    r = forecast(flat, 14, use_prophet=False)
    # Seasonal naive is exact: its in-sample scale is 0, so MASE is undefined (None), not a number.
    assert r.model == "snaive" and r.mase_model is None and not r.beats_baseline
    assert np.allclose(r.frame["yhat"].to_numpy()[:7], np.roll([1.0, 5, 5, 5, 5, 9, 2], -(n % 7)))


def test_flat_line_and_spikes_do_not_break_it():
    n = 60
    ds = pd.date_range("2026-01-01", periods=n, freq="D")
    flat = forecast(pd.DataFrame({"ds": ds, "y": np.full(n, 42.0)}), 10, use_prophet=False)
    assert np.allclose(flat.frame["yhat"], 42.0) and np.allclose(flat.frame["yhat_upper_95"], 42.0)
    spiky = np.full(n, 10.0)
    spiky[[20, 41]] = 500.0
    r = forecast(pd.DataFrame({"ds": ds, "y": spiky}), 10, use_prophet=False)
    assert r.frame["yhat"].between(9, 11).all()


def test_prophet_is_tried_and_recorded():
    rng = np.random.default_rng(5)
    n = 100
    df = pd.DataFrame({"ds": pd.date_range("2026-01-01", periods=n, freq="D"), "y": _seasonal(n, rng)})
    r = forecast(df, 14)
    assert r.prophet_mase is not None and r.prophet_mase > 0
    assert r.model in ("prophet", "snaive", "seasonal_level", "trend_seasonal")
    assert (r.model == "prophet") == (r.prophet_mase == pytest.approx(r.mase_model))


def test_cli_csv_and_parquet(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 24 * 21
    df = pd.DataFrame(
        {
            "ds": pd.date_range("2026-03-01", periods=n, freq="h"),
            "y": 20 + 5 * np.sin(np.arange(n) * 2 * np.pi / 24) + rng.normal(0, 1, n),
        }
    )
    src = tmp_path / "cpu.parquet"
    df.to_parquet(src)
    out = tmp_path / "out.csv"
    assert (
        main(
            [
                "forecast",
                str(src),
                "--horizon",
                "48",
                "--freq",
                "H",
                "--level",
                "80",
                "--level",
                "95",
                "--out",
                str(out),
                "--no-prophet",
            ]
        )
        == 0
    )
    got = pd.read_csv(out)
    assert len(got) == 48 and got["ds"].iloc[0] == "2026-03-22 00:00:00"
    assert "backtest MASE" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"ds": ["2026-01-01", "2026-01-01"], "y": [1, 2]}).to_csv(bad, index=False)
    assert main(["forecast", str(bad), "--horizon", "3", "--out", str(tmp_path / "o.csv")]) == 2
    assert "duplicate ds 2026-01-01" in capsys.readouterr().err

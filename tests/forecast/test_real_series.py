"""The forecaster on public real-world series nobody here generated (tests/fixtures/forecast)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resync_assets.cli import main
from resync_assets.lib.forecast.forecaster import forecast
from resync_assets.lib.forecast.series import prepare

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forecast"


def _coverage(name: str, horizon: int, origins: list[int]) -> tuple[float, float]:
    s = prepare(pd.read_csv(FIXTURES / name), None)
    hits80, hits95 = [], []
    for o in origins:
        r = forecast(
            pd.DataFrame({"ds": s.ds[:o], "y": s.y[:o]}), horizon, freq=s.freq.alias, use_prophet=False
        )
        actual = s.y[o : o + horizon]
        f = r.frame
        hits80.append((actual >= f["yhat_lower_80"]) & (actual <= f["yhat_upper_80"]))
        hits95.append((actual >= f["yhat_lower_95"]) & (actual <= f["yhat_upper_95"]))
    return float(np.mean(np.concatenate(hits80))), float(np.mean(np.concatenate(hits95)))


def test_server_cpu_5min_coverage():
    """Half a day ahead from the two origins three days of data allow: measured 0.78 / 0.95."""
    cov80, cov95 = _coverage("nab_ec2_cpu_utilization_5min.csv", 144, [649, 721])
    assert 0.75 <= cov80 <= 0.85, cov80
    assert 0.90 <= cov95 <= 0.98, cov95


def test_daily_page_view_counts_with_gaps_and_spikes():
    """One origin every 4 weeks over the last year (as the benchmark): measured 0.88 / 0.97."""
    s = prepare(pd.read_csv(FIXTURES / "wikipedia_peyton_manning_daily.csv"), None)
    assert s.freq.alias == "D" and s.filled > 0  # the source has missing days
    n = len(s)
    cov80, cov95 = _coverage("wikipedia_peyton_manning_daily.csv", 28, [n - 28 - 28 * k for k in range(12)])
    assert 0.75 <= cov80 <= 0.90, cov80
    assert 0.90 <= cov95 <= 0.98, cov95


@pytest.mark.parametrize("name", ["nab_ec2_cpu_utilization_5min.csv", "wikipedia_peyton_manning_daily.csv"])
def test_cli_on_fixture(tmp_path, name):
    out = tmp_path / "out.parquet"
    assert main(["forecast", str(FIXTURES / name), "--horizon", "12", "--out", str(out), "--no-prophet"]) == 0
    got = pd.read_parquet(out)
    assert len(got) == 12 and got[["yhat", "yhat_lower_95", "yhat_upper_95"]].notna().all().all()
    assert (got["yhat_lower_95"] >= 0).all()

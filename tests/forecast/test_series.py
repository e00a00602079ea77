"""Input checks of the forecaster: bad input gets an error naming the problem; gaps are filled."""

import numpy as np
import pandas as pd
import pytest

from resync_assets.lib.forecast.series import ForecastInputError, parse_freq, prepare


def _daily(n=40, start="2026-01-01"):
    return pd.DataFrame({"ds": pd.date_range(start, periods=n, freq="D"), "y": np.arange(n, dtype=float)})


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.iloc[::-1], "not sorted"),
        (lambda d: pd.concat([d.iloc[:5], d.iloc[4:]]), "duplicate ds"),
        (lambda d: d.assign(y=d["y"].where(d.index != 7)), "NaN"),
        (lambda d: d.head(10), "too short"),
        (lambda d: d.assign(y=d["y"].astype(object).where(d.index != 3, "n/a")), "not numeric: row 4"),
        (lambda d: d.rename(columns={"y": "value"}), "missing column(s) y"),
        (lambda d: d.head(0), "empty"),
        (lambda d: d.assign(ds=d["ds"].astype(str).where(d.index != 2, "yesterday")), "not timestamps"),
    ],
)
def test_bad_input_is_named(mutate, message):
    with pytest.raises(ForecastInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        prepare(mutate(_daily()), "D")


def test_gaps_are_interpolated_and_counted():
    d = _daily(40).drop(index=[10, 11, 12])
    s = prepare(d, "D")
    assert len(s) == 40 and s.filled == 3
    assert s.y[11] == pytest.approx(11.0)


def test_offgrid_timestamps_are_floored_and_finer_data_averaged():
    ds = pd.date_range("2026-01-01 00:03", periods=24 * 12 * 3, freq="5min")
    s = prepare(pd.DataFrame({"ds": ds, "y": np.ones(len(ds))}), "h")
    assert s.freq.alias == "h" and len(s) == 72 and s.ds[0] == pd.Timestamp("2026-01-01 00:00")


@pytest.mark.parametrize(
    ("text", "alias"), [("5min", "5min"), ("5MIN", "5min"), ("H", "h"), ("h", "h"), ("d", "D"), ("D", "D")]
)
def test_frequency_aliases_in_either_case(text, alias):
    assert parse_freq(text).alias == alias


def test_unsupported_frequency_is_named():
    with pytest.raises(ForecastInputError, match="unsupported frequency 'W'"):
        parse_freq("W")


def test_frequency_is_inferred():
    assert prepare(_daily(), None).freq.alias == "D"

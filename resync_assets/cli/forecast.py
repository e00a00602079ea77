"""`resync forecast SERIES.csv --horizon N`: forecast one series with calibrated intervals."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `forecast` command to the `resync` parser."""
    parser = subparsers.add_parser(
        "forecast",
        help="Forecast a series (ds,y) with calibrated 80 %% / 95 %% intervals.",
        description=(
            "Read a series with columns ds,y (CSV or Parquet), forecast --horizon steps and write "
            "ds, yhat, yhat_lower_<L>, yhat_upper_<L> per --level, model (CSV or Parquet, by the "
            "extension of --out). The model (Prophet or a fast seasonal/trend regression, whichever "
            "beats the other in a rolling-origin backtest; seasonal naive when neither beats it) and "
            "its backtest MASE are printed on stderr."
        ),
    )
    parser.add_argument("series", help="input .csv or .parquet with columns ds, y")
    parser.add_argument("--horizon", type=int, required=True, help="number of steps to forecast")
    parser.add_argument(
        "--freq", default=None, help="5min, h or D (any case; H = h); default: inferred from ds"
    )
    parser.add_argument(
        "--level",
        type=int,
        action="append",
        default=None,
        help="interval level in percent, repeatable (default: --level 80 --level 95)",
    )
    parser.add_argument("--out", required=True, help="output .csv or .parquet")
    parser.add_argument("--no-prophet", action="store_true", help="fast models only (no Prophet fit)")
    parser.set_defaults(func=_run)


def _read(path: str):
    import pandas as pd

    if path.lower().endswith((".parquet", ".pq")):
        return pd.read_parquet(path)
    return pd.read_csv(path)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from resync_assets.lib.forecast.forecaster import forecast
    from resync_assets.lib.forecast.series import ForecastInputError

    src = Path(args.series)
    if not src.is_file():
        print(f"resync forecast: no such file: {src}", file=sys.stderr)
        return 2
    if args.horizon < 1:
        print("resync forecast: --horizon must be >= 1", file=sys.stderr)
        return 2
    levels = sorted(set(args.level or [80, 95]))
    if any(not 0 < lvl < 100 for lvl in levels):
        print("resync forecast: --level must be between 1 and 99", file=sys.stderr)
        return 2
    try:
        df = _read(str(src))
        result = forecast(
            df, args.horizon, freq=args.freq, levels=levels, use_prophet=not args.no_prophet, name=src.name
        )
    except ForecastInputError as exc:
        print(f"resync forecast: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"resync forecast: cannot read {src}: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in (".parquet", ".pq"):
        result.frame.to_parquet(out, index=False)
    else:
        result.frame.to_csv(out, index=False)

    def fmt(x):
        return "n/a" if x is None else f"{x:.3f}"

    cov = ", ".join(f"{lvl}%: {fmt(c)}" for lvl, c in result.coverage.items())
    verdict = "beats" if result.beats_baseline else "does NOT beat"
    lam = result.box_cox_lambda
    scale = "as is" if lam == 1 else ("log" if lam == 0 else f"Box-Cox {lam:g}")
    print(
        f"model {result.model} ({verdict} seasonal naive): backtest MASE {fmt(result.mase_model)} vs "
        f"{fmt(result.mase_baseline)} (prophet {fmt(result.prophet_mase)}); backtest coverage {cov} "
        f"(errors on scale: {scale}); "
        f"{result.history_points} points ({result.filled} gap steps filled); wrote {len(result.frame)} rows "
        f"to {out}",
        file=sys.stderr,
    )
    return 0

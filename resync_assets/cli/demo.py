"""`resync demo`: the embedded simulator through the whole pipeline (Dagster)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `demo` command to the `resync` parser."""
    from resync_assets.cli.demo_run import DEFAULT_END_DATE

    parser = subparsers.add_parser(
        "demo",
        help="run the main job end to end on the embedded TWS simulator",
        description="Start the TWS REST API v2 simulator in-process on loopback and materialize every "
        "asset through Dagster: the tws_raw tables, host metrics, the dbt marts, joblog patterns and "
        "incident analyses; print a summary and leave data/warehouse.duckdb for queries (the runs are "
        "recorded in DAGSTER_HOME, default .dagster_home).",
    )
    parser.add_argument("--days", type=_positive, default=90, help="days of plan history (default 90)")
    parser.add_argument("--jobs", type=_positive, default=500, help="jobs per plan day (default 500)")
    parser.add_argument("--seed", type=int, default=42, help="workload seed (default 42)")
    parser.add_argument(
        "--end-date",
        type=_date,
        default=None,
        help=f"last simulated production day, YYYY-MM-DD or 'today' (UTC); default {DEFAULT_END_DATE}, so "
        "the figures are the same whatever the day",
    )
    parser.set_defaults(func=_run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _date(text: str):
    import datetime as dt

    if text == "today":
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _run(args: argparse.Namespace) -> int:
    from resync_assets.cli.demo_run import main

    return main(days=args.days, jobs=args.jobs, seed=args.seed, end_date=args.end_date)

"""`resync demo`: the embedded simulator through the whole pipeline (Dagster), or through the client only."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `demo` command to the `resync` parser."""
    parser = subparsers.add_parser(
        "demo",
        help="run the main job end to end on the embedded TWS simulator",
        description="Start the TWS REST API v2 simulator in-process on loopback and materialize every "
        "asset through Dagster: the tws_raw tables, host metrics, the dbt marts, joblog patterns and "
        "incident analyses; print a summary and leave data/warehouse.duckdb for queries (the runs are "
        "recorded in DAGSTER_HOME, default .dagster_home). With --client-only, page every run of every "
        "plan through the TWS client and fetch the failed runs' joblogs instead, writing nothing.",
    )
    parser.add_argument(
        "--client-only",
        action="store_true",
        help="only page runs and joblogs through the client (no Dagster, no warehouse)",
    )
    parser.add_argument("--days", type=_positive, default=90, help="days of plan history (default 90)")
    parser.add_argument("--jobs", type=_positive, default=500, help="jobs per plan day (default 500)")
    parser.add_argument("--seed", type=int, default=42, help="workload seed (default 42)")
    parser.add_argument(
        "--end-date",
        type=_date,
        default=None,
        help="last simulated production day, YYYY-MM-DD (default today, UTC)",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=4,
        help="with --client-only: parallel joblog requests (default 4)",
    )
    parser.add_argument(
        "--page-size",
        type=_positive,
        default=1000,
        help="with --client-only: jobs per API page (default 1000)",
    )
    parser.add_argument(
        "--faults",
        default="",
        help="with --client-only: simulator faults, e.g. '500=0.02,429=0.02,reset=0.01'",
    )
    parser.set_defaults(func=_run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _run(args: argparse.Namespace) -> int:
    if not args.client_only:
        from resync_assets.cli.demo_run import main

        return main(days=args.days, jobs=args.jobs, seed=args.seed, end_date=args.end_date)
    return _run_client_only(args)


def _run_client_only(args: argparse.Namespace) -> int:
    import secrets
    import time

    from resync_assets.lib.tws import TwsClient, TwsError, TwsSettings
    from resync_assets.lib.tws.collect import collect_all
    from resync_assets.sim.server import FaultConfig, SimulatorServer
    from resync_assets.sim.workload import WorkloadConfig

    try:
        faults = FaultConfig.parse(args.faults)
    except ValueError as exc:
        print(f"resync demo: bad --faults: {exc}")
        return 2
    password = secrets.token_urlsafe(16)
    config = WorkloadConfig(seed=args.seed, days=args.days, jobs=args.jobs)
    started = time.perf_counter()
    with SimulatorServer(
        config, host="127.0.0.1", port=0, user="resync", password=password, faults=faults
    ) as sim:
        plan_ids = sim.workload.plan_ids()
        print(
            f"simulator on {sim.base_url}: {args.days} days x {args.jobs} jobs (seed {args.seed}), "
            f"plans {plan_ids[0]} .. {plan_ids[-1]} (current)",
            flush=True,
        )
        settings = TwsSettings(
            sim.base_url,
            user="resync",
            password=password,
            page_size=args.page_size,
            backoff_max_seconds=2.0,
            backoff_initial_seconds=0.05,
        )
        try:
            with TwsClient(settings, max_connections=max(4, args.workers)) as client:
                summary = collect_all(client, plan_ids, joblog_workers=args.workers)
        except TwsError as exc:
            print(f"resync demo: {exc}")
            return 1
    print(summary.format())
    print(f"total (with simulator start/stop) {time.perf_counter() - started:.2f} s")
    return 0

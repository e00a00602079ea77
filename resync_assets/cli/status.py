"""`resync status`: what needs attention now, and the health of resync's own parts."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `status` to the `resync` parser."""
    parser = subparsers.add_parser(
        "status",
        help="Last poll, today's runs, open incidents, capacity ETA, drift, last report, and resync's health.",
        description=(
            "Print the last poll and its lag, runs and failures today, open incidents, the nearest capacity "
            "ETA, drift alerts, the last report sent, and the health of resync's parts: the TWS API "
            "(RESYNC_TWS_*; reachable, circuit breaker), the warehouse (reachable, size), free disk of the "
            "data directory, and this host's CPU / memory against 85 / 95 %%. Exit code 0 when all is well, "
            "1 when something needs attention, 2 when something is critical (for a monitor)."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--warehouse",
        metavar="PATH",
        help="DuckDB warehouse (default: RESYNC_WAREHOUSE_PATH, else data/warehouse.duckdb)",
    )
    parser.add_argument(
        "--max-lag-minutes", type=float, default=30.0, help="poll lag that needs attention (default 30)"
    )
    parser.set_defaults(func=_run)


def _tws_settings():
    import os

    if not (os.environ.get("RESYNC_TWS_BASE_URL") or "").strip():
        return None
    from resync_assets.lib.tws import TwsSettings

    return TwsSettings.from_env


def _run(args: argparse.Namespace) -> int:
    import datetime as dt
    import json

    from resync_assets.lib.health import collect_status, render
    from resync_assets.lib.warehouse import warehouse_path

    status = collect_status(
        warehouse_path(args.warehouse),
        tws_settings=_tws_settings(),
        max_poll_lag=dt.timedelta(minutes=args.max_lag_minutes),
    )
    if args.json:
        sys.stdout.write(json.dumps(status.as_dict(), default=str) + "\n")
    else:
        sys.stdout.write(render(status))
    return status.exit_code

"""`resync ingest`: one ingestion pass outside Dagster."""

from __future__ import annotations

import argparse

TABLES = ("job_runs", "joblogs", "job_streams", "workstations", "engine_info")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `resync ingest run`."""
    parser = subparsers.add_parser(
        "ingest",
        help="load the TWS REST API into the lakehouse",
        description="Load the TWS REST API v2 into the DuckDB warehouse (tws_raw tables).",
    )
    sub = parser.add_subparsers(dest="ingest_command", metavar="SUBCOMMAND")
    sub.required = True

    run = sub.add_parser(
        "run",
        help="one ingestion pass against RESYNC_TWS_* settings, outside Dagster",
        description="One ingestion pass against the server named by RESYNC_TWS_BASE_URL (and the "
        "other RESYNC_TWS_* variables, see .env.example), writing RESYNC_WAREHOUSE_PATH "
        "(default data/warehouse.duckdb). Prints the report.",
    )
    run.add_argument(
        "--tables",
        nargs="+",
        choices=TABLES,
        default=None,
        metavar="TABLE",
        help=f"tables to load (default all: {', '.join(TABLES)})",
    )
    run.add_argument(
        "--host-metrics",
        action="store_true",
        help="also load the host-metrics folders (RESYNC_HOST_METRICS_DIRS)",
    )
    run.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import os

    from resync_assets.lib.ingest import IngestConfig, run_host_metrics_ingest, run_tws_ingest
    from resync_assets.lib.tws import TwsSettings

    settings = TwsSettings.from_env()
    cfg = IngestConfig.from_env()
    print(f"ingesting {settings.base_url} into {cfg.warehouse_path} ...", flush=True)
    reports = [("tws", run_tws_ingest(settings, cfg, tables=args.tables))]
    if args.host_metrics:
        raw = os.environ.get("RESYNC_HOST_METRICS_DIRS", "").strip()
        dirs = [d for d in raw.split(os.pathsep) if d.strip()] or ["data/lake/host_metrics"]
        reports.append(("host metrics", run_host_metrics_ingest(dirs, cfg)))
    for name, report in reports:
        print(
            f"\n{name}: {report.elapsed_seconds:.1f} s, {report.requests} requests, {report.retries} retries"
        )
        for table, stats in sorted(report.tables.items()):
            print(f"  {table:<14} +{stats.rows_added:<8} ~{stats.rows_updated:<8} = {stats.rows_total}")
        if report.joblogs_fetched:
            print(f"  joblogs fetched: {report.joblogs_fetched} ({report.joblog_bytes} bytes)")
    return 0

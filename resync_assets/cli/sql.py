"""`resync sql`: query the warehouse read-only, as the docs' examples do."""

from __future__ import annotations

import argparse
import sys

FORMATS = ("table", "csv", "json")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `sql` command to the `resync` parser."""
    parser = subparsers.add_parser(
        "sql",
        help="run a read-only SQL query on the warehouse and print the result",
        description="Run one SQL query on the DuckDB warehouse (RESYNC_WAREHOUSE_PATH, else "
        "data/warehouse.duckdb), opened read-only: statements that would change it fail. Waits while a "
        "writer (a Dagster run, `resync ingest run`) holds the file. Tables: tws_raw.* (loaded), "
        "staging.* / intermediate.* / marts.* (dbt), analytics.* (patterns, incidents, forecasts ...).",
    )
    parser.add_argument("query", help='the SQL, e.g. "select count(*) from marts.fct_job_runs"')
    parser.add_argument("--warehouse", default=None, help="DuckDB file (default: the lakehouse warehouse)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    parser.add_argument(
        "--max-rows", type=int, default=40, help="with --format table: rows shown (default 40; all: 0)"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import duckdb

    from resync_assets.lib.warehouse import WarehouseBusy, read_only, warehouse_path

    path = warehouse_path(args.warehouse)
    try:
        with read_only(path) as con:
            if con is None:
                print(f"resync sql: no warehouse at {path} (run `make demo` or `resync ingest run` first)")
                return 1
            relation = con.sql(args.query)
            if relation is None:
                return 0
            if args.format == "table":
                max_rows = args.max_rows if args.max_rows > 0 else 1 << 62
                relation.show(max_rows=max_rows, max_width=1 << 12)
            elif args.format == "csv":
                import csv

                writer = csv.writer(sys.stdout, lineterminator="\n")
                writer.writerow(relation.columns)
                writer.writerows(relation.fetchall())
            else:
                import json

                columns = relation.columns
                for row in relation.fetchall():
                    print(json.dumps(dict(zip(columns, row, strict=True)), default=str))
    except WarehouseBusy as exc:
        print(f"resync sql: {exc}")
        return 1
    except duckdb.Error as exc:
        print(f"resync sql: {str(exc).splitlines()[0]}")
        return 1
    return 0

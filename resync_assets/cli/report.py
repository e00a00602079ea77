"""`resync report build|send`: the weekly capacity report from the command line.

Parsers only here; handlers import matplotlib and the report library when they run.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `report` with its `build` and `send` subcommands."""
    parser = subparsers.add_parser(
        "report",
        help="Build or send the weekly capacity report (HTML e-mail with charts).",
        description=(
            "The weekly capacity report of an ISO week: workload, key jobs' runtime, host CPU / memory / "
            "disk with forecasts and threshold ETAs, failure patterns, incidents, drift and "
            "recommendations, read from the warehouse. `build` saves the standalone HTML (and the .eml) "
            "under data/reports/ (RESYNC_REPORTS_DIR); `send` mails it once per week over SMTP "
            "(RESYNC_SMTP_*), or writes the .eml without SMTP settings or with --dry-run."
        ),
    )
    sub = parser.add_subparsers(dest="report_command", metavar="ACTION")
    sub.required = True
    for name, helptext in (
        ("build", "save the report's HTML and .eml files; send nothing"),
        ("send", "send the report by e-mail unless this week's was already sent"),
    ):
        p = sub.add_parser(name, help=helptext, description=helptext)
        p.add_argument(
            "--week",
            type=_week,
            default=None,
            help="ISO week, e.g. 2026-W49 (default: the last complete week)",
        )
        p.add_argument(
            "--out",
            metavar="DIR",
            help="folder for the files (default: RESYNC_REPORTS_DIR, else data/reports)",
        )
        p.add_argument(
            "--warehouse",
            metavar="PATH",
            help="DuckDB warehouse (default: RESYNC_WAREHOUSE_PATH, else data/warehouse.duckdb)",
        )
        if name == "send":
            p.add_argument("--dry-run", action="store_true", help="write the .eml instead of sending")
        p.set_defaults(func=_run_build if name == "build" else _run_send)


def _week(text: str):
    from resync_assets.lib.report.week import IsoWeek

    try:
        return IsoWeek.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _resolve_week(args: argparse.Namespace):
    import datetime as dt

    from resync_assets.lib.report.week import IsoWeek

    return args.week or IsoWeek.last_complete(dt.datetime.now(dt.UTC).date())


def _run_build(args: argparse.Namespace) -> int:
    from resync_assets.lib.report import build_report, reports_dir
    from resync_assets.lib.warehouse import WarehouseBusy, read_only, warehouse_path

    week = _resolve_week(args)
    path = warehouse_path(args.warehouse)
    if not path.exists():
        print(
            f"resync report: no warehouse at {path} (run `make demo` or an ingestion first)", file=sys.stderr
        )
        return 1
    try:
        with read_only(path) as con:
            built = build_report(con, week, reports_dir(args.out), warehouse=str(path))
    except WarehouseBusy as exc:
        print(f"resync report: {exc}", file=sys.stderr)
        return 1
    eml = built.write_eml()
    print(f"report {week}: {built.html_path} ({len(built.charts)} charts); e-mail as {eml}")
    for section, why in built.data.missing.items():
        print(f"  {section}: {why}")
    return 0


def _run_send(args: argparse.Namespace) -> int:
    from resync_assets.lib.notify import DeliveryError, SmtpSettings
    from resync_assets.lib.report import reports_dir, send_report
    from resync_assets.lib.warehouse import warehouse_path

    week = _resolve_week(args)
    try:
        smtp = SmtpSettings.from_env(recipients_var="RESYNC_REPORT_RECIPIENTS")
    except ValueError as exc:
        print(f"resync report: SMTP settings: {exc}", file=sys.stderr)
        return 2
    path = warehouse_path(args.warehouse)
    if not path.exists():
        print(
            f"resync report: no warehouse at {path} (run `make demo` or an ingestion first)", file=sys.stderr
        )
        return 1
    try:
        outcome = send_report(path, week, smtp=smtp, dry_run=args.dry_run, out_dir=reports_dir(args.out))
    except DeliveryError as exc:
        print(f"resync report: not sent: {exc}", file=sys.stderr)
        return 1
    if outcome.status == "already_sent":
        print(
            f"report {week} was already sent at {outcome.sent_at} to {', '.join(outcome.recipients)}: not sent again"
        )
    elif outcome.status == "written":
        why = "--dry-run" if args.dry_run else "no SMTP settings (RESYNC_SMTP_HOST)"
        print(f"report {week}: {why}, e-mail written to {outcome.eml_path}; HTML {outcome.html_path}")
    else:
        print(
            f"report {week} sent to {', '.join(outcome.recipients)} ({outcome.message_id}, "
            f"{outcome.attempts} attempt(s)); HTML {outcome.html_path}"
        )
    return 0

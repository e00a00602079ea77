"""`resync incidents list|show|ack|resolve`: the operator's view of analysed failed runs.

`resolve` records what really happened (analytics.incident_resolutions): its outcome feeds the
confidence calibration and later analyses show the fix first (`resync resolve` is its alias).
"""

from __future__ import annotations

import argparse
import sys

_WAREHOUSE_HELP = "DuckDB warehouse (default: RESYNC_WAREHOUSE_PATH, else data/warehouse.duckdb)"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `incidents` with `list`, `show`, `ack` and `resolve`."""
    parser = subparsers.add_parser(
        "incidents",
        help="List, show, acknowledge and resolve analysed failed runs.",
        description="The incidents resync analysed (analytics.incident_analyses), with their state: open, "
        "acknowledged (analytics.incident_acks) or resolved (analytics.incident_resolutions).",
    )
    sub = parser.add_subparsers(dest="incidents_command", metavar="ACTION")
    sub.required = True

    ls = sub.add_parser("list", help="incidents, newest first", description="Incidents, newest first.")
    ls.add_argument("--open", action="store_true", help="only those not resolved")
    ls.add_argument("--since", type=_since, help="ended since: a date (2026-12-01), or 24h / 7d ago")
    ls.add_argument("--job", help="only this job name")
    ls.add_argument("--limit", type=int, default=50, help="at most this many (default 50; 0: all)")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    ls.add_argument("--warehouse", metavar="PATH", help=_WAREHOUSE_HELP)
    ls.set_defaults(func=_run_list)

    show = sub.add_parser(
        "show",
        help="the analysis, the evidence, similar past incidents and their resolutions",
        description="One incident: the error line, cause, fix steps, evidence, similar past incidents and "
        "their resolutions, notifications sent, acknowledgement and resolution.",
    )
    show.add_argument("run_id", metavar="RUN_ID")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.add_argument("--warehouse", metavar="PATH", help=_WAREHOUSE_HELP)
    show.set_defaults(func=_run_show)

    ack = sub.add_parser(
        "ack", help="acknowledge an incident (someone is on it)", description="Acknowledge an incident."
    )
    ack.add_argument("run_id", metavar="RUN_ID")
    ack.add_argument("--by", dest="by", help="who acknowledges (default: $USER)")
    ack.add_argument("--note", help="a note")
    ack.add_argument("--warehouse", metavar="PATH", help=_WAREHOUSE_HELP)
    ack.set_defaults(func=_run_ack)

    resolve = sub.add_parser(
        "resolve",
        help="record the outcome, real cause and fix (learned by later analyses)",
        description="Record how an incident was resolved. --outcome says whether resync's analysis was "
        "correct (it feeds the confidence calibration); --cause defaults to the analysis' cause when it "
        "was correct. Recording the same resolution twice adds one row.",
    )
    resolve.add_argument("run_id", metavar="RUN_ID")
    resolve.add_argument(
        "--outcome", required=True, choices=("correct", "incorrect"), help="was the analysis correct?"
    )
    resolve.add_argument("--cause", help="the real cause (required when the outcome is incorrect)")
    resolve.add_argument("--fix", help="what fixed it")
    resolve.add_argument("--note", help="a note, kept with the acknowledgement")
    resolve.add_argument("--by", dest="resolved_by", help="who resolved it (default: $USER)")
    resolve.add_argument(
        "--joblog", metavar="FILE", help="the run's joblog, when the warehouse has no analysis of it"
    )
    resolve.add_argument("--warehouse", metavar="PATH", help=_WAREHOUSE_HELP)
    resolve.set_defaults(func=_run_resolve)


def _since(text: str):
    import datetime as dt
    import re

    m = re.fullmatch(r"(\d+)\s*([hd])", text.strip().lower())
    now = dt.datetime.now(dt.UTC)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return now - (dt.timedelta(hours=n) if unit == "h" else dt.timedelta(days=n))
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date, time or age (2026-12-01, 24h, 7d): {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _user(explicit: str | None) -> str | None:
    import getpass

    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _read(args):
    from resync_assets.lib.warehouse import read_only, warehouse_path

    path = warehouse_path(args.warehouse)
    if not path.exists():
        print(f"resync incidents: no warehouse at {path}", file=sys.stderr)
        return None, path
    return read_only(path), path


def _run_list(args: argparse.Namespace) -> int:
    import json

    from resync_assets.lib.notify import operator

    ctx, _ = _read(args)
    if ctx is None:
        return 1
    with ctx as con:
        rows = operator.list_incidents(
            con, open_only=args.open, since=args.since, job=args.job, limit=args.limit or None
        )
    if args.json:
        for r in rows:
            sys.stdout.write(json.dumps(r.as_dict(), default=str) + "\n")
        return 0
    if not rows:
        print("no incidents" + (" open" if args.open else ""))
        return 0
    print(f"{'ended (UTC)':<16}  {'state':<8}  {'job':<24}  {'family':<9}  {'run id':<36}  cause")
    for r in rows:
        ended = f"{r.ended_at:%Y-%m-%d %H:%M}" if r.ended_at else "?"
        cause = (r.cause or "").replace("\n", " ")
        print(
            f"{ended:<16}  {r.state:<8}  {(r.job_name or '?')[:24]:<24}  {(r.family or '?')[:9]:<9}  {r.run_id:<36}  {cause[:90]}"
        )
    return 0


def _run_show(args: argparse.Namespace) -> int:
    import json

    from resync_assets.lib.notify import operator

    ctx, _ = _read(args)
    if ctx is None:
        return 1
    with ctx as con:
        detail = operator.incident_detail(con, args.run_id)
    if detail is None:
        print(f"resync incidents: no analysed incident with run id {args.run_id}", file=sys.stderr)
        return 1
    if args.json:
        sys.stdout.write(json.dumps(detail, default=str, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(operator.render_detail(detail))
    return 0


def _run_ack(args: argparse.Namespace) -> int:
    from resync_assets.lib.notify import operator
    from resync_assets.lib.warehouse import warehouse_path, writer

    path = warehouse_path(args.warehouse)
    if not path.exists():
        print(f"resync incidents: no warehouse at {path}", file=sys.stderr)
        return 1
    with writer(path, what="resync incidents ack", on_wait=_waiting) as con:
        try:
            added = operator.acknowledge(con, args.run_id, by=_user(args.by), note=args.note)
        except LookupError as exc:
            print(f"resync incidents: {exc}", file=sys.stderr)
            return 1
    print(f"incident {args.run_id} {'acknowledged' if added else 'was already acknowledged'}")
    return 0


def _waiting(message: str) -> None:
    print(f"resync incidents: {message}", file=sys.stderr, flush=True)


def _run_resolve(args: argparse.Namespace) -> int:
    from resync_assets.lib.notify import operator
    from resync_assets.lib.warehouse import warehouse_path, writer

    path = warehouse_path(args.warehouse)
    with writer(path, what="resync incidents resolve", on_wait=_waiting) as con:
        try:
            res, added = operator.resolve(
                con, args.run_id, outcome=args.outcome, cause=args.cause, fix=args.fix,
                resolved_by=_user(args.resolved_by), note=args.note, joblog=args.joblog,
            )  # fmt: skip
        except (LookupError, ValueError) as exc:
            print(f"resync incidents: {exc}", file=sys.stderr)
            return 2
    state = "recorded" if added else "already recorded"
    print(f"resolution {res.resolution_id} for run {args.run_id} {state} (outcome {res.outcome})")
    return 0

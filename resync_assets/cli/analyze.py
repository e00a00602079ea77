"""`resync analyze` (explain a failed run) and `resync resolve` (record what fixed it).

Parsers only here; handlers import the analysis engine when they run (never dagster), so both
commands start fast.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `analyze` and `resolve` to the `resync` parser."""
    analyze = subparsers.add_parser(
        "analyze",
        help="Explain a failed run: error line, family, cause, files, fix steps, similar incidents.",
        description=(
            "Analyse the joblog of a failed run. With --run-id the joblog comes from the warehouse "
            "(tws_raw.joblogs) or, when it is not there, from the TWS server (RESYNC_TWS_* variables). "
            "With --joblog FILE the file is analysed as given (line numbers are those of the file). "
            "Past incidents and recorded resolutions are read from the warehouse, read-only, when it "
            "exists. An OpenAI-compatible LLM refines the result when RESYNC_LLM_BASE_URL and "
            "RESYNC_LLM_MODEL are set (RESYNC_LLM_API_KEY for its key); nothing is ever executed."
        ),
    )
    source = analyze.add_mutually_exclusive_group(required=True)
    source.add_argument("--run-id", help="run id of a failed run")
    source.add_argument("--joblog", metavar="FILE", help="a joblog file to analyse")
    analyze.add_argument("--json", action="store_true", help="print one JSON object")
    analyze.add_argument(
        "--warehouse",
        metavar="PATH",
        help="DuckDB warehouse (default: RESYNC_WAREHOUSE_PATH, else data/warehouse.duckdb)",
    )
    analyze.add_argument("--no-llm", action="store_true", help="rules only, even when an LLM is configured")
    analyze.add_argument("--top", type=int, default=5, help="similar incidents to show (default 5)")
    analyze.set_defaults(func=_run_analyze)

    resolve = subparsers.add_parser(
        "resolve",
        help="Record the real cause and fix of a failed run (alias of `resync incidents resolve`).",
        description=(
            "Alias of `resync incidents resolve` with the original options. "
            "Append a resolution to analytics.incident_resolutions (idempotent: the same command twice "
            "records one row). Later incidents of the same pattern show it first, and --outcome "
            "(was resync's analysis correct?) feeds the confidence calibration."
        ),
    )
    resolve.add_argument("--run-id", required=True, help="run id of the failed run")
    resolve.add_argument("--cause", required=True, help="the real cause")
    resolve.add_argument("--fix", required=True, help="what fixed it")
    resolve.add_argument(
        "--outcome",
        choices=("correct", "incorrect"),
        help="whether resync's analysis of this run was correct",
    )
    resolve.add_argument("--by", dest="resolved_by", help="who resolved it")
    resolve.add_argument(
        "--joblog", metavar="FILE", help="the run's joblog, when the warehouse has no analysis of this run"
    )
    resolve.add_argument(
        "--warehouse",
        metavar="PATH",
        help="DuckDB warehouse (default: RESYNC_WAREHOUSE_PATH, else data/warehouse.duckdb)",
    )
    resolve.set_defaults(func=_run_resolve)


def _warehouse(args: argparse.Namespace):
    from resync_assets.lib.warehouse import warehouse_path

    return warehouse_path(args.warehouse)


def _open_read_only(path):
    """A read-only connection, or None when the warehouse does not exist or stays locked."""
    from resync_assets.lib.warehouse import WarehouseBusy, connect_read_only

    if not path.exists():
        return None
    try:
        return connect_read_only(path, wait_seconds=10.0)
    except WarehouseBusy:
        return None


def _llm(args: argparse.Namespace):
    if args.no_llm:
        return None
    from resync_assets.lib.llm.settings import LlmSettings

    settings = LlmSettings.from_env()
    if settings is None:
        return None
    from resync_assets.lib.llm.client import LlmAnalyst

    return LlmAnalyst(settings)


def _run_analyze(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from resync_assets.lib.rca.engine import AnalysisContext, analyze

    con = _open_read_only(_warehouse(args))
    ctx = AnalysisContext()
    run: dict = {}
    source = None
    try:
        if con is not None:
            from resync_assets.lib.rca import store

            if args.run_id:
                run = _warehouse_run(con, args.run_id)
                source = run.get("text")
            job = run.get("job_name") or (_job_of(Path(args.joblog)) if args.joblog else None)
            ctx = store.load_context(con, jobs=[job] if job else [])
        if args.joblog:
            path = Path(args.joblog)
            if not path.is_file():
                print(f"resync analyze: no such file: {path}", file=sys.stderr)
                return 2
            source = path
        elif source is None:
            source = _fetch_joblog(args.run_id)
            if source is None:
                return 1
        result = analyze(
            source,
            run_id=args.run_id,
            job_name=run.get("job_name"),
            context=ctx,
            llm=_llm(args),
            ended_at=run.get("actual_end"),
            top_k=args.top,
        )
    finally:
        if con is not None:
            con.close()
    if args.json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, default=str) + "\n")
    else:
        sys.stdout.write(_render(result))
    return 0


def _job_of(path) -> str | None:
    """The job name from a joblog file's header (reads the first lines only)."""
    from resync_assets.lib.joblog.layout import LayoutTracker, iter_lines

    if not path.is_file():
        return None
    layout = LayoutTracker()
    for n, line in iter_lines(path):
        layout.feed(n, line)
        if layout.header.job or n > 200:
            break
    return layout.header.job


def _warehouse_run(con, run_id: str) -> dict:
    from resync_assets.lib.warehouse import table_exists

    out: dict = {}
    if table_exists(con, "tws_raw", "job_runs"):
        row = (
            con.execute(
                "select job_name, actual_end from tws_raw.job_runs where run_id = ? "
                "order by last_seen_at desc nulls last limit 1",
                [run_id],
            ).fetchall()[:1]
            or [None]
        )[0]
        if row:
            out.update(job_name=row[0], actual_end=row[1])
    if table_exists(con, "tws_raw", "joblogs"):
        row = (
            con.execute(
                "select text, job_name from tws_raw.joblogs where run_id = ? limit 1", [run_id]
            ).fetchall()[:1]
            or [None]
        )[0]
        if row:
            out["text"] = row[0]
            out.setdefault("job_name", row[1])
    return out


def _fetch_joblog(run_id: str):
    from resync_assets.lib.tws import TwsClient, TwsSettings

    try:
        settings = TwsSettings.from_env()
    except ValueError as exc:
        print(f"resync analyze: run {run_id} is not in the warehouse and {exc}", file=sys.stderr)
        return None
    try:
        with TwsClient(settings) as client:
            return client.get_joblog(run_id).text
    except Exception as exc:  # noqa: BLE001 - the client's errors are already redacted
        print(
            f"resync analyze: could not fetch the joblog of {run_id}: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return None


def _render(a) -> str:
    out = []
    where = f" of {a.job_name}" if a.job_name else ""
    out.append(f"Failure{where}: {a.family} ({a.category}), confidence {a.confidence:.2f}")
    if a.error_line_number is not None:
        out.append(f"Error line {a.error_line_number}: {a.error_line}")
    out.append(f"Cause: {a.cause}")
    if a.explanation:
        out.append(f"Why: {a.explanation}")
    for label, values in (("Files", a.files), ("Hosts", a.hosts), ("DB objects", a.db_objects)):
        if values:
            out.append(f"{label}: {', '.join(values)}")
    if a.steps:
        out.append("Steps:")
        for i, s in enumerate(a.steps, 1):
            tag = " (suggestion)" if s.get("suggestion") else ""
            cmd = f"\n       $ {s['command']}" if s.get("command") else ""
            out.append(f"  {i}. {s['text']}{tag}{cmd}")
    if a.similar:
        out.append("Similar incidents:")
        for s in a.similar:
            res = s.get("resolution")
            fix = f" — resolved: {res.get('cause')}; fix: {res.get('fix')}" if res else ""
            out.append(f"  - {s['run_id']} {s.get('job_name') or ''} ({s['score']:.2f}){fix}")
    if a.llm.get("status") not in (None, "not_configured"):
        out.append(f"LLM: {a.llm.get('status')}")
    return "\n".join(out) + "\n"


def _run_resolve(args: argparse.Namespace) -> int:
    """`resync resolve` is an alias of `resync incidents resolve` (with its original options)."""
    from resync_assets.lib.notify import operator
    from resync_assets.lib.warehouse import writer

    def waiting(message: str) -> None:
        print(f"resync resolve: {message}", file=sys.stderr, flush=True)

    with writer(_warehouse(args), what="resync resolve", on_wait=waiting) as con:
        res, added = operator.resolve(
            con, args.run_id, outcome=args.outcome, cause=args.cause, fix=args.fix,
            resolved_by=args.resolved_by, joblog=args.joblog,
        )  # fmt: skip
    state = "recorded" if added else "already recorded"
    print(f"resolution {res.resolution_id} for run {args.run_id} {state}")
    return 0

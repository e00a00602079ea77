"""`resync sim ...`: serve the embedded TWS REST API v2 simulator and export its ground truth."""

from __future__ import annotations

import argparse
from datetime import UTC, date

DEMO_USER = "resync"
DEMO_PASSWORD = "resync-pw"
DEMO_TOKEN = "resync-token"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _workload_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=42, help="workload seed (default 42)")
    p.add_argument("--days", type=_positive, default=90, help="production days in the window (default 90)")
    p.add_argument("--jobs", type=_positive, default=500, help="job definitions (default 500)")
    p.add_argument(
        "--end-date",
        type=_date,
        default=None,
        help="day of the current plan, YYYY-MM-DD (default: today, UTC)",
    )
    p.add_argument(
        "--plant",
        action="store_true",
        help="plant host growth and job degradations over time (their truth: `sim truth`)",
    )
    p.add_argument(
        "--runtime-shift-day",
        type=_date,
        default=None,
        help="from this day, YYYY-MM-DD, every job runs 30 %% longer (a planted distribution shift)",
    )


def register(subparsers) -> None:
    """Add `resync sim serve|truth|host-metrics`."""
    sim = subparsers.add_parser(
        "sim",
        help="the embedded TWS REST API v2 simulator",
        description="The embedded TWS REST API v2 simulator and its ground truth.",
    )
    sub = sim.add_subparsers(dest="sim_command", metavar="SUBCOMMAND")
    sub.required = True

    serve = sub.add_parser(
        "serve",
        help="serve the simulated TWS REST API v2",
        description="Serve a deterministic TWS REST API v2 workload until SIGINT/SIGTERM. "
        "Credentials come from the arguments, else --credentials-file, else RESYNC_SIM_USER / "
        "RESYNC_SIM_PASSWORD / RESYNC_SIM_TOKEN, else the demo values documented in docs/simulator.md "
        "(prefer the file or the environment: arguments show in `ps`).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8780, help="port, 0 for a free one (default 8780)")
    _workload_options(serve)
    serve.add_argument(
        "--user", default=None, help="basic-auth user (default: RESYNC_SIM_USER, else the demo user)"
    )
    serve.add_argument(
        "--password",
        default=None,
        help="basic-auth password (visible in `ps`: prefer RESYNC_SIM_PASSWORD or --credentials-file)",
    )
    serve.add_argument(
        "--token",
        default=None,
        help="bearer token (visible in `ps`: prefer RESYNC_SIM_TOKEN or --credentials-file)",
    )
    serve.add_argument(
        "--plan-ids",
        choices=("date", "uuid"),
        default="date",
        help="plan ids: the production day YYYY-MM-DD (default) or UUID-shaped as the spec has them",
    )
    serve.add_argument(
        "--credentials-file",
        default=None,
        help="file of `user=...`, `password=...`, `token=...` lines (wins over the environment)",
    )
    serve.add_argument(
        "--faults",
        default="",
        help="fault injection, e.g. '500=0.02,503=0.01,429=0.02,latency=0.05:0.2,timeout=0.01,"
        "truncate=0.01,reset=0.01,stall=5,seed=1'",
    )
    serve.add_argument(
        "--speed", type=float, default=1.0, help="clock acceleration of the live plan (default 1 = real time)"
    )
    serve.add_argument("--start-time", default=None, help="simulated start instant, ISO-8601 (default: now)")
    serve.add_argument("--cache-days", type=_positive, default=8, help="generated days kept in memory")
    serve.add_argument(
        "--warm",
        type=int,
        default=0,
        metavar="N",
        help="pre-build the N most recent archived plans before serving (kept compressed in memory)",
    )
    serve.set_defaults(func=_serve)

    truth = sub.add_parser(
        "truth",
        help="write the failure ground truth to Parquet",
        description="Write one row per failed run (family, signature, error line number, "
        "incident id, ...) of the workload window to a Parquet file, and what is planted over time "
        "next to it: <stem>_degradations.parquet (job, kind, onset, rate, the day it crosses its band "
        "or failure limit; with --plant), <stem>_host_thresholds.parquet (per host and resource the "
        "ramp and the day its threshold is crossed; with --plant), <stem>_shifts.parquet (with "
        "--runtime-shift-day).",
    )
    _workload_options(truth)
    truth.add_argument("--out", required=True, help="output .parquet file")
    truth.set_defaults(func=_truth)

    metrics = sub.add_parser(
        "host-metrics",
        help="write simulated host metrics (Parquet contract)",
        description="Write per-host resource history (CPU, memory, disk) of the workload "
        "window in the host-metrics Parquet layout (source='simulator').",
    )
    _workload_options(metrics)
    metrics.add_argument("--out", required=True, help="root folder (host=<host>/date=<day>/...parquet)")
    metrics.add_argument(
        "--interval-minutes", type=_positive, default=10, help="sample interval (default 10)"
    )
    metrics.set_defaults(func=_host_metrics)


def _config(args):
    from resync_assets.sim.workload import WorkloadConfig

    kwargs = {"seed": args.seed, "days": args.days, "jobs": args.jobs, "end_date": args.end_date}
    if getattr(args, "plant", False):
        kwargs["plant"] = True
    if getattr(args, "runtime_shift_day", None):
        kwargs["runtime_shift_day"] = args.runtime_shift_day
    if getattr(args, "cache_days", None):
        kwargs["cache_days"] = args.cache_days
    return WorkloadConfig(**kwargs)


def credentials(args, environ=None) -> tuple[str, str, str]:
    """(user, password, token) for `sim serve`: each from its argument, else the credentials file,
    else RESYNC_SIM_*, else the demo value (read when called)."""
    import os

    env = os.environ if environ is None else environ
    found = {
        "user": env.get("RESYNC_SIM_USER"),
        "password": env.get("RESYNC_SIM_PASSWORD"),
        "token": env.get("RESYNC_SIM_TOKEN"),
    }
    if args.credentials_file:
        from pathlib import Path

        for n, line in enumerate(Path(args.credentials_file).read_text().splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep or key.strip() not in found:
                raise ValueError(f"{args.credentials_file}:{n}: expected user=..., password=... or token=...")
            found[key.strip()] = value.strip()
    for key, value in list(found.items()):
        found[key] = getattr(args, key) or value
    return found["user"] or DEMO_USER, found["password"] or DEMO_PASSWORD, found["token"] or DEMO_TOKEN


def _serve(args) -> int:
    import signal
    import sys
    import threading
    from datetime import datetime

    from resync_assets.sim.clock import AcceleratedClock
    from resync_assets.sim.faults import FaultConfig
    from resync_assets.sim.server import SimulatorServer

    try:
        faults = FaultConfig.parse(args.faults)
    except ValueError as exc:
        print(f"resync sim serve: bad --faults: {exc}", file=sys.stderr)
        return 2
    if args.speed <= 0:
        print("resync sim serve: --speed must be > 0", file=sys.stderr)
        return 2
    start = None
    if args.start_time:
        try:
            start = datetime.fromisoformat(args.start_time)
        except ValueError:
            print(f"resync sim serve: bad --start-time {args.start_time!r}", file=sys.stderr)
            return 2
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
    elif args.end_date is not None:
        now = datetime.now(UTC)
        start = datetime.combine(args.end_date, now.time(), tzinfo=UTC)
    clock = AcceleratedClock(start, args.speed)
    try:
        user, password, token = credentials(args)
    except (OSError, ValueError) as exc:
        print(f"resync sim serve: {exc}", file=sys.stderr)
        return 2
    server = SimulatorServer(
        _config(args),
        host=args.host,
        port=args.port,
        user=user,
        password=password,
        token=token,
        faults=faults,
        clock=clock,
        plan_ids=args.plan_ids,
    )
    try:
        server.start()
    except OSError as exc:
        print(f"resync sim serve: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    done = threading.Event()

    def _stop(signum, frame):
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    wl = server.workload
    if args.warm:
        runs = server.warm(args.warm)
        print(f"warmed {args.warm} archived plans ({runs} runs)", flush=True)
    print(
        f"TWS simulator listening on {server.base_url} (API {server.api_url}); plans {wl.start_date} .. "
        f"current; seed={args.seed} days={args.days} jobs={args.jobs} speed={args.speed:g}"
        + (f" faults={faults.describe()}" if faults.enabled else ""),
        flush=True,
    )
    try:
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
    print("TWS simulator stopped", flush=True)
    return 0


def _offline_workload(args):
    """Workload for the export commands: with --end-date the window is complete (clock at its last instant)."""
    from datetime import UTC, datetime, time

    from resync_assets.sim.clock import ManualClock, SystemClock
    from resync_assets.sim.workload import Workload

    clock = ManualClock(datetime.combine(args.end_date, time.max, UTC)) if args.end_date else SystemClock()
    return Workload(_config(args), clock)


def _truth(args) -> int:
    from pathlib import Path

    import pyarrow.parquet as pq

    wl = _offline_workload(args)
    table = wl.failure_truth_table()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out)
    print(f"wrote {table.num_rows} failure records to {out}")
    # What is planted over time, next to it: <stem>_degradations / _host_thresholds / _shifts.parquet
    import pyarrow as pa

    from resync_assets.sim.truth import planted_truth

    for name, rows in planted_truth(wl).items():
        if not rows:
            continue
        path = out.with_name(f"{out.stem}_{name}.parquet")
        pq.write_table(pa.Table.from_pylist(rows), path)
        print(f"wrote {len(rows)} planted {name.replace('_', ' ')} to {path}")
    return 0


def _host_metrics(args) -> int:
    from resync_assets.sim.hostmetrics import write_host_metrics

    wl = _offline_workload(args)
    files = write_host_metrics(wl, args.out, interval_minutes=args.interval_minutes)
    print(f"wrote {len(files)} host-metric files under {args.out}")
    return 0

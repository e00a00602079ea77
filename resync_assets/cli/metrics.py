"""`resync collect-metrics`: sample this host's resources into host-metrics Parquet files."""

from __future__ import annotations

import argparse


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def register(subparsers) -> None:
    """Add the `collect-metrics` subcommand."""
    parser = subparsers.add_parser(
        "collect-metrics",
        help="sample host CPU, memory, disk and I/O into Parquet (runs on TWS agent hosts too)",
        description=(
            "Sample this host's CPU, load, memory, swap, disk space per mount, disk and network I/O "
            "rates and this process's RSS, with a health state per resource (HEALTHY < 85 % <= "
            "DEGRADED < 95 % <= UNHEALTHY), and write them as host-metrics Parquet files "
            "(docs/DATA_CONTRACTS.md). Runs until --count samples or SIGINT/SIGTERM, flushing what "
            "it has before exiting."
        ),
    )
    parser.add_argument(
        "--interval",
        type=_positive_float,
        default=60.0,
        metavar="SECONDS",
        help="seconds between samples (default 60)",
    )
    parser.add_argument(
        "--count",
        type=_positive_int,
        default=None,
        metavar="N",
        help="stop after N samples (default: run until SIGINT/SIGTERM)",
    )
    parser.add_argument(
        "--out",
        default="data/lake/host_metrics",
        metavar="DIR",
        help="lake folder for the files (default data/lake/host_metrics)",
    )
    parser.add_argument(
        "--host", default=None, metavar="NAME", help="host name to record (default: this machine's host name)"
    )
    parser.add_argument(
        "--cpu-samples",
        type=_positive_int,
        default=3,
        metavar="K",
        help="short CPU samples averaged per sample (default 3)",
    )
    parser.add_argument(
        "--cpu-sample-seconds",
        type=_positive_float,
        default=0.1,
        metavar="S",
        help="length of each short CPU sample (default 0.1)",
    )
    parser.add_argument(
        "--flush-every",
        type=_positive_int,
        default=15,
        metavar="N",
        help="write a file every N samples (default 15)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the files written")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import signal
    import sys
    import threading

    from resync_assets.lib.metrics import SystemResourceMonitor, run_collector

    monitor = SystemResourceMonitor(
        host=args.host, cpu_samples=args.cpu_samples, cpu_interval=args.cpu_sample_seconds
    )
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    def on_sample(row: dict) -> None:
        if args.quiet:
            return
        rss = row["process_rss_bytes"]
        disk = row["disk_percent"]
        print(
            f"sample {row['ts']:%Y-%m-%dT%H:%M:%SZ} {row['host']} "
            f"cpu={row['cpu_percent']:.1f}% {row['cpu_health']} "
            f"mem={row['memory_percent']:.1f}% {row['memory_health']} "
            f"disk={'n/a' if disk is None else f'{disk:.1f}%'} {row['disk_health']} "
            f"rss={'n/a' if rss is None else f'{rss / 2**20:.1f}MiB'}",
            flush=True,
        )

    def on_flush(path, rows: int) -> None:
        print(f"wrote {rows} rows to {path}", flush=True)

    try:
        result = run_collector(
            monitor,
            args.out,
            interval=args.interval,
            count=args.count,
            flush_every=args.flush_every,
            stop=stop,
            on_sample=on_sample,
            on_flush=on_flush,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(f"collected {result.samples} samples into {len(result.files)} files", file=sys.stderr)
    return 0

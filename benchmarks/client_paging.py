"""Client paging benchmark: page every job run of a ~1M-run simulated history and flatten it to rows.

    .venv/bin/python -m benchmarks.client_paging                 # ~1,000,000 runs
    .venv/bin/python -m benchmarks.client_paging --runs 100000   # quick

Starts `resync sim serve` in a subprocess (so the simulator does not share the client's interpreter),
pages every plan and parses it into `tws_raw.job_runs` rows, and prints the figures below. It measures
what ingestion does: `PlanRunReader` reads `--concurrency` plans at a time in worker processes, each
paging through its own `TwsClient` and converting each page with the one converter
(`lib/ingest/runs_arrow.job_runs_arrow`: msgspec decoding + bulk Arrow build); `--threads` reads them
in threads of this process instead (what an incremental poll of a few plans does). The two other
converters this replaced (msgspec structs to a dict per run, and orjson dicts to a dict per run) cost
1.4x and 4.4x its CPU per run (benchmarks/RESULTS.md, "Ingest soak"). Printed:

* runs/s wall-clock (what a load sees end to end, simulator included);
* runs per client CPU second (what the client alone could do if the server were free; the CPU of
  worker processes included);
* the simulator's CPU seconds over the same window (to tell which side is the bottleneck);
* client and simulator CPU microseconds per run, and the load average (the machine may be shared);
* peak RSS of the client process (and of each worker process).

By default (`--warm`) the simulator generates and compacts every plan before the clock starts (~60 s
and ~0.5 GB per 1M runs), so the figures are about serving and paging, as against a real server whose
plans already exist; `--no-warm` makes it generate each plan when first asked, so the wall-clock
figure then includes the simulator inventing the runs (~60 us CPU per run).
Writes benchmarks/results/client_paging.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import resource
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# Runs per job definition per plan day in the simulator's default workload (measured on seed 42:
# 90 days x 500 jobs -> 40,151 runs; 2000-job days run a little below that); used only to size the history.
RUNS_PER_JOB_DAY = 0.86
RESULTS = Path(__file__).resolve().parent / "results" / "client_paging.json"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.client_paging", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--runs", type=int, default=1_000_000, help="target number of runs (default 1,000,000)"
    )
    parser.add_argument("--jobs", type=int, default=2000, help="job definitions per day (default 2000)")
    parser.add_argument("--page-size", type=int, default=2000, help="jobs per page (default 2000)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="plans paged at the same time over the one pooled client (default 2)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--warm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="generate every plan before timing (default); --no-warm generates each "
        "plan when first asked, inside the timed window",
    )
    parser.add_argument(
        "--threads",
        action="store_true",
        help="read plans in threads of this process instead of worker processes",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


class _Simulator:
    """`resync sim serve` in a subprocess; stopped with SIGINT."""

    def __init__(self, days: int, jobs: int, seed: int, end_date: dt.date, warm: bool) -> None:
        self.token = secrets.token_urlsafe(16)
        command = [
            sys.executable,
            "-m",
            "resync_assets.cli",
            "sim",
            "serve",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--days",
            str(days),
            "--jobs",
            str(jobs),
            "--end-date",
            end_date.isoformat(),
            f"--token={self.token}",
            f"--password={secrets.token_urlsafe(16)}",
        ]
        if warm:
            command += ["--warm", str(days - 1), "--cache-days", str(days + 1)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.base_url = None
        self.output: list[str] = []
        for line in self.process.stdout:
            self.output.append(line.rstrip())
            match = re.search(r"listening on (http://[0-9.]+:\d+)", line)
            if match:
                self.base_url = match.group(1)
                break
        if self.base_url is None:
            self.stop()
            raise RuntimeError("the simulator did not start:\n" + "\n".join(self.output[-20:]))
        # Keep draining its output so it never blocks on a full pipe.
        threading.Thread(
            target=lambda: [self.output.append(x.rstrip()) for x in self.process.stdout], daemon=True
        ).start()

    def cpu_seconds(self) -> float:
        import psutil

        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def rss_bytes(self) -> int:
        import psutil

        return psutil.Process(self.process.pid).memory_info().rss

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _client_cpu_seconds() -> float:
    # This process and its joined children (the plan-reading worker processes).
    return sum(
        u.ru_utime + u.ru_stime
        for u in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the figures and write them as JSON; returns the exit code."""
    args = _parse_args(argv)
    from benchmarks.proctree import TreeRssSampler
    from resync_assets.lib.ingest.plans import PlanRunReader
    from resync_assets.lib.tws import TwsClient, TwsSettings

    days = max(2, math.ceil(args.runs / (args.jobs * RUNS_PER_JOB_DAY)))
    end_date = dt.datetime.now(dt.UTC).date()
    plan_ids = [(end_date - dt.timedelta(days=k)).isoformat() for k in range(days - 1, -1, -1)]
    print(f"simulator: {days} days x {args.jobs} jobs (seed {args.seed}), warm={args.warm} ...", flush=True)
    load_before = list(os.getloadavg())
    started = time.perf_counter()
    sim = _Simulator(days, args.jobs, args.seed, end_date, args.warm)
    startup = time.perf_counter() - started
    print(f"simulator ready in {startup:.1f} s at {sim.base_url}", flush=True)
    try:
        settings = TwsSettings(sim.base_url, token=sim.token, page_size=args.page_size, timeout_seconds=300)
        counts = {"jobs": 0, "runs": 0, "pages": 0}

        with TwsClient(settings, max_connections=max(2, args.concurrency)) as client:
            sim_cpu0, cpu0, t0 = sim.cpu_seconds(), _client_cpu_seconds(), time.perf_counter()
            sampler = TreeRssSampler(exclude=sim.process.pid)
            # Worker start-up (a spawned interpreter each) is inside the timed window.
            reader = PlanRunReader(
                client, args.page_size, workers=args.concurrency, processes=not args.threads
            )
            for _, table in reader.read_many(plan_ids):
                counts["runs"] += table.num_rows
            wall = time.perf_counter() - t0
            sampler.stop()
            client_cpu = _client_cpu_seconds() - cpu0
            sim_cpu = sim.cpu_seconds() - sim_cpu0
            stats = client.stats
            counts["jobs"], counts["pages"] = stats["items"], stats["pages"]
        sim_rss = sim.rss_bytes()
    finally:
        sim.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = {
        "benchmark": "client_paging",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "days": days,
        "job_definitions": args.jobs,
        "seed": args.seed,
        "page_size": args.page_size,
        "concurrency": args.concurrency,
        "warm": args.warm,
        "readers": "threads" if args.threads else "processes",
        "load_average_before": load_before,
        "load_average_after": list(os.getloadavg()),
        "plans": len(plan_ids),
        "jobs": counts["jobs"],
        "runs": counts["runs"],
        "pages": counts["pages"],
        "requests": stats["requests"],
        "retries": stats["retries"],
        "bytes_received": stats["bytes_received"],
        "simulator_startup_seconds": round(startup, 2),
        "wall_seconds": round(wall, 3),
        "runs_per_second": round(counts["runs"] / wall),
        "client_cpu_seconds": round(client_cpu, 3),
        "runs_per_client_cpu_second": round(counts["runs"] / client_cpu) if client_cpu else None,
        "simulator_cpu_seconds": round(sim_cpu, 3),
        "client_cpu_us_per_run": round(client_cpu / counts["runs"] * 1e6, 2) if counts["runs"] else None,
        "simulator_cpu_us_per_run": round(sim_cpu / counts["runs"] * 1e6, 2) if counts["runs"] else None,
        "megabytes_per_second": round(stats["bytes_received"] / wall / 1e6, 1),
        "client_peak_rss_mb": round(peak_rss / 1e6, 1),
        "client_processes_peak_rss_mb": round(sampler.peak / 1e6, 1),
        "simulator_rss_mb": round(sim_rss / 1e6, 1),
    }
    print(
        f"paged {counts['runs']:,} runs ({counts['jobs']:,} jobs, {counts['pages']} pages, "
        f"{stats['bytes_received'] / 1e6:,.0f} MB) in {wall:.1f} s"
    )
    print(f"  {result['runs_per_second']:,} runs/s wall-clock (paged + parsed into rows)")
    print(
        f"  {result['runs_per_client_cpu_second']:,} runs per client CPU second "
        f"(client CPU {client_cpu:.1f} s, simulator CPU {sim_cpu:.1f} s over the same {wall:.1f} s)"
    )
    print(
        f"  client {result['client_cpu_us_per_run']} us CPU/run, simulator {result['simulator_cpu_us_per_run']} "
        f"us CPU/run; load average before {load_before}, after {result['load_average_after']}"
    )
    print(
        f"  client peak RSS {result['client_peak_rss_mb']:,} MB; with its worker processes "
        f"{result['client_processes_peak_rss_mb']:,} MB at peak (sampled); simulator RSS {result['simulator_rss_mb']:,} MB"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

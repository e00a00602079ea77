"""End-to-end ingestion benchmark: simulator (own process) -> REST -> dlt -> DuckDB + Parquet lake.

    .venv/bin/python -m benchmarks.ingest_e2e --runs 100000
    .venv/bin/python -m benchmarks.ingest_e2e --runs 1000000
    .venv/bin/python -m benchmarks.ingest_e2e --demo            # 90 days x 500 jobs, failure joblogs

`resync sim serve` runs in a subprocess sized to the target run count: the plan size stays fixed
(`--jobs`, about 0.8 runs per job and day) and the number of days grows, so 10x the runs is 10x the
history, as a backfill is. Every archived plan is generated and compacted before timing starts
(`--warm`; about 60 s and 0.5 GB of simulator memory per 1M runs), as a real server's archived plans
already exist; `--no-warm` leaves them to be generated on demand, inside the timed window. The REAL
pipeline (`run_tws_ingest`, first load with a backfill of every day) runs in its own subprocess into a
temp dir, then polls once more, as the 10-minute schedule would (timed apart; the simulator CPU and
the peak RSS include it). Peak RSS is the highest sampled sum over that process and the plan-reading worker processes
it starts (each one's own peak is printed too); their CPU is within the ingest CPU;
`BENCH_PROFILE=/tmp/ingest.prof` cProfiles that process (main thread) into the given file. Joblogs: `--joblogs failures` (default) fetches the joblog of every failed run,
as production does; `--joblogs none` loads plans only. Figures go to benchmarks/results/ingest_e2e.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.proctree import TreeRssSampler

RUNS_PER_JOB_DAY = 0.80
END_DATE = date(2025, 3, 14)
RESULTS = Path(__file__).resolve().parent / "results" / "ingest_e2e.json"
REPO = Path(__file__).resolve().parents[1]


def _child(args: argparse.Namespace) -> int:
    """Run one ingestion in this process and print its figures as JSON (the measured process)."""
    from resync_assets.lib.ingest import IngestConfig, run_tws_ingest
    from resync_assets.lib.tws import TwsSettings

    root = Path(args.root)
    cfg = IngestConfig(
        warehouse_path=root / "warehouse.duckdb",
        lake_dir=root / "lake",
        pipelines_dir=root / "pipelines",
        backfill_days=args.days + 1,
        page_size=args.page_size,
        plan_workers=args.plan_workers,
    )
    settings = TwsSettings(
        base_url=args.base_url,
        user="resync",
        password=os.environ["BENCH_SIM_PASSWORD"],
        page_size=args.page_size,
        timeout_seconds=120,
    )
    tables = ["job_runs", "joblogs"] if args.joblogs == "failures" else ["job_runs"]
    started = time.perf_counter()
    profile_path = os.environ.get("BENCH_PROFILE")
    if profile_path:  # cProfile the ingest process (py-spy is not available here)
        import cProfile

        profiler = cProfile.Profile()
        report = profiler.runcall(run_tws_ingest, settings, cfg, tables=tables)
        profiler.dump_stats(profile_path)
    else:
        report = run_tws_ingest(settings, cfg, tables=tables)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # The plan-reading worker processes (a backfill) are children of this one, joined by now.
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = usage.ru_maxrss
    # The next scheduled poll on the loaded history: re-reads the current plan, merges what changed
    # and refreshes the lake (outside the figures above).
    poll_started = time.perf_counter()
    poll = run_tws_ingest(settings, cfg, tables=tables)
    poll_seconds = time.perf_counter() - poll_started
    print(
        "RESULT "
        + json.dumps(
            {
                "poll_seconds": poll_seconds,
                "poll_runs_fetched": poll.runs_fetched,
                "elapsed_seconds": elapsed,
                "peak_rss_bytes": peak_kb * 1024,
                "worker_peak_rss_bytes": workers.ru_maxrss * 1024,
                "ingest_cpu_seconds": usage.ru_utime + usage.ru_stime + workers.ru_utime + workers.ru_stime,
                "worker_cpu_seconds": workers.ru_utime + workers.ru_stime,
                "runs": report.table("job_runs").rows_total,
                "runs_fetched": report.runs_fetched,
                "joblogs_fetched": report.joblogs_fetched,
                "joblog_bytes": report.joblog_bytes,
                "requests": report.requests,
                "plans": len(report.plans_loaded),
                "warehouse_bytes": (root / "warehouse.duckdb").stat().st_size,
            }
        ),
        flush=True,
    )
    return 0


def _start_simulator(days: int, jobs: int, password: str, warm: bool) -> tuple[subprocess.Popen, str]:
    start = f"{END_DATE.isoformat()}T23:59:00Z"  # the current plan is (almost) complete
    cmd = [
        sys.executable,
        "-m",
        "resync_assets.cli",
        "sim",
        "serve",
        "--port",
        "0",
        "--seed",
        "42",
        "--days",
        str(days),
        "--jobs",
        str(jobs),
        "--end-date",
        END_DATE.isoformat(),
        "--start-time",
        start,
        "--cache-days",
        str(days + 1),
        "--password",
        password,
    ]
    if warm:
        cmd += ["--warm", str(days)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return proc, match.group(1)
    proc.wait()
    raise RuntimeError(f"the simulator did not start (exit {proc.returncode})")


def _figure(value: float | None) -> str:
    """A measured figure to one decimal, or "unknown" when it could not be measured (never 0.0)."""
    return "unknown" if value is None else f"{value:.1f}"


def _cpu_seconds(pid: int) -> float | None:
    # utime + stime of a running process, from /proc (Linux).
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(
    runs: int,
    jobs: int,
    joblogs: str,
    page_size: int,
    plan_workers: int,
    days: int | None = None,
    warm: bool = True,
) -> dict:
    """Serve about `runs` runs and ingest them once; return the figures."""
    if days is None:
        days = max(1, round(runs / (jobs * RUNS_PER_JOB_DAY)))
    password = os.urandom(8).hex()
    warm_started = time.perf_counter()
    sim, base_url = _start_simulator(days, jobs, password, warm)
    warm_seconds = time.perf_counter() - warm_started
    sim_cpu_before = _cpu_seconds(sim.pid)
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="resync-ingest-bench-") as tmp:
            cmd = [
                sys.executable,
                "-m",
                "benchmarks.ingest_e2e",
                "--child",
                "--root",
                tmp,
                "--base-url",
                base_url,
                "--days",
                str(days),
                "--joblogs",
                joblogs,
                "--page-size",
                str(page_size),
                "--plan-workers",
                str(plan_workers),
            ]
            child = subprocess.Popen(
                cmd,
                cwd=REPO,
                env={**os.environ, "BENCH_SIM_PASSWORD": password},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            sampler = TreeRssSampler(child.pid)
            stdout, stderr = child.communicate()
            tree_peak = sampler.stop()
            line = next((x for x in stdout.splitlines() if x.startswith("RESULT ")), None)
            if child.returncode != 0 or line is None:
                raise RuntimeError(f"ingest failed (exit {child.returncode}): {stderr[-2000:]}")
            result = json.loads(line[len("RESULT ") :])
            result["tree_peak_rss_bytes"] = tree_peak
        sim_cpu_after = _cpu_seconds(sim.pid)
    finally:
        _stop(sim)
    result.update(
        {
            "target_runs": runs,
            "days": days,
            "jobs": jobs,
            "joblogs": joblogs,
            "page_size": page_size,
            "plan_workers": plan_workers,
            "warm": warm,
            "simulator_start_seconds": warm_seconds,
            "simulator_cpu_seconds": (
                None if sim_cpu_before is None or sim_cpu_after is None else sim_cpu_after - sim_cpu_before
            ),
            "load_average_1m": [load_before, os.getloadavg()[0]],
            "cpus": os.cpu_count(),
            "runs_per_second": result["runs"] / result["elapsed_seconds"],
        }
    )
    return result


def _print(result: dict) -> None:
    print(
        f"{result['runs']:>9} runs ({result['days']} days x {result['jobs']} jobs, joblogs={result['joblogs']}, "
        f"{result['joblogs_fetched']} fetched): {result['elapsed_seconds']:.1f} s end to end = "
        f"{result['runs_per_second']:,.0f} runs/s; peak RSS {result['tree_peak_rss_bytes'] / 2**20:,.0f} MiB "
        f"all processes together (ingest process {result['peak_rss_bytes'] / 2**20:,.0f} MiB, each plan "
        f"reader {result['worker_peak_rss_bytes'] / 2**20:,.0f} MiB, at different times); "
        f"{result['requests']} requests; CPU s: ingest {result['ingest_cpu_seconds']:.1f} (plan readers "
        f"{result['worker_cpu_seconds']:.1f}), simulator "
        f"{_figure(result['simulator_cpu_seconds'])}; load average {result['load_average_1m'][0]:.1f}"
        f"->{result['load_average_1m'][1]:.1f} on {result['cpus']} CPUs; then the next poll took "
        f"{result['poll_seconds']:.1f} s ({result['poll_runs_fetched']:,} runs re-read)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (default: 100k runs) and write benchmarks/results/ingest_e2e.json."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ingest_e2e",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--runs", type=int, action="append", help="target run count (repeatable; default 100000)"
    )
    parser.add_argument("--jobs", type=int, default=6000, help="jobs per plan day (default 6000)")
    parser.add_argument("--demo", action="store_true", help="the demo's size: 90 days x 500 jobs")
    parser.add_argument("--joblogs", choices=("failures", "none"), default="failures")
    parser.add_argument("--page-size", type=int, default=2000)
    parser.add_argument("--plan-workers", type=int, default=2)
    parser.add_argument(
        "--warm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="generate every plan before timing (default)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--days", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args)

    results = []
    if args.demo:
        results.append(
            measure(
                int(90 * 500 * RUNS_PER_JOB_DAY),
                500,
                args.joblogs,
                args.page_size,
                args.plan_workers,
                days=90,
                warm=args.warm,
            )
        )
        _print(results[-1])
    for runs in args.runs or ([] if args.demo else [100_000]):
        results.append(
            measure(runs, args.jobs, args.joblogs, args.page_size, args.plan_workers, warm=args.warm)
        )
        _print(results[-1])
    if len(results) > 1:
        base = results[0]
        for r in results[1:]:
            print(
                f"x{r['runs'] / base['runs']:.1f} runs -> x{r['elapsed_seconds'] / base['elapsed_seconds']:.2f} "
                f"time, x{r['tree_peak_rss_bytes'] / base['tree_peak_rss_bytes']:.2f} peak RSS"
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for r in results:
        key = "demo" if r["days"] == 90 and r["jobs"] == 500 else f"{r['target_runs']}_{r['joblogs']}"
        previous[key] = r
    RESULTS.write_text(json.dumps(previous, indent=2, sort_keys=True))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Serving throughput of the TWS simulator: a client pages every job run of the window over HTTP.

    .venv/bin/python -m benchmarks.sim_serving                       # 12k jobs x 10 days (~110k runs)
    .venv/bin/python -m benchmarks.sim_serving --days 90             # ~1M runs (about 3 GB of server memory)

The server runs in its own process (`resync sim serve`), the client pages `/plan/job` of every archived
plan with `limit`/`offset` and parses each page with orjson. Pass 1 is cold (days are generated and
serialized on first use); pass 2 is warm (served from the serialized cache, sized to hold every day).
Figures go to stdout and `benchmarks/results/sim_serving.json`.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import orjson
import psutil

END = date(2025, 3, 14)


def _calibration() -> float:
    """CPU seconds of a fixed pure-Python loop: ~0.4 s on an idle modern core; shows how loaded the box is."""
    started = time.process_time()
    x = 0
    for i in range(10_000_000):
        x += i
    return time.process_time() - started


def _page_all(base: str, token: str, plan_ids: list[str], limit: int) -> tuple[int, int, float]:
    # The cyclic GC would rescan every parsed page while orjson builds it (about half the client's
    # CPU); a real client pauses it while parsing too.
    gc.disable()
    try:
        return _page_all_inner(base, token, plan_ids, limit)
    finally:
        gc.enable()


def _page_all_inner(base: str, token: str, plan_ids: list[str], limit: int) -> tuple[int, int, float]:
    runs = jobs = 0
    started = time.perf_counter()
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}", "Include-Count": "false"}, timeout=600
    ) as client:
        for plan_id in plan_ids:
            offset = 0
            while True:
                r = client.get(
                    "/twsd/api/v2/plan/job", params={"plan_id": plan_id, "limit": limit, "offset": offset}
                )
                r.raise_for_status()
                results = orjson.loads(r.content)["results"]
                jobs += len(results)
                runs += sum(len(j["jobruns"]) for j in results)
                if len(results) < limit:
                    break
                offset += len(results)
    return jobs, runs, time.perf_counter() - started


def _shard(job: tuple) -> tuple[int, int, float]:
    base, token, plan_ids, limit = job
    c0 = time.process_time()
    n_jobs, n_runs, _ = _page_all(base, token, plan_ids, limit)
    return n_jobs, n_runs, time.process_time() - c0


def _page_parallel(base: str, token: str, plan_ids: list[str], limit: int, clients: int):
    """Page `plan_ids` with `clients` processes (round-robin shards); returns jobs, runs, wall s, client CPU-s."""
    shards = [(base, token, plan_ids[k::clients], limit) for k in range(clients)]
    started = time.perf_counter()
    if clients == 1:
        results = [_shard(shards[0])]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(clients) as pool:
            results = list(pool.map(_shard, shards))
    secs = time.perf_counter() - started
    return (sum(r[0] for r in results), sum(r[1] for r in results), secs, sum(r[2] for r in results))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print runs/s for a cold and a warm pass."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.sim_serving", description=__doc__.split("\n")[0])
    p.add_argument("--jobs", type=int, default=12_000)
    p.add_argument("--days", type=int, default=10)
    p.add_argument("--limit", type=int, default=5_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--warm", action="store_true", help="start the server with --warm (compacted plans) and time one pass"
    )
    p.add_argument(
        "--clients",
        type=int,
        default=1,
        help="client processes paging disjoint plans in parallel (shows the server is not the limit)",
    )
    args = p.parse_args(argv)
    token = "bench-token"
    cmd = [
        sys.executable,
        "-m",
        "resync_assets.cli",
        "sim",
        "serve",
        "--port",
        "0",
        "--seed",
        str(args.seed),
        "--jobs",
        str(args.jobs),
        "--days",
        str(args.days),
        "--end-date",
        END.isoformat(),
        "--start-time",
        f"{END.isoformat()}T12:00:00Z",
        "--cache-days",
        str(2 if args.warm else args.days + 2),
        *(["--warm", str(args.days - 1)] if args.warm else []),
        "--token",
        token,
    ]
    launched = time.perf_counter()
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if args.warm:
            print(f"{line.strip()} in {time.perf_counter() - launched:.1f} s (start-up included)", flush=True)
            line = server.stdout.readline()
        startup_s = round(time.perf_counter() - launched, 1)
        match = re.search(r"(http://[\d.]+:\d+)", line)
        if not match:
            print(f"server did not start: {line!r}")
            return 1
        base = match.group(1)
        plan_ids = [(END - timedelta(days=k)).isoformat() for k in range(args.days - 1, 0, -1)]
        calibration = _calibration()
        figures = {
            "clients": args.clients,
            "startup_s": startup_s,
            "jobs": args.jobs,
            "days": args.days,
            "limit": args.limit,
            "archived_plans": len(plan_ids),
            "calibration_loop_cpu_s": round(calibration, 2),
        }
        print(
            f"calibration: 10M-iteration loop took {calibration:.2f} CPU-s (~0.4 on an idle core)", flush=True
        )
        server_proc = psutil.Process(server.pid)
        figures["server_rss_mb_before"] = round(server_proc.memory_info().rss / 1e6)
        for name in ("compact",) if args.warm else ("cold", "warm"):
            s0 = server_proc.cpu_times()
            n_jobs, n_runs, secs, client_cpu = _page_parallel(base, token, plan_ids, args.limit, args.clients)
            s1 = server_proc.cpu_times()
            server_cpu = (s1.user + s1.system) - (s0.user + s0.system)
            figures[name] = {
                "jobs": n_jobs,
                "runs": n_runs,
                "seconds": round(secs, 2),
                "runs_per_s": round(n_runs / secs),
                "server_cpu_s": round(server_cpu, 2),
                "client_cpu_s": round(client_cpu, 2),
                "runs_per_server_cpu_s": round(n_runs / max(server_cpu, 1e-9)),
            }
            print(
                f"{name:5s}: {n_runs:,} runs ({n_jobs:,} jobs in plan) in {secs:.1f} s = "
                f"{n_runs / secs:,.0f} runs/s; server {server_cpu:.1f} CPU-s "
                f"({n_runs / max(server_cpu, 1e-9):,.0f} runs per server CPU-s), client {client_cpu:.1f} CPU-s",
                flush=True,
            )
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    out = Path(__file__).parent / "results"
    print(f"server RSS before paging: {figures.get('server_rss_mb_before')} MB", flush=True)
    out.mkdir(exist_ok=True)
    (out / "sim_serving.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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

END = date(2025, 3, 14)


def _page_all(base: str, token: str, plan_ids: list[str], limit: int) -> tuple[int, int, float]:
    runs = jobs = 0
    started = time.perf_counter()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}", "Include-Count": "false"},
                      timeout=600) as client:
        for plan_id in plan_ids:
            offset = 0
            while True:
                r = client.get("/twsd/api/v2/plan/job", params={"plan_id": plan_id, "limit": limit,
                                                               "offset": offset})
                r.raise_for_status()
                results = orjson.loads(r.content)["results"]
                jobs += len(results)
                runs += sum(len(j["jobruns"]) for j in results)
                if len(results) < limit:
                    break
                offset += len(results)
    return jobs, runs, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print runs/s for a cold and a warm pass."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.sim_serving", description=__doc__.split("\n")[0])
    p.add_argument("--jobs", type=int, default=12_000)
    p.add_argument("--days", type=int, default=10)
    p.add_argument("--limit", type=int, default=5_000)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    token = "bench-token"
    cmd = [sys.executable, "-m", "resync_assets.cli", "sim", "serve", "--port", "0", "--seed", str(args.seed),
           "--jobs", str(args.jobs), "--days", str(args.days), "--end-date", END.isoformat(),
           "--start-time", f"{END.isoformat()}T12:00:00Z", "--cache-days", str(args.days + 2), "--token", token]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        match = re.search(r"(http://[\d.]+:\d+)", line)
        if not match:
            print(f"server did not start: {line!r}")
            return 1
        base = match.group(1)
        plan_ids = [(END - timedelta(days=k)).isoformat() for k in range(args.days - 1, 0, -1)]
        figures = {"jobs": args.jobs, "days": args.days, "limit": args.limit, "archived_plans": len(plan_ids)}
        for name in ("cold", "warm"):
            n_jobs, n_runs, secs = _page_all(base, token, plan_ids, args.limit)
            figures[name] = {"jobs": n_jobs, "runs": n_runs, "seconds": round(secs, 2),
                             "runs_per_s": round(n_runs / secs)}
            print(f"{name:5s}: {n_runs:,} runs ({n_jobs:,} jobs in plan) in {secs:.1f} s = "
                  f"{n_runs / secs:,.0f} runs/s", flush=True)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "sim_serving.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

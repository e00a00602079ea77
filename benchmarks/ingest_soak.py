"""Ingest soak: polls against a faulty simulator until every good run and joblog is stored exactly once.

    .venv/bin/python -m benchmarks.ingest_soak                  # both plan-id modes, ~2-4 min
    .venv/bin/python -m benchmarks.ingest_soak --plan-ids uuid  # one mode

For each plan-id mode (`date`: the simulator's production days; `uuid`: spec-shaped ids) it starts the
simulator in this process on loopback (a manual clock at 20:00 of a production day; 20 % of API
requests fail: 500, 503, 429, truncated bodies, resets), plants one poisoned joblog (an ABEND run's
joblog always answers 500) and one spec-valid-but-odd run (sent without its `id`), then polls with
`run_tws_ingest` into a fresh warehouse:

1. 20:00 first load (the poisoned joblog and the odd run go to quarantine);
2. 22:00 while another process holds the warehouse open read-only for 20 s (the load waits);
3. 02:00 the next day, after the plan rollover;
4. 03:00 with the poison and the odd run healed (still 20 % faults);
5. 04:00 one more poll (still 20 % faults).

Then, with faults off, it checks against the simulator: every run of the plans read is stored once
with its final status (0 lost, 0 duplicated), every joblog the API serves for a due run is stored, the
poisoned joblog and the odd run were quarantined with their reasons and are stored and resolved.
Prints the figures and exits 1 if any check fails. Bounded: 5 polls per mode, ~60 runs per plan day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAULTS = {
    "error_500": 0.08,
    "error_503": 0.04,
    "error_429": 0.04,
    "truncate": 0.02,
    "reset": 0.02,
    "retry_after": 0,
}
READER_SECONDS = 20.0
RESULTS = Path(__file__).resolve().parent / "results" / "ingest_soak.json"
READER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _query(path: Path, sql: str, params=None) -> list[tuple]:
    from resync_assets.lib.warehouse import read_only

    with read_only(path) as con:
        return con.execute(sql, params or []).fetchall()


def soak(mode: str, root: Path, seed: int) -> dict:
    """One soak in plan-id ``mode``; returns the figures and the checks."""
    import httpx

    from resync_assets.lib.ingest import IngestConfig, run_tws_ingest
    from resync_assets.lib.ingest.quarantine import open_items
    from resync_assets.lib.tws import TwsSettings
    from resync_assets.sim.clock import ManualClock
    from resync_assets.sim.faults import FaultConfig
    from resync_assets.sim.server import SimulatorServer
    from resync_assets.sim.workload import WorkloadConfig

    day = dt.date(2026, 12, 4)
    clock = ManualClock(dt.datetime.combine(day, dt.time(20, 0), dt.UTC))
    config = WorkloadConfig(seed=seed, days=4, jobs=70, abend_scale=3.0, end_date=day + dt.timedelta(days=1))
    noisy = FaultConfig(seed=seed, **FAULTS)
    user, password = "soak", "soak-pw"
    cfg = IngestConfig(
        warehouse_path=root / "warehouse.duckdb",
        lake_dir=root / "lake",
        pipelines_dir=root / "pipelines",
        backfill_days=5,
        lock_timeout_seconds=120.0,
        quarantine_backoff_seconds=0.0,
        quarantine_backoff_max_seconds=0.0,
        joblog_workers=4,
    )
    with SimulatorServer(
        config,
        host="127.0.0.1",
        port=0,
        user=user,
        password=password,
        faults=noisy,
        clock=clock,
        plan_ids=mode,
    ) as sim:
        today = [r for r in sim.workload.runs(day.isoformat())]
        poisoned = next(r["run_id"] for r in today if r["status"] == "ABEND")
        odd = next(r["run_id"] for r in today if r["status"] == "SUCC")
        planted = FaultConfig(seed=seed, poison=frozenset({poisoned}), odd=frozenset({odd}), **FAULTS)
        sim.set_faults(planted)
        settings = TwsSettings(
            sim.base_url,
            user=user,
            password=password,
            max_retries=8,
            backoff_initial_seconds=0.01,
            backoff_max_seconds=0.1,
            breaker_fail_max=10_000,
            timeout_seconds=10.0,
        )
        polls: list[dict] = []
        quarantined_seen: dict[str, str] = {}

        def poll(label: str) -> None:
            started = time.perf_counter()
            report = run_tws_ingest(settings, cfg)
            for item in open_items(cfg.warehouse_path, cfg.dataset):
                quarantined_seen.setdefault(f"{item['source']}:{item['item_id']}", item["reason"])
            polls.append(
                {
                    "poll": label,
                    "seconds": round(time.perf_counter() - started, 2),
                    "requests": report.requests,
                    "retries": report.retries,
                    "runs_fetched": report.runs_fetched,
                    "joblogs_fetched": report.joblogs_fetched,
                    "quarantine_open": report.quarantine_open,
                    "quarantine_resolved": report.quarantine_resolved,
                    "plans_loaded": len(report.plans_loaded),
                }
            )
            print(f"  [{mode}] {label}: {polls[-1]}", flush=True)

        poll("20:00 first load")
        clock.advance(2 * 3600)
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(cfg.warehouse_path), str(READER_SECONDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert reader.stdout.readline().strip() == "open"
        poll(f"22:00 reader holds the warehouse {READER_SECONDS:g} s")
        reader.wait(timeout=120)
        clock.advance(4 * 3600)
        poll("02:00 after the rollover")
        sim.set_faults(noisy)
        clock.advance(3600)
        poll("03:00 poison and odd run healed")
        clock.advance(3600)
        poll("04:00")

        # Verification, faults off.
        sim.set_faults(FaultConfig())
        plans_read = {
            pid for (pid,) in _query(cfg.warehouse_path, "select distinct plan_id from tws_raw.job_runs")
        }
        to_day = (lambda pid: sim.plan_day(pid)) if mode == "uuid" else (lambda pid: pid)
        days_read = {to_day(p) for p in plans_read}
        truth: dict[str, dict] = {}
        for plan_id in sim.workload.plan_ids():
            if plan_id in days_read:
                for row in sim.workload.runs(plan_id):
                    truth[row["run_id"]] = row
        stored = {
            run_id: (status, plan)
            for run_id, status, plan in _query(
                cfg.warehouse_path, "select run_id, internal_status, plan_id from tws_raw.job_runs"
            )
        }
        rows, distinct = _query(
            cfg.warehouse_path, "select count(*), count(distinct run_id) from tws_raw.job_runs"
        )[0]
        lost_runs = sorted(set(truth) - set(stored))
        wrong_status = sorted(k for k in truth if k in stored and stored[k][0] != truth[k]["status"])
        due = [
            r[0]
            for r in _query(
                cfg.warehouse_path,
                "select run_id from tws_raw.job_runs where internal_status in ('ABEND', 'FAIL', 'ERROR') "
                "and common_status = 'ERROR'",
            )
        ]
        logged = {
            r[0]: r[1]
            for r in _query(cfg.warehouse_path, "select run_id, text is not null from tws_raw.joblogs")
        }
        jl_rows, jl_distinct = _query(
            cfg.warehouse_path, "select count(*), count(distinct run_id) from tws_raw.joblogs"
        )[0]
        lost_joblogs = []
        with httpx.Client(base_url=sim.api_url, auth=(user, password), timeout=30) as http:
            for run_id in due:
                if http.get(f"/plan/job/run/{run_id}/joblog").status_code == 200 and not logged.get(run_id):
                    lost_joblogs.append(run_id)
        still_open = open_items(cfg.warehouse_path, cfg.dataset)
        resolved = _query(
            cfg.warehouse_path,
            "select source, item_id, field, reason from tws_raw.quarantine where resolved_at is not null",
        )
    checks = {
        "no run lost": not lost_runs,
        "no run duplicated": rows == distinct,
        "every stored run has its final status": not wrong_status,
        "no joblog lost": not lost_joblogs,
        "no joblog duplicated": jl_rows == jl_distinct,
        "poisoned joblog was quarantined with its reason": "500"
        in quarantined_seen.get(f"joblogs:{poisoned}", ""),
        "odd run was quarantined with its reason": any(
            k.startswith("job_runs:") and "without id" in v for k, v in quarantined_seen.items()
        ),
        "poisoned joblog stored once healed": bool(logged.get(poisoned)),
        "odd run stored once healed": odd in stored,
        "quarantine empty at the end": not still_open,
        "the reader's 20 s were waited out": polls[1]["seconds"] >= READER_SECONDS * 0.9,
    }
    return {
        "mode": mode,
        "runs_expected": len(truth),
        "runs_stored": len(stored),
        "runs_lost": len(lost_runs),
        "runs_duplicated": rows - distinct,
        "joblogs_due": len(due),
        "joblogs_stored": sum(1 for v in logged.values() if v),
        "joblogs_lost": len(lost_joblogs),
        "joblogs_duplicated": jl_rows - jl_distinct,
        "quarantined": quarantined_seen,
        "resolved": [list(r) for r in resolved],
        "polls": polls,
        "requests": sum(p["requests"] for p in polls),
        "retries": sum(p["retries"] for p in polls),
        "checks": checks,
        "passed": all(checks.values()),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the soak in the chosen plan-id modes, print the figures, write them as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ingest_soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--plan-ids", choices=("date", "uuid", "both"), default="both")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    modes = ["date", "uuid"] if args.plan_ids == "both" else [args.plan_ids]
    results = []
    load_before = list(os.getloadavg())
    started = time.perf_counter()
    for mode in modes:
        print(f"soak, plan ids {mode}: 20 % faults, 1 poisoned joblog, 1 odd run, a 20 s reader, a rollover")
        with tempfile.TemporaryDirectory(prefix=f"soak-{mode}-") as tmp:
            result = soak(mode, Path(tmp), args.seed)
        results.append(result)
        print(
            f"  runs {result['runs_stored']}/{result['runs_expected']} stored, lost {result['runs_lost']}, "
            f"duplicated {result['runs_duplicated']}; joblogs {result['joblogs_stored']} stored of "
            f"{result['joblogs_due']} due, lost {result['joblogs_lost']}, duplicated {result['joblogs_duplicated']}; "
            f"{result['requests']} requests, {result['retries']} retries"
        )
        for item, reason in result["quarantined"].items():
            print(f"  quarantined {item}: {reason[:120]}")
        for name, ok in result["checks"].items():
            print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    elapsed = time.perf_counter() - started
    print(f"total {elapsed:.1f} s; load average before {load_before}, after {list(os.getloadavg())}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "benchmark": "ingest_soak",
                "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "seconds": round(elapsed, 1),
                "results": results,
            },
            indent=2,
            default=str,
        )
    )
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""How long one incident-analysis pass takes, and holds the warehouse writer lock, when the LLM hangs.

Builds a DuckDB warehouse with `--runs` failed runs (each with a joblog error line, so each would ask
the LLM), starts an OpenAI-compatible server on loopback that never answers in time, and runs one
pass of `incident_analyses` (`lib/rca/refresh.refresh_incident_analyses`) with the given request
timeout, time budget and breaker threshold. A probe thread takes the writer lock every 20 ms: the
longest it had to wait is the longest the pass kept other writers out. With `--compare`, the old
pass runs too: everything under one writer (`store.analyse_failed_runs`), no breaker, no budget.

    .venv/bin/python -m benchmarks.llm_hang [--runs 100] [--timeout 0.5] [--budget 60]
        [--fail-max 3] [--compare]

Prints one table: wall seconds, LLM requests sent, longest writer-lock wait of the probe, statuses.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb

from resync_assets.lib.llm.client import LlmAnalyst
from resync_assets.lib.llm.settings import LlmSettings
from resync_assets.lib.rca import store
from resync_assets.lib.rca.refresh import refresh_incident_analyses
from resync_assets.lib.warehouse import write_lock, writer

ERRORS = (
    "ORA-12541: TNS:no listener",
    "cp: cannot stat '/data/fin/in/rates.csv': No such file or directory",
    "java.lang.OutOfMemoryError: Java heap space",
    "ssh: connect to host db01.example.com port 22: Connection refused",
    "gl_extract: vault quota of tenant FIN reached while uploading /data/fin/out/gl.dat",
)


def build(path: Path, runs: int) -> None:
    """`tws_raw.job_runs` and `tws_raw.joblogs` with `runs` ABEND runs."""
    con = duckdb.connect(str(path))
    con.execute("create schema tws_raw")
    con.execute(
        "create table tws_raw.job_runs (run_id varchar, job_name varchar, workstation varchar, "
        "job_stream_name varchar, plan_id varchar, internal_status varchar, actual_end timestamptz, "
        "return_code integer, last_seen_at timestamptz)"
    )
    con.execute(
        "create table tws_raw.joblogs (run_id varchar, job_name varchar, internal_status varchar, "
        "fetched_at timestamptz, text varchar)"
    )
    start = datetime(2025, 3, 14, tzinfo=UTC)
    for i in range(runs):
        end = start + timedelta(minutes=i)
        job = f"JOB_{i % 17:02d}"
        text = "\n".join(
            ["=" * 63, f"= JOB       : AGENT01#DAILY.{job}", "= AGENT     : AGENT01", "=" * 63]
            + [f"2025-03-14 01:{i % 60:02d}:{k:02d} INFO step {k} fine" for k in range(20)]
            + [f"2025-03-14 01:{i % 60:02d}:59 ERROR {ERRORS[i % len(ERRORS)]}", "=" * 63]
            + ["= Exit Status           : 1", "=" * 63]
        )
        con.execute(
            "insert into tws_raw.job_runs values (?, ?, 'AGENT01', 'DAILY', '2025-03-14', 'ABEND', ?, 1, ?)",
            [f"run-{i:05d}", job, end, end],
        )
        con.execute(
            "insert into tws_raw.joblogs values (?, ?, 'ABEND', ?, ?)", [f"run-{i:05d}", job, end, text]
        )
    con.close()


def hanging_server(release: threading.Event) -> ThreadingHTTPServer:
    """An endpoint that holds every request until `release` is set (or 120 s)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.server.requests += 1
            release.wait(120)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.requests = 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def probe(path: Path, stop: threading.Event, waits: list[float]) -> None:
    """Take and release the writer lock every 20 ms; record each wait."""
    while not stop.is_set():
        t0 = time.monotonic()
        with write_lock(path, 3600, what="benchmark probe"):
            waits.append(time.monotonic() - t0)
        time.sleep(0.02)


def one(path: Path, settings: LlmSettings, old: bool) -> dict:
    release = threading.Event()
    server = hanging_server(release)
    host, port = server.server_address[:2]
    analyst = LlmAnalyst(dataclasses.replace(settings, base_url=f"http://{host}:{port}/v1"))
    stop, waits = threading.Event(), []
    prober = threading.Thread(target=probe, args=(path, stop, waits), daemon=True)
    prober.start()
    t0 = time.monotonic()
    if old:
        with writer(path, what="old incident pass") as con:
            analyses = store.analyse_failed_runs(con, llm=analyst)
    else:
        analyses = refresh_incident_analyses(path, analyst).analyses
    wall = time.monotonic() - t0
    stop.set()
    prober.join()
    release.set()
    server.shutdown()
    server.server_close()
    return {
        "wall_s": round(wall, 1),
        "requests": server.requests,
        "longest_lock_wait_s": round(max(waits, default=0.0), 2),
        "statuses": dict(Counter(a.llm.get("status") for a in analyses)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=0.5, help="request timeout, seconds")
    parser.add_argument("--budget", type=float, default=60.0, help="LLM time budget, seconds")
    parser.add_argument("--fail-max", type=int, default=3, help="breaker threshold")
    parser.add_argument("--compare", action="store_true", help="also run the old pass (slow)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.duckdb"
        build(template, args.runs)
        cases = [("now: breaker + budget, no lock while waiting", False, args.fail_max, args.budget)]
        if args.compare:
            cases.append(("before: one writer, no breaker, no budget", True, 10**9, 1e9))
        for i, (name, old, fail_max, budget) in enumerate(cases):
            path = Path(tmp) / f"wh{i}.duckdb"
            path.write_bytes(template.read_bytes())
            settings = LlmSettings(
                base_url="http://unused/v1",
                model="bench",
                timeout_seconds=args.timeout,
                budget_seconds=budget,
                breaker_fail_max=fail_max,
            )
            rows.append((name, one(path, settings, old)))
    print(
        f"{args.runs} failed runs, request timeout {args.timeout:g} s, budget {args.budget:g} s, "
        f"breaker after {args.fail_max} failures; the endpoint never answers in time"
    )
    print(f"{'pass':<48} {'wall s':>7} {'requests':>9} {'longest lock wait s':>20}  statuses")
    for name, r in rows:
        print(
            f"{name:<48} {r['wall_s']:>7} {r['requests']:>9} {r['longest_lock_wait_s']:>20}  "
            f"{json.dumps(r['statuses'])}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

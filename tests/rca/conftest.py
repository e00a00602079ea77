"""Fixtures for the incident analysis tests: labelled simulator failures and a small warehouse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from resync_assets.sim.clock import ManualClock
from resync_assets.sim.workload import Workload, WorkloadConfig

END = date(2025, 3, 14)


def make_workload(days: int = 12, jobs: int = 120, seed: int = 42) -> Workload:
    """A deterministic workload whose window ended at midnight after END."""
    clock = ManualClock(datetime.combine(END + timedelta(days=1), datetime.min.time(), tzinfo=UTC))
    return Workload(WorkloadConfig(seed=seed, days=days, jobs=jobs, end_date=END), clock=clock)


@pytest.fixture(scope="session")
def workload() -> Workload:
    """Small simulated workload (shared, read-only)."""
    return make_workload()


def joblog_bytes(w: Workload, run_id: str) -> bytes:
    """The served joblog of a run as bytes."""
    return b"\n".join(w.joblog(w.find_run(run_id)).lines) + b"\n"


def build_warehouse(path, w: Workload, days: list[str] | None = None) -> list:
    """Write `tws_raw.job_runs` / `tws_raw.joblogs` (contract columns the analysis reads) for the failed
    runs of the workload's plans (or only `days`); returns the ground truth of those runs."""
    truth = [t for t in w.failure_truth() if days is None or t.plan_id in days]
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists tws_raw")
    con.execute(
        "create table if not exists tws_raw.job_runs (run_id varchar, job_name varchar, workstation varchar, "
        "job_stream_name varchar, plan_id varchar, internal_status varchar, actual_end timestamptz, "
        "return_code integer, last_seen_at timestamptz)"
    )
    con.execute(
        "create table if not exists tws_raw.joblogs (run_id varchar, job_id varchar, job_name varchar, "
        "workstation varchar, plan_id varchar, internal_status varchar, fetched_at timestamptz, text varchar, "
        "byte_size bigint, line_count bigint, encoding varchar, had_invalid_utf8 boolean, truncated boolean)"
    )
    for t in truth:
        data = joblog_bytes(w, t.run_id)
        text = data.decode("utf-8", errors="replace")
        con.execute(
            "insert into tws_raw.job_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                t.run_id,
                t.job_name,
                t.workstation,
                t.job_stream_name,
                t.plan_id,
                t.status,
                t.end,
                t.return_code,
                t.end,
            ],
        )
        con.execute(
            "insert into tws_raw.joblogs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'utf-8', false, false)",
            [
                t.run_id,
                t.job_id,
                t.job_name,
                t.workstation,
                t.plan_id,
                t.status,
                t.end,
                text,
                len(data),
                text.count("\n"),
            ],
        )
    con.close()
    return truth

"""Maintenance alerts on a demo-sized world (`make demo`: 90 days x 500 jobs, seed 42).

The demo's table used to be empty: its estate plants no degradation (`plant` is off) and the old
rules missed the topology's own growing jobs (backups +5 %/week from the first day, so the growth
sat inside their baseline). These tests run the product's rules on the simulator's history (as
`marts.fct_job_runs` aggregates it) and grade them with the simulator's truth."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

import pandas as pd
import pytest

from benchmarks.forecasting import job_daily
from resync_assets.lib.forecast.alerts import JobMatrix, job_alerts
from resync_assets.sim.clock import ManualClock
from resync_assets.sim.truth import planted_truth
from resync_assets.sim.workload import Workload, WorkloadConfig

END = date(2026, 11, 30)  # the demo's default end date


def _world(plant: bool):
    cfg = WorkloadConfig(seed=42, days=90, jobs=500, end_date=END, plant=plant)
    wl = Workload(cfg, ManualClock(datetime.combine(END, dtime.max, UTC)))
    rows = []
    d = wl.start_date
    while d < END:  # the product leaves out the last (incomplete) day
        for s in wl.day(d).streams:
            for j in s.jobs:
                key = f"{j.jd.workstation}#{j.jd.folder}{s.sd.name}.{j.jd.name}"
                for r in j.runs:
                    rows.append(
                        (key, d, r.status, (r.end - r.start) if r.start is not None else None, r.attempt)
                    )
        d += timedelta(days=1)
    runs = pd.DataFrame(rows, columns=["job_key", "day", "status", "duration_seconds", "attempt"])
    runs["day"] = pd.to_datetime(runs["day"])
    runs["is_success"] = runs["status"] == "SUCC"
    runs["is_terminal"] = runs["status"].isin(["SUCC", "ABEND", "FAIL", "CANCL", "SUPPR"])
    topo = wl.topology
    growing = {
        f"{j.workstation}#{j.folder}{topo.streams[j.stream_idx].name}.{j.name}": j.trend_weekly
        for j in topo.trend_jobs()
    }
    planted = {
        f"{t['workstation']}#{t['folder']}{t['job_stream_name']}.{t['job_name']}": t
        for t in planted_truth(wl)["degradations"]
    }
    return job_alerts(JobMatrix.from_daily(job_daily(runs))), growing, planted, runs["job_key"].nunique()


@pytest.fixture(scope="module")
def demo_world():
    return _world(plant=False)


def test_the_demo_estate_alerts_on_its_fast_growing_jobs_only(demo_world):
    alerts, growing, _, jobs = demo_world
    # The topology grows three backup/archive jobs +5 %/week from the first day (one runs monthly,
    # one daily under heavy month-end noise) and a few others +2-3 %/week, which do not reach +50 %
    # within the horizon. A clean job may be alerted by chance, rarely (< 2 % of the ~500 jobs).
    fast = {k for k, g in growing.items() if g >= 0.05}
    grown = alerts[(alerts["kind"] == "runtime_trend") & alerts["job_key"].isin(fast)]
    assert len(grown) >= 1
    assert grown["weekly_growth"].between(0.03, 0.12).all()
    assert grown["message"].str.contains("crosses its normal band|beyond its normal band").all()
    clean = set(alerts["job_key"]) - set(growing)
    assert len(clean) <= 0.02 * jobs


def test_a_planted_demo_estate_alerts_on_its_planted_degradations():
    alerts, growing, planted, jobs = _world(plant=True)
    flagged = set(alerts["job_key"])
    runtime = [k for k, t in planted.items() if t["kind"] in ("runtime_step", "creeping_runtime")]
    assert len(runtime) >= 10
    # Every runtime step or creep planted 5+ weeks before the end has crossed its band by then.
    old = [k for k in runtime if planted[k]["onset"] <= END - timedelta(days=35)]
    assert len([k for k in old if k in flagged]) >= 0.9 * len(old)
    clean = flagged - set(planted) - set(growing)
    assert len(clean) <= 0.02 * jobs

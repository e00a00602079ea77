"""The current plan moves with the clock: states progress, joblogs grow and follow, the plan rolls over."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from resync_assets.sim.clock import ManualClock
from resync_assets.sim.workload import WorkloadConfig

NOW = datetime(2025, 3, 14, 10, tzinfo=UTC)
CONFIG = WorkloadConfig(seed=7, days=3, jobs=120)
AUTH = ("resync", "resync-pw")


def _future_success(sim, min_seconds: float = 120.0):
    """A run of today's plan that starts later and succeeds at the first attempt."""
    now = sim.clock.timestamp()
    for s in sim.workload.day(sim.workload.current_date()).streams:
        for j in s.jobs:
            r = j.runs[0]
            if (
                len(j.runs) == 1
                and r.status == "SUCC"
                and r.start - now > 60
                and r.end - r.start > min_seconds
            ):
                return j, r
    pytest.fail("no suitable future run")


def _job(client, job_id):
    r = client.get(f"/plan/job/{job_id}")
    assert r.status_code == 200
    return r.json()


def test_job_progresses_hold_exec_succ(make_simulator):
    clock = ManualClock(NOW)
    sim = make_simulator(CONFIG, clock=clock)
    job, run = _future_success(sim)
    with httpx.Client(base_url=sim.api_url, auth=AUTH) as c:
        before = _job(c, job.id)["jobruns"][0]
        assert before["compositeStatus"]["status"] in ("HOLD", "READY")
        assert before["commonStatus"] in ("WAITING", "READY")
        assert "actualStartTime" not in before["timeInfo"] and "jobNumber" not in before
        assert c.get(f"/plan/job/run/{run.id}/joblog").status_code == 404  # not started yet

        clock.set(datetime.fromtimestamp(run.start + 1, UTC))
        running = _job(c, job.id)
        assert running["lastRunCompositeStatus"]["status"] == "EXEC"
        assert running["lastRunCommonStatus"] == "RUNNING"
        assert "actualStartTime" in running["jobruns"][0]["timeInfo"]
        assert "actualEndTime" not in running["jobruns"][0]["timeInfo"]
        assert "returnCode" not in running["jobruns"][0]
        partial = c.get(f"/plan/job/run/{run.id}/joblog").content
        assert b"Exit Status" not in partial

        clock.set(datetime.fromtimestamp(run.end + 1, UTC))
        done = _job(c, job.id)["jobruns"][0]
        assert done["compositeStatus"]["status"] == "SUCC" and done["returnCode"] == 0
        assert "actualEndTime" in done["timeInfo"] and "elapsedTime" in done["timeInfo"]
        full = c.get(f"/plan/job/run/{run.id}/joblog").content
        assert full.startswith(partial) and b"= Exit Status           : 0" in full


def test_follow_streams_new_lines_until_the_run_ends(make_simulator):
    clock = ManualClock(NOW)
    sim = make_simulator(CONFIG, clock=clock, follow_poll=0.01)
    _, run = _future_success(sim, min_seconds=300)
    clock.set(datetime.fromtimestamp(run.start + 2, UTC))
    chunks: list[bytes] = []
    first_chunk = threading.Event()

    def read():
        with httpx.stream(
            "GET",
            f"{sim.api_url}/plan/job/run/{run.id}/joblog",
            params={"follow": "true"},
            auth=AUTH,
            timeout=30,
        ) as r:
            assert r.status_code == 200 and r.headers["transfer-encoding"] == "chunked"
            for chunk in r.iter_raw():
                chunks.append(chunk)
                first_chunk.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert first_chunk.wait(10)
    initial = b"".join(chunks)
    assert b"Exit Status" not in initial
    clock.set(datetime.fromtimestamp((run.start + run.end) / 2, UTC))
    clock.set(datetime.fromtimestamp(run.end + 1, UTC))
    reader.join(10)
    assert not reader.is_alive(), "follow did not end after the run finished"
    streamed = b"".join(chunks)
    full = httpx.get(f"{sim.api_url}/plan/job/run/{run.id}/joblog", auth=AUTH).content
    assert streamed == full and len(full) > len(initial)


def test_follow_on_a_finished_run_returns_the_whole_log(simulator, sim_auth):
    row = next(
        r for r in simulator.workload.runs(simulator.workload.plan_ids()[0]) if r["final_status"] == "SUCC"
    )
    url = f"{simulator.api_url}/plan/job/run/{row['run_id']}/joblog"
    followed = httpx.get(url, params={"follow": "true"}, auth=sim_auth, timeout=10)
    assert followed.status_code == 200 and followed.content == httpx.get(url, auth=sim_auth).content


def test_plan_rolls_over_at_midnight(make_simulator):
    clock = ManualClock(datetime(2025, 3, 14, 23, 59, 50, tzinfo=UTC))
    sim = make_simulator(CONFIG, clock=clock)
    with httpx.Client(base_url=sim.api_url, auth=AUTH) as c:
        before = c.get("/plan/job", params={"limit": 1}).json()["results"][0]
        assert before["planId"] == "2025-03-14" and before["archived"] is False
        assert c.get("/plan/job", params={"plan_id": "2025-03-15"}).status_code == 404
        clock.advance(20)
        after = c.get("/plan/job").json()["results"]
        assert {j["planId"] for j in after} == {"2025-03-15"}
        assert sim.workload.plan_ids()[-2:] == ["2025-03-14", "2025-03-15"]
        archived = c.get("/plan/job", params={"plan_id": "2025-03-14"}).json()["results"]
        assert archived and all(j["archived"] and j["planId"] == "2025-03-14" for j in archived)
        assert {j["id"] for j in archived} == {
            j["id"] for j in c.get("/plan/job", params={"plan_id": "2025-03-14"}).json()["results"]
        }
        ws = c.get("/plan/workstation").json()["results"]
        assert {w["planId"] for w in ws} == {"2025-03-15"}


def test_unfinished_streams_are_carried_forward(make_simulator):
    clock = ManualClock(datetime(2025, 3, 15, 12, tzinfo=UTC))
    sim = make_simulator(WorkloadConfig(seed=7, days=4, jobs=300), clock=clock)
    spilled = sim.workload.day(datetime(2025, 3, 14).date()).spill()
    assert spilled, "expected a late stream to spill past midnight"
    stream = spilled[0]
    with httpx.Client(base_url=sim.api_url, auth=AUTH) as c:
        today = c.get(f"/plan/jobstream/{stream.id}").json()
        assert today["planId"] == "2025-03-15" and today["name"] == stream.sd.name
        yesterday = c.get(f"/plan/jobstream/{stream.id}", params={"plan_id": "2025-03-14"}).json()
        assert yesterday["planId"] == "2025-03-14"
        assert yesterday["jobStreamStats"]["numberOfJob"] == today["jobStreamStats"]["numberOfJob"]


def test_accelerated_clock_runs_faster_than_real_time():
    from resync_assets.sim.clock import AcceleratedClock

    start = datetime(2025, 3, 14, tzinfo=UTC)
    clock = AcceleratedClock(start, speed=1000)
    assert clock.now() >= start
    assert clock.speed == 1000
    with pytest.raises(ValueError):
        AcceleratedClock(start, speed=0)


def test_manual_clock_rejects_going_backwards():
    clock = ManualClock(NOW)
    assert clock.advance(60) == NOW + timedelta(seconds=60)
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.set(datetime(2025, 1, 1))
    assert clock.now() == datetime(2025, 1, 1, tzinfo=UTC)

"""Issue #15, ingest side: one bad item never holds back the others (quarantine with its reason,
retried and stored once it heals), spec-valid odd data loads, a reader does not stop the ingest, plan
readers die with their parent, bounded settings. Each test failed on the code before the fix."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from resync_assets.lib.ingest import IngestConfig, run_tws_ingest
from resync_assets.lib.ingest.quarantine import open_items
from resync_assets.lib.ingest.runs_arrow import job_runs_arrow
from resync_assets.sim.faults import FaultConfig
from resync_assets.sim.workload import WorkloadConfig
from tests.conftest import SIM_PASSWORD, SIM_USER
from tests.ingest.conftest import make_cfg, query, settings_for

REPO = Path(__file__).resolve().parents[2]
FAILING = WorkloadConfig(seed=11, days=3, jobs=50, abend_scale=4.0)


def _failed_run_ids(cfg) -> list[str]:
    return [
        r[0]
        for r in query(
            cfg,
            "select run_id from tws_raw.job_runs where internal_status in ('ABEND', 'FAIL', 'ERROR') "
            "and common_status = 'ERROR' order by run_id",
        )
    ]


def _joblog_ids(cfg) -> set[str]:
    return {r[0] for r in query(cfg, "select run_id from tws_raw.joblogs where text is not null")}


def _abend_run(cfg) -> str:
    return query(
        cfg,
        "select run_id from tws_raw.job_runs where internal_status = 'ABEND' order by run_id limit 1",
    )[0][0]


# ------------------------------------------------------------------ 1. one bad joblog


@pytest.mark.parametrize("mode", ["500", "cut"])
def test_one_poisoned_joblog_is_quarantined_and_the_others_load(make_simulator, tmp_path, mode):
    sim = make_simulator(config=FAILING)
    cfg = make_cfg(tmp_path, quarantine_backoff_seconds=0.0, quarantine_backoff_max_seconds=0.0)
    run_tws_ingest(settings_for(sim, max_retries=1), cfg, tables=["job_runs"])
    poisoned = _abend_run(cfg)
    sim.set_faults(FaultConfig(poison=frozenset({poisoned}), poison_mode=mode))

    report = run_tws_ingest(settings_for(sim, max_retries=1), cfg, tables=["joblogs"])

    stored = _joblog_ids(cfg)
    assert poisoned not in stored
    assert len(stored) >= len(_failed_run_ids(cfg)) - 5 > 10  # FAIL runs without a log may be missing
    items = open_items(cfg.warehouse_path, cfg.dataset, "joblogs")
    assert [(i["item_id"], i["attempts"]) for i in items] == [(poisoned, 1)]
    assert ("500" in items[0]["reason"]) if mode == "500" else ("trailer" in items[0]["reason"])
    assert report.joblog_errors == 1 and report.quarantine_open == 1

    # Still poisoned: tried again (no backoff here), still alone in quarantine.
    run_tws_ingest(settings_for(sim, max_retries=1), cfg, tables=["joblogs"])
    assert [i["attempts"] for i in open_items(cfg.warehouse_path, cfg.dataset)] == [2]

    # Healed: stored once, quarantine resolved, nothing else changed.
    sim.set_faults(FaultConfig())
    report = run_tws_ingest(settings_for(sim), cfg, tables=["joblogs"])
    assert poisoned in _joblog_ids(cfg)
    assert query(cfg, "select count(*) from tws_raw.joblogs where run_id = ?", [poisoned]) == [(1,)]
    assert open_items(cfg.warehouse_path, cfg.dataset) == []
    assert report.quarantine_resolved == 1
    resolved = query(cfg, "select resolved_at is not null, attempts from tws_raw.quarantine")
    assert resolved == [(True, 2)]


def test_a_quarantined_joblog_waits_for_its_backoff(make_simulator, tmp_path):
    sim = make_simulator(config=FAILING)
    cfg = make_cfg(tmp_path, quarantine_backoff_seconds=3600.0)
    run_tws_ingest(settings_for(sim), cfg, tables=["job_runs"])
    poisoned = _abend_run(cfg)
    sim.set_faults(FaultConfig(poison=frozenset({poisoned})))
    run_tws_ingest(settings_for(sim, max_retries=0), cfg, tables=["joblogs"])
    sim.set_faults(FaultConfig())
    report = run_tws_ingest(settings_for(sim), cfg, tables=["joblogs"])
    assert report.requests == 0  # nothing due: the poisoned joblog waits for its next attempt
    (item,) = open_items(cfg.warehouse_path, cfg.dataset)
    assert item["next_attempt_at"] - item["last_failed_at"] == dt.timedelta(hours=1)


# ------------------------------------------------------------------ 2. spec-valid data


def _job(job_id: str, runs: list[dict], **fields) -> dict:
    base = {
        "id": job_id,
        "name": f"N_{job_id}",
        "planId": "2026-12-05",
        "schedTime": "2026-12-05T10:00:00Z",
        "jobruns": runs,
    }
    return {**base, **fields}


def test_spec_valid_values_convert_and_unusable_ones_are_reported_by_job_and_field():
    jobs = [
        _job("J1", [{"id": "R1", "commonStatus": "SUCCESSFUL", "submittedTime": "2026-12-05t10:00:00z"}]),
        _job("J2", [{"id": "R2", "timeInfo": {"actualEndTime": "2026-12-31T23:59:60Z"}}]),
        _job("J3", [{"commonStatus": "ERROR"}, {"id": "R3b"}]),
        _job("J4", [{"id": "R4", "timeInfo": {"elapsedTime": "P", "estimatedDuration": "PT5S"}}]),
        _job(
            "J5",
            [{"id": "R5"}],
            timeRestrictions={"maxDuration": "2 hours", "deadlineTime": "2026-12-05T12:00Z"},
        ),
    ]
    rejects: list = []
    table = job_runs_arrow(jobs, rejects)
    rows = {r["run_id"]: r for r in table.to_pylist()}
    assert sorted(rows) == ["R1", "R2", "R3b", "R4", "R5"]
    assert rows["R1"]["submitted_time"] == dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)
    assert rows["R2"]["actual_end"] == dt.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
    assert rows["R4"]["elapsed_seconds"] is None and rows["R4"]["estimated_seconds"] == 5.0
    # A job's unusable maximum duration is reported once (on its first run); its deadline is kept.
    assert rows["R5"]["maxdur_seconds"] is None
    assert rows["R5"]["deadline_time"] == dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    found = {(r.item_id, r.job_id, r.field) for r in rejects}
    assert found == {
        ("job J3 run #1", "J3", "jobruns.id"),
        ("R4", "J4", "jobruns.timeInfo.elapsedTime"),
        ("R5", "J5", "timeRestrictions.maxDuration"),
    }
    (odd,) = [r for r in rejects if r.item_id == "R4"]
    assert odd.value == "P" and "ISO-8601 duration" in odd.reason


def _fake_tws(serve, jobs: list[dict], streams: list[dict]):
    """A minimal TWS server answering the four plan reads the source makes."""

    def page(items):
        return orjson.dumps({"count": len(items), "results": items})

    def handle(path, query):
        plan = query.get("plan_id") or "current"
        if path.endswith("/engine/info"):
            return 200, {"Content-Type": "application/json"}, b'{"fullVersion": "10.2"}'
        if plan != "current":
            return 404, {"Content-Type": "application/json"}, b'{"message": "no such plan"}'
        if path.endswith("/plan/job"):
            return 200, {"Content-Type": "application/json"}, page(jobs)
        if path.endswith("/plan/jobstream"):
            return 200, {"Content-Type": "application/json"}, page(streams)
        if path.endswith("/plan/workstation"):
            return 200, {"Content-Type": "application/json"}, page([{"name": "NO_ID_WS"}, {"id": "W1"}])
        return 404, {"Content-Type": "application/json"}, b"{}"

    return serve(handle)


def test_odd_but_valid_plans_load_everything_usable(serve, tmp_path):
    jobs = [
        _job("J1", [{"id": "R1", "commonStatus": "SUCCESSFUL"}], planId=None),
        _job("J2", [{"commonStatus": "ERROR"}], planId=None),
        _job("J3", [{"id": "R3", "timeInfo": {"elapsedTime": "P"}}], planId=None),
    ]
    streams = [{"name": "NO_ID"}, {"id": "S1", "name": "NO_PLAN"}]
    from resync_assets.lib.tws import TwsSettings

    base_url = _fake_tws(serve, jobs, streams)
    cfg = make_cfg(tmp_path, backfill_days=2)
    report = run_tws_ingest(TwsSettings(base_url, token="t", max_retries=0), cfg)
    assert sorted(r[0] for r in query(cfg, "select run_id from tws_raw.job_runs")) == ["R1", "R3"]
    assert query(cfg, "select count(*) from tws_raw.job_streams") == [(0,)]
    assert query(cfg, "select workstation_id from tws_raw.workstations") == [("W1",)]
    items = {(i["source"], i["item_id"], i["field"]) for i in open_items(cfg.warehouse_path, cfg.dataset)}
    assert items == {
        ("job_runs", "job J2 run #1", "jobruns.id"),
        ("job_runs", "R3", "jobruns.timeInfo.elapsedTime"),
        ("job_streams", "current plan item #1", "id"),
        ("job_streams", "S1", "planId"),
        ("workstations", "current plan item #1", "id"),
    }
    assert report.quarantine_open == 5


# ------------------------------------------------------------------ 3. a reader holds the warehouse


READER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_a_reader_holding_the_warehouse_delays_the_load_but_does_not_stop_it(make_simulator, tmp_path):
    sim = make_simulator()
    cfg = make_cfg(tmp_path, backfill_days=2)
    run_tws_ingest(settings_for(sim), cfg, tables=["engine_info"])
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(cfg.warehouse_path), "4"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        started = time.monotonic()
        report = run_tws_ingest(settings_for(sim), cfg, tables=["job_runs", "job_streams"])
        waited = time.monotonic() - started
    finally:
        reader.wait(timeout=30)
    assert report.table("job_runs").rows_total > 0 and report.table("job_streams").rows_total > 0
    assert reader.returncode == 0 and waited > 1.0


def test_a_reader_past_the_bound_fails_clearly_and_the_paged_runs_load_next_time(make_simulator, tmp_path):
    from resync_assets.lib.ingest import IngestError

    sim = make_simulator()
    cfg = make_cfg(tmp_path, backfill_days=2, lock_timeout_seconds=1.0)
    run_tws_ingest(settings_for(sim), cfg, tables=["engine_info"])
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(cfg.warehouse_path), "6"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        with pytest.raises(IngestError, match="readers kept the warehouse open"):
            run_tws_ingest(settings_for(sim), cfg, tables=["job_runs"])
    finally:
        reader.wait(timeout=30)
    # The package extracted before the wait ran out loads first on the next run, without paging.
    sim.set_faults(FaultConfig(error_503=1.0))
    with pytest.raises(IngestError):
        run_tws_ingest(settings_for(sim, max_retries=0), cfg, tables=["job_runs"])
    assert query(cfg, "select count(*) from tws_raw.job_runs")[0][0] > 0


# ------------------------------------------------------------------ 5. orphans


ORPHAN_INGEST = """
import sys
from resync_assets.lib.ingest import IngestConfig, run_tws_ingest
from resync_assets.lib.tws import TwsSettings

if __name__ == "__main__":
    cfg = IngestConfig(warehouse_path=sys.argv[2] + "/w.duckdb", lake_dir=sys.argv[2] + "/lake",
                       pipelines_dir=sys.argv[2] + "/p", backfill_days=8, page_size=5)
    run_tws_ingest(TwsSettings(sys.argv[1], user=sys.argv[3], password=sys.argv[4]), cfg, tables=["job_runs"])
"""


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc")
def test_plan_readers_and_the_resource_tracker_die_with_a_killed_ingest(make_simulator, tmp_path):
    sim = make_simulator(
        config=WorkloadConfig(seed=7, days=10, jobs=60),
        faults=FaultConfig(latency_min=0.05, latency_max=0.05),
    )
    script = tmp_path / "ingest_once.py"
    script.write_text(ORPHAN_INGEST)
    proc = subprocess.Popen(
        [sys.executable, str(script), sim.base_url, str(tmp_path), SIM_USER, SIM_PASSWORD],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    children: list[int] = []
    while time.monotonic() < deadline and len(children) < 3:
        children = _children(proc.pid)
        time.sleep(0.1)
    try:
        assert len(children) >= 3, "two plan readers and the resource tracker were expected"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(c) for c in children):
        time.sleep(0.2)
    assert [c for c in children if _alive(c)] == []


# ------------------------------------------------------------------ 7. bounded settings


def test_backfill_and_lock_settings_are_bounded(tmp_path):
    with pytest.raises(ValueError, match="backfill_days must be within 0..3660"):
        IngestConfig.from_env({"RESYNC_BACKFILL_DAYS": "100000"})
    with pytest.raises(ValueError, match="lock_timeout_seconds"):
        make_cfg(tmp_path, lock_timeout_seconds=0)
    assert IngestConfig.from_env({"RESYNC_WAREHOUSE_LOCK_TIMEOUT_SECONDS": "20"}).lock_timeout_seconds == 20.0


def test_the_quarantine_table_exists_empty_after_a_clean_load(make_simulator, tmp_path):
    sim = make_simulator()
    cfg = make_cfg(tmp_path, backfill_days=1)
    report = run_tws_ingest(settings_for(sim), cfg)
    assert report.quarantine_open == 0 and open_items(cfg.warehouse_path, cfg.dataset) == []
    assert query(cfg, "select count(*) from tws_raw.quarantine") == [(0,)]


# ------------------------------------------------------------------ 8. plan ids as the spec shapes them


def test_uuid_plan_ids_poll_through_a_rollover_with_every_final_state(make_simulator, tmp_path):
    from resync_assets.sim.clock import ManualClock
    from tests.conftest import SIM_NOW
    from tests.ingest.conftest import loaded_runs, truth_runs

    day = SIM_NOW.replace(hour=22, minute=0, second=0)
    sim = make_simulator(clock=ManualClock(day), plan_ids="uuid")
    cfg = make_cfg(tmp_path, backfill_days=5)
    first = run_tws_ingest(settings_for(sim), cfg)
    today = sim.plan_uuid(day.date().isoformat())
    # Plan ids are not days: the backfill cannot ask for a day, so only the current plan is read.
    assert first.plans_loaded == [today] and first.requests < 40
    sim.clock.advance(4 * 3600)  # 02:00: the 22:00 plan is archived, known only by its id
    second = run_tws_ingest(settings_for(sim), cfg)
    tomorrow = sim.plan_uuid((day + dt.timedelta(days=1)).date().isoformat())
    assert second.plans_loaded == [tomorrow, today]

    plans = {today: day.date().isoformat(), tomorrow: (day + dt.timedelta(days=1)).date().isoformat()}
    truth = {k: t for k, t in truth_runs(sim).items() if t["plan_id"] in plans.values()}
    loaded = loaded_runs(cfg)
    assert set(loaded) == set(truth)
    assert {k: v[0] for k, v in loaded.items()} == {k: t["status"] for k, t in truth.items()}
    assert {k: plans[v[1]] for k, v in loaded.items()} == {k: t["plan_id"] for k, t in truth.items()}
    # The archived plan closes once its runs are final; it is not asked for again.
    sim.clock.advance(20 * 3600)
    run_tws_ingest(settings_for(sim), cfg)
    later = run_tws_ingest(settings_for(sim), cfg)
    assert today not in later.plans_loaded


def test_plans_are_ordered_by_their_own_times_not_their_ids():
    import pyarrow as pa

    from resync_assets.lib.ingest.source import _plan_key, plan_time

    older = pa.table({"sched_time": pa.array([dt.datetime(2026, 12, 4, 23, tzinfo=dt.UTC)])})
    newer = pa.table({"sched_time": pa.array([dt.datetime(2026, 12, 5, 1, tzinfo=dt.UTC), None])})
    times = {"ffff-old": plan_time(older), "0000-new": plan_time(newer)}
    assert _plan_key("0000-new", times) > _plan_key("ffff-old", times)

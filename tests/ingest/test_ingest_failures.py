"""Failures during ingestion: injected faults, a total outage, and a load killed mid-way (SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resync_assets.lib.ingest import IngestError, run_tws_ingest
from resync_assets.lib.tws import TwsError
from resync_assets.sim.clock import ManualClock
from resync_assets.sim.server import FaultConfig
from tests.conftest import SIM_NOW, SIM_PASSWORD, SIM_USER
from tests.ingest.conftest import loaded_runs, make_cfg, query, settings_for, table_snapshot, truth_runs

REPO = Path(__file__).resolve().parents[2]
TABLES = ("job_runs", "joblogs", "job_streams", "workstations")


def _assert_matches_truth(sim, cfg) -> None:
    truth = truth_runs(sim)
    loaded = loaded_runs(cfg)
    assert query(cfg, "select count(*) - count(distinct run_id) from tws_raw.job_runs")[0][0] == 0
    assert set(loaded) == set(truth)
    assert {k: v[0] for k, v in loaded.items()} == {k: t["status"] for k, t in truth.items()}
    assert query(cfg, "select count(*) - count(distinct run_id) from tws_raw.joblogs")[0][0] == 0
    failed = {k for k, v in loaded.items() if v[0] in ("ABEND", "FAIL", "ERROR")}
    assert {r[0] for r in query(cfg, "select run_id from tws_raw.joblogs")} == failed


def test_injected_faults_end_in_a_complete_correct_load(make_simulator, tmp_path):
    faults = FaultConfig(
        error_500=0.05, error_503=0.05, error_429=0.05, truncate=0.05, reset=0.05, retry_after=0, seed=3
    )
    sim = make_simulator(faults=faults)
    cfg = make_cfg(tmp_path, page_size=20)

    report = run_tws_ingest(settings_for(sim), cfg)

    assert report.retries > 0
    _assert_matches_truth(sim, cfg)


def test_a_total_outage_fails_clearly_and_leaves_the_tables_as_they_were(make_simulator, tmp_path):
    sim = make_simulator(clock=ManualClock(SIM_NOW.replace(hour=0, minute=0, second=1)))
    cfg = make_cfg(tmp_path)
    run_tws_ingest(settings_for(sim), cfg)
    before = {t: table_snapshot(cfg, t) for t in TABLES}
    sim.clock.advance(6 * 3600)  # there is something new to load
    sim.set_faults(FaultConfig(error_503=0.5, error_500=0.3, reset=0.2, retry_after=0))

    with pytest.raises(IngestError) as raised:
        run_tws_ingest(settings_for(sim, max_retries=1), cfg)

    assert isinstance(raised.value.cause, TwsError)
    assert "during extract" in str(raised.value) and "/twsd/api/v2/" in str(raised.value)
    assert SIM_PASSWORD not in str(raised.value)
    assert {t: table_snapshot(cfg, t) for t in TABLES} == before
    # Once the server is back, the next run catches up completely.
    sim.set_faults(None)
    run_tws_ingest(settings_for(sim), cfg)
    _assert_matches_truth(sim, cfg)


# Regression: killed right after dlt committed a normalized package, the re-run failed to normalize
# the extracted copy dlt had not deleted yet ("Directory not empty").
@pytest.mark.parametrize("kill_when", ["extracting", "normalized", "loading"])
def test_a_load_killed_mid_way_and_rerun_loses_and_duplicates_nothing(make_simulator, tmp_path, kill_when):
    # Slow answers stretch the run so the kill lands inside the step named. On a loaded machine the
    # kill can land after the step ended: the state left on disk says where it landed, and only a
    # kill inside the named step counts (a few attempts, each on a fresh warehouse).
    sim = make_simulator(faults=FaultConfig(latency_min=0.02, latency_max=0.05))
    landed = []
    for attempt in range(4):
        cfg = make_cfg(tmp_path / f"attempt{attempt}")
        where = _kill_ingest_in(sim, cfg, kill_when)
        landed.append(where)
        if where == kill_when:
            break
    else:
        pytest.fail(f"the kill never landed in {kill_when!r}: landed in {landed}")

    sim.set_faults(None)
    run_tws_ingest(settings_for(sim), cfg)

    _assert_matches_truth(sim, cfg)


STEPS = ("extracting", "normalized", "loading")


def _kill_ingest_in(sim, cfg, step: str) -> str:
    """Start `resync ingest run`, SIGKILL it once `step` is reached; return the step the state left on
    disk shows it was killed in (the last one reached, or "finished" when every package was loaded)."""
    env = {
        **os.environ,
        "RESYNC_TWS_BASE_URL": sim.base_url,
        "RESYNC_TWS_USER": SIM_USER,
        "RESYNC_TWS_PASSWORD": SIM_PASSWORD,
        "RESYNC_WAREHOUSE_PATH": str(cfg.warehouse_path),
        "RESYNC_LAKE_DIR": str(cfg.lake_dir),
        "RESYNC_PIPELINES_DIR": str(cfg.pipelines_dir),
        "RESYNC_BACKFILL_DAYS": str(cfg.backfill_days),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "resync_assets.cli", "ingest", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    work = cfg.pipelines_dir / cfg.pipeline_name
    try:
        while proc.poll() is None and not _reached(work, step):
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    reached = [s for s in STEPS if _reached(work, s)]
    if reached:
        return reached[-1]
    return "finished" if any((work / "load" / "loaded").glob("[0-9]*")) else "before extracting"


def _reached(work: Path, step: str) -> bool:
    if step == "extracting":
        # dlt writes an extract package in a temporary folder until extraction completes.
        return any(p.is_dir() for p in (work / "normalize").glob("*/[0-9]*"))
    if step == "normalized":
        return any((work / "load" / "normalized").glob("[0-9]*"))
    # Some tables of the package loaded, others not yet.
    return any((work / "load" / "normalized").glob("[0-9]*/completed_jobs/*"))

"""What the simulator plants over time (sim/planted.py) and its truth (sim/truth.py)."""

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest

from resync_assets.cli import main
from resync_assets.sim.clock import ManualClock
from resync_assets.sim.planted import runtime_multiplier
from resync_assets.sim.truth import planted_truth
from resync_assets.sim.workload import Workload, WorkloadConfig

END = date(2026, 5, 31)


def _workload(**kw) -> Workload:
    cfg = WorkloadConfig(seed=42, days=70, jobs=500, end_date=END, **kw)
    return Workload(cfg, ManualClock(datetime.combine(END, time.max, UTC)))


def _durations(wl: Workload, job_name: str, stream: str, days) -> list[float]:
    out = []
    for d in days:
        for s in wl.day(d).streams:
            for j in s.jobs:
                if j.jd.name == job_name and s.sd.name == stream:
                    out += [r.end - r.start for r in j.runs if r.status == "SUCC"]
    return out


def test_nothing_is_planted_by_default():
    wl = _workload()
    assert planted_truth(wl) == {"degradations": [], "host_thresholds": [], "shifts": []}
    assert all(runtime_multiplier(wl, i, END) == 1.0 for i in range(len(wl.topology.jobs)))


def test_planted_step_and_shift_show_in_the_runs():
    wl = _workload(plant=True, runtime_shift_day=END - timedelta(days=6))
    truth = planted_truth(wl)
    steps = [t for t in truth["degradations"] if t["kind"] == "runtime_step"]
    assert {t["kind"] for t in truth["degradations"]} == {
        "runtime_step",
        "creeping_runtime",
        "rising_failure",
    }
    step = steps[0]
    assert step["crosses_on"] == step["onset"] and 1.6 <= step["step_factor"] <= 2.0
    onset = step["onset"]
    before = _durations(
        wl, step["job_name"], step["job_stream_name"], [onset - timedelta(days=k) for k in range(1, 15)]
    )
    after = _durations(
        wl, step["job_name"], step["job_stream_name"], [onset + timedelta(days=k) for k in range(14)]
    )
    ratio = np.median(after) / np.median(before)
    assert ratio == pytest.approx(step["step_factor"], rel=0.3)
    assert truth["shifts"] == [{"day": END - timedelta(days=6), "kind": "runtime_shift", "factor": 1.3}]
    creep = next(t for t in truth["degradations"] if t["kind"] == "creeping_runtime")
    weeks = (creep["crosses_on"] - creep["onset"]).days / 7
    assert (1 + creep["weekly_growth"]) ** weeks == pytest.approx(1.5, rel=0.05)


def test_host_thresholds_truth():
    wl = _workload(plant=True)
    rows = planted_truth(wl)["host_thresholds"]
    hosts = {w.name for w in wl.topology.workstations if w.type != "POOL"}
    assert {r["workstation"] for r in rows} == hosts and len(rows) == 3 * len(hosts)
    planted = [r for r in rows if r["planted"]]
    assert planted and all(r["pp_per_week"] > 0 for r in planted)
    crossing = [r for r in planted if r["crosses_on"] is not None]
    assert crossing and all(r["crosses_on"] >= r["onset"] for r in crossing)
    assert any(r["crosses_on"] is None or r["crosses_on"] > END for r in rows)


def test_sim_truth_cli_writes_the_planted_tables(tmp_path, capsys):
    out = tmp_path / "truth.parquet"
    args = ["sim", "truth", "--seed", "5", "--days", "40", "--jobs", "200", "--end-date", "2026-05-31"]
    assert main([*args, "--plant", "--runtime-shift-day", "2026-05-20", "--out", str(out)]) == 0
    for name in ("degradations", "host_thresholds", "shifts"):
        assert (tmp_path / f"truth_{name}.parquet").exists()
    assert "planted degradations" in capsys.readouterr().out

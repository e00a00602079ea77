"""Failure modes name causes an operator recognises: on the simulator's world, each of the top 10
maps to one planted signature for >= 90 % of its runs, and none is a wrapper line."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from resync_assets.lib.patterns.joblogs import joblog_lines
from resync_assets.lib.rca.engine import analyze
from resync_assets.lib.rca.evaluation import is_wrapper_mode, top_mode_purity
from resync_assets.lib.rca.failure_modes import NO_SPECIFIC, failure_runs
from resync_assets.sim.clock import ManualClock
from resync_assets.sim.workload import Workload, WorkloadConfig

END = date(2025, 3, 14)


@pytest.fixture(scope="module")
def world():
    w = Workload(
        WorkloadConfig(seed=42, days=45, jobs=400, end_date=END),
        ManualClock(datetime(2025, 3, 15, tzinfo=UTC)),
    )
    truth = w.failure_truth()
    rows = []
    for t in truth:
        log = w.joblog(w.find_run(t.run_id))
        text = b"\n".join(log.lines).decode("utf-8", errors="replace") + "\n"
        rows.append((t.run_id, t.job_name, t.workstation, t.status, t.end, text))
    joblogs = pl.DataFrame(
        rows,
        schema={
            "run_id": pl.Utf8,
            "job_name": pl.Utf8,
            "workstation": pl.Utf8,
            "internal_status": pl.Utf8,
            "actual_end": pl.Datetime("us", "UTC"),
            "text": pl.Utf8,
        },
        orient="row",
    )
    return truth, joblogs, failure_runs(joblog_lines(joblogs), joblogs)


def test_top_failure_modes_map_to_one_planted_signature(world):
    truth, _, per_run = world
    assert len(per_run) == len(truth) >= 300
    modes = {r: (cluster_of(m["mode"]), m["display"]) for r, m in per_run.items()}
    top = top_mode_purity(modes, {t.run_id: t.signature_id for t in truth}, top=10)
    assert len(top) == 10
    for m in top:
        assert m["share"] >= 0.9, m
        assert not is_wrapper_mode(m["failure_mode"]), m
        assert m["failure_mode"] != NO_SPECIFIC, m


def test_failure_modes_and_analyses_name_the_same_line(world):
    truth, joblogs, per_run = world
    texts = dict(zip(joblogs["run_id"].to_list(), joblogs["text"].to_list()))
    same = 0
    for t in truth[:200]:
        a = analyze(texts[t.run_id])
        same += a.failure_mode == per_run[t.run_id]["display"]
    assert same / 200 >= 0.98


def cluster_of(mode: str) -> int:
    from resync_assets.lib.rca.failure_modes import cluster_id_of

    return cluster_id_of(mode)

"""The generated workload is deterministic and carries the planted statistical properties."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from resync_assets.sim.clock import ManualClock
from resync_assets.sim.failures import load_failures
from resync_assets.sim.workload import Workload, WorkloadConfig, _is_month_end

# Four month-ends, ~17 weeks: enough signal for the seasonality and trend checks.
STATS_CONFIG = WorkloadConfig(seed=11, days=120, jobs=200, cache_days=130)
STATS_NOW = datetime(2025, 4, 30, 23, 59, tzinfo=UTC)


@pytest.fixture(scope="module")
def stats_workload():
    return Workload(STATS_CONFIG, ManualClock(STATS_NOW))


@pytest.fixture(scope="module")
def all_runs(stats_workload):
    w = stats_workload
    runs = []
    d = w.start_date
    while d <= w.end_date:
        for s in w.day(d).streams:
            for j in s.jobs:
                runs.extend(j.runs)
        d += timedelta(days=1)
    return runs


@pytest.fixture(scope="module")
def truth(stats_workload, all_runs):
    return stats_workload.failure_truth()


def _clean_log_ratio(run) -> float:
    return math.log((run.end - run.start) / run.job.jd.baseline)


def _regular_success(run) -> bool:
    return run.status == "SUCC" and run.rerun_type == "REGULAR"


def test_same_seed_gives_identical_data():
    clock = ManualClock(datetime(2025, 3, 14, 10, tzinfo=UTC))
    a = Workload(WorkloadConfig(seed=5, days=4, jobs=80), clock)
    b = Workload(WorkloadConfig(seed=5, days=4, jobs=80), clock)
    for plan_id in a.plan_ids():
        assert a.runs(plan_id) == b.runs(plan_id)
    assert a.failure_truth() == b.failure_truth()


def _digest() -> str:
    """sha256 over every served job JSON and finished joblog of a small workload."""
    import hashlib

    from resync_assets.sim.render import Renderer
    from resync_assets.sim.views import PlanIndex

    w = Workload(WorkloadConfig(seed=5, days=3, jobs=60), ManualClock(datetime(2025, 3, 14, 10, tzinfo=UTC)))
    h = hashlib.sha256()
    for plan_id in w.plan_ids():
        d = w.resolve_plan(plan_id)
        idx = PlanIndex(w, Renderer(w.topology, 5), d, plan_id != w.plan_ids()[-1])
        for i in range(len(idx.jobs)):
            h.update(idx.job_bytes(i, w.as_of(d)))
            for r in idx.jobs[i].runs:
                if r.start is not None and r.end <= w.clock.timestamp():
                    h.update(b"".join(w.joblog(r).lines))
    return h.hexdigest()


def test_served_data_is_identical_across_processes():
    import os
    import subprocess
    import sys
    from pathlib import Path

    other = subprocess.run(
        [sys.executable, "-c", "from tests.sim.test_workload import _digest; print(_digest())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    ).stdout.strip()
    assert _digest() == other


def test_different_seed_gives_different_data():
    clock = ManualClock(datetime(2025, 3, 14, 10, tzinfo=UTC))
    a = Workload(WorkloadConfig(seed=5, days=2, jobs=80), clock).runs("2025-03-13")
    b = Workload(WorkloadConfig(seed=6, days=2, jobs=80), clock).runs("2025-03-13")
    assert {r["run_id"] for r in a}.isdisjoint({r["run_id"] for r in b})
    assert [r["job_name"] for r in a] != [r["job_name"] for r in b]


def test_a_day_is_generated_independently_of_the_others():
    clock = ManualClock(datetime(2025, 3, 14, 10, tzinfo=UTC))
    full = Workload(WorkloadConfig(seed=5, days=10, jobs=80, cache_days=1), clock)
    for d in [date(2025, 3, 5 + k) for k in range(5)]:
        full.day(d)
    alone = Workload(WorkloadConfig(seed=5, days=10, jobs=80), clock)
    target = date(2025, 3, 12)
    assert sorted(full.day(target).runs_by_id) == sorted(alone.day(target).runs_by_id)


def test_failure_rates_are_realistic(all_runs):
    counts = Counter(r.status for r in all_runs)
    n = len(all_runs)
    assert n > 15_000
    assert 0.02 <= counts["ABEND"] / n <= 0.045
    assert 0 < counts["FAIL"] / n < 0.005
    for status in ("SUCC", "ABEND", "FAIL", "CANCL", "SUPPR"):
        assert counts[status] > 0, status


def test_weekly_seasonality_mondays_slower_weekends_faster(all_runs):
    by_weekday = defaultdict(list)
    for r in all_runs:
        j = r.job
        if (
            _regular_success(r)
            and j.stream.sd.calendar == "DAILY"
            and not j.jd.trend_weekly
            and not _is_month_end(j.stream.day)
        ):
            by_weekday[j.stream.day.weekday()].append(_clean_log_ratio(r))
    mean = {k: sum(v) / len(v) for k, v in by_weekday.items()}
    midweek = (mean[1] + mean[2] + mean[3]) / 3
    assert mean[0] - midweek > 0.1  # Monday catches up the weekend
    assert midweek - (mean[5] + mean[6]) / 2 > 0.08


def test_month_end_peak(all_runs):
    groups = defaultdict(list)
    for r in all_runs:
        if _regular_success(r) and r.job.jd.month_end > 1.0 and r.job.stream.sd.calendar == "DAILY":
            groups[_is_month_end(r.job.stream.day)].append(_clean_log_ratio(r))
    uplift = sum(groups[True]) / len(groups[True]) - sum(groups[False]) / len(groups[False])
    assert math.exp(uplift) > 1.5


def test_planted_weekly_trend_is_recorded_and_visible(stats_workload, all_runs):
    trends = stats_workload.trend_jobs()
    assert trends, "no planted trend"
    for t in trends:
        xs, ys = [], []
        for r in all_runs:
            j = r.job
            if (
                j.jd.name == t["job_name"]
                and j.stream.sd.name == t["job_stream_name"]
                and _regular_success(r)
            ):
                xs.append((j.stream.day - stats_workload.start_date).days / 7)
                ys.append(math.log(r.end - r.start))
        assert len(xs) > 50
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        assert math.exp(slope) - 1 == pytest.approx(t["weekly_growth"], abs=0.02)


def test_ground_truth_covers_every_failed_run(truth, all_runs):
    failed = {r.id for r in all_runs if r.status in ("ABEND", "FAIL") and r.end <= STATS_NOW.timestamp()}
    assert {t.run_id for t in truth} == failed
    catalogue = load_failures().by_id
    for t in truth[:300]:
        sig = catalogue[t.signature_id]
        assert sig.family == t.family
        assert any(_variant_matches(v, t.error_line) for v in sig.templates), t.error_line
        assert t.error_line_number >= 1
        # The truth's entities are printed in the line.
        assert all(e in t.error_line for e in (*t.files, *t.hosts, *t.db_objects)), t
    for t in truth:
        if t.status == "ABEND":
            assert t.return_code == (catalogue[t.signature_id].typical_rc or 1)
        else:
            assert t.return_code is None


def _variant_matches(template: str, line: str) -> bool:
    import re

    parts = re.split(r"\{\w+\}", template)
    # A logger may prefix the tool's message (timestamp, level, job).
    return re.fullmatch(".*?" + ".+?".join(re.escape(p) for p in parts), line) is not None


def test_error_lines_are_parameterised(truth):
    by_sig = defaultdict(set)
    for t in truth:
        by_sig[t.signature_id].add(t.error_line)
    varied = [s for s, lines in by_sig.items() if len(lines) > 1]
    assert len(varied) >= 10


def test_correlated_and_recurring_incidents_have_truth(truth):
    by_incident = defaultdict(set)
    for t in truth:
        by_incident[t.incident_id].add(t.job_name)
    assert any(len(jobs) >= 3 for jobs in by_incident.values()), "no incident hitting several jobs"
    recurring = [t for t in truth if t.is_recurring]
    assert recurring
    by_problem = defaultdict(set)
    for t in recurring:
        by_problem[(t.problem_id, t.job_name)].add(t.plan_id)
    assert any(len(days) >= 2 for days in by_problem.values()), "no problem recurring on several days"
    for days in by_problem.values():
        ordered = sorted(days)
        gaps = [(date.fromisoformat(b) - date.fromisoformat(a)).days for a, b in itertools.pairwise(ordered)]
        assert all(g >= 14 for g in gaps)


def test_transient_failures_mostly_recover_on_automatic_rerun(all_runs):
    outcomes = Counter()
    for r in all_runs:
        if r.rerun_type == "RECOVERY_RERUN" and r.attempt == 2:
            prev = r.job.runs[0]
            if (
                prev.failure is not None
                and prev.failure.signature.transient
                and prev.failure.incident_id.startswith("INC-")
                and not prev.failure.is_recurring
            ):
                outcomes[r.status] += 1
    assert outcomes["SUCC"] > outcomes["ABEND"]


def test_failure_truth_table_schema():
    w = Workload(WorkloadConfig(seed=7, days=3, jobs=60), ManualClock(datetime(2025, 3, 14, 10, tzinfo=UTC)))
    table = w.failure_truth_table()
    assert table.num_rows == len(w.failure_truth())
    assert {
        "run_id",
        "signature_id",
        "error_line_number",
        "incident_id",
        "is_recurring",
        "files",
        "hosts",
        "db_objects",
    } <= set(table.column_names)

"""Simulated host metrics follow the workload and the host-metrics contract."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from resync_assets.sim.clock import ManualClock
from resync_assets.sim.hostmetrics import SCHEMA, host_day_rows
from resync_assets.sim.workload import Workload, WorkloadConfig


@pytest.fixture(scope="module")
def workload():
    return Workload(
        WorkloadConfig(seed=11, days=60, jobs=200, incident_rate=0.5, cache_days=64),
        ManualClock(datetime(2025, 4, 30, 23, 59, tzinfo=UTC)),
    )


def test_table_follows_the_contract(workload):
    d = workload.end_date - timedelta(days=1)
    table = pa.table(host_day_rows(workload, d), schema=SCHEMA)
    hosts = {w.host for w in workload.topology.workstations if w.type != "POOL"}
    assert set(table.column("host").to_pylist()) == hosts
    assert table.num_rows == len(hosts) * 144
    assert set(table.column("source").to_pylist()) == {"simulator"}
    row = table.slice(0, 1).to_pylist()[0]
    assert row["process_rss_bytes"] is None
    assert row["disk_percent"] == max(d["percent"] for d in row["disks"])
    assert row["cpu_health"] in ("HEALTHY", "DEGRADED", "UNHEALTHY")


def test_cpu_follows_running_jobs(workload):
    d = workload.end_date - timedelta(days=2)
    cols = host_day_rows(workload, d)
    by_host: dict[str, list[float]] = {}
    for host, cpu in zip(cols["host"], cols["cpu_percent"]):
        by_host.setdefault(host, []).append(cpu)
    busiest = max(by_host.values(), key=lambda v: np.std(v))
    assert max(busiest) - min(busiest) > 20  # busy batch hours stand out from idle ones


def test_disk_grows_with_the_backup_trend(workload):
    trend_ws = {workload.topology.workstation(t["workstation"]) for t in workload.trend_jobs()}
    hosts = {workload.topology.workstation(m).host for w in trend_ws for m in (w.members or (w.name,))}
    first = host_day_rows(workload, workload.start_date)
    last = host_day_rows(workload, workload.end_date - timedelta(days=1))

    def data_percent(cols, host):
        values = [d[1]["percent"] for h, d in zip(cols["host"], cols["disks"]) if h == host]
        return sum(values) / len(values)

    assert any(data_percent(last, h) - data_percent(first, h) > 5 for h in hosts)


def test_disk_full_incident_shows_on_the_host(workload):
    for k in range(60):
        d = workload.start_date + timedelta(days=k)
        for inc in workload.incidents(d):
            if inc["kind"] == "disk_full":
                host = workload.topology.workstation(inc["target"]).host
                cols = host_day_rows(workload, d)
                peak = max(p for h, p in zip(cols["host"], cols["disk_percent"]) if h == host)
                assert peak >= 99
                return
    pytest.fail("no disk-full incident planted")


def test_filesystems_keep_their_fill_level_from_day_to_day(workload):
    # Files stay until deleted: without a planted ramp or an incident, a host's data filesystem moves
    # by about a point a day, not by a fresh draw (35-60 %) every day.
    from resync_assets.sim.hostmetrics import host_day_arrays

    first = host_day_arrays(workload, workload.start_date, ramps=False)
    nxt = host_day_arrays(workload, workload.start_date + timedelta(days=1), ramps=False)
    hosts = [w.name for w in workload.topology.workstations if w.type != "POOL"]
    moves = [abs(float(np.median(nxt[h]["data_pct"]) - np.median(first[h]["data_pct"]))) for h in hosts]
    assert max(moves) < 1.5, moves
    levels = [float(np.median(first[h]["data_pct"])) for h in hosts]
    assert max(levels) - min(levels) > 5  # hosts still differ from one another


def test_memory_and_idle_cpu_keep_their_level_from_day_to_day(workload):
    # What a host's resident services hold, and its idle load, persist: the quiet hours' memory moves
    # by about a point from day to day (drawn afresh in 28-45 % it moved ~6 on average), while hosts
    # still differ from one another.
    from resync_assets.sim.hostmetrics import host_day_arrays

    hosts = [w.name for w in workload.topology.workstations if w.type != "POOL"]
    days = [host_day_arrays(workload, workload.start_date + timedelta(days=k), ramps=False) for k in range(8)]

    def quiet(day, h, res):
        return float(np.quantile(day[h][res], 0.1))  # the low decile: idle, not job peaks

    for res, limit in (("memory", 2.5), ("cpu", 2.5)):
        moves = [abs(quiet(b, h, res) - quiet(a, h, res)) for a, b in itertools.pairwise(days) for h in hosts]
        assert float(np.mean(moves)) < limit, (res, moves)
    levels = [quiet(days[0], h, "memory") for h in hosts]
    assert max(levels) - min(levels) > 5

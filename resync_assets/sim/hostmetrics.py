"""Simulated host resource history, correlated with the workload each host runs.

CPU and memory follow the number of jobs executing on the host (busy batch hours show up), disk usage
grows with planted backup trends and jumps to ~100 % during a planted "disk full" incident. Rows follow
the host-metrics Parquet contract of docs/DATA_CONTRACTS.md with `source='simulator'`.
"""

from __future__ import annotations

import os
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from resync_assets.common.host_metrics import HOST_METRICS_SCHEMA, health_state
from resync_assets.sim.planted import host_ramp
from resync_assets.sim.workload import Workload, _epoch

# One schema for every writer of host-metric files: the collector's.
SCHEMA = HOST_METRICS_SCHEMA

_GB = 1024**3


def _hosts(workload: Workload):
    return [w for w in workload.topology.workstations if w.type != "POOL"]


# Percentage points of /data per week per unit of weekly runtime trend of the host's backup jobs:
# a job whose backups grow 5 %/week adds 1 point a week (its backups are a share of the disk, not
# all of it; at 3 points a week the demo's disks sat at 100 % for its last month).
DISK_PP_PER_TREND = 20.0


def backup_growth(workload: Workload, workstation: str) -> float:
    """Sum of the weekly runtime trends of the jobs that run on `workstation` (pools: their members)."""
    total = 0.0
    for jd in workload.topology.trend_jobs():
        ws = workload.topology.workstation(jd.workstation)
        if workstation in (ws.members or (ws.name,)):
            total += jd.trend_weekly
    return total


def host_day_arrays(
    workload: Workload, d: date, interval_minutes: int = 10, until: float | None = None, *, ramps: bool = True
) -> dict:
    """The numeric samples of every host on day `d`: {"_times": epoch seconds, <workstation>: {"cpu",
    "memory", "disk" (max of / and /data), and the series `host_day_rows` turns into rows}}.
    `ramps=False`: the same day without the planted ramps (the truth's baseline)."""
    if interval_minutes < 1:
        raise ValueError("interval_minutes must be >= 1")
    step = interval_minutes * 60
    day0 = _epoch(d)
    n = 86400 // step
    times = day0 + np.arange(n) * step
    if until is not None:
        times = times[times <= until]
        n = len(times)
    hosts = _hosts(workload)
    busy = {w.name: np.zeros(n) for w in hosts}
    io = {w.name: np.zeros(n) for w in hosts}
    backup_days: dict[str, float] = {}
    streams = workload.plan_streams(d) if d >= workload.start_date else workload.day(d).streams
    for s in streams:
        for j in s.jobs:
            for r in j.runs:
                if r.start is None or r.end <= r.start:
                    continue
                ws = r.actual_ws or j.jd.workstation
                if ws not in busy:
                    continue
                lo = int(max(0, (r.start - day0) // step))
                hi = int(min(n, (r.end - day0) // step + 1))
                if hi <= lo:
                    continue
                weight = {
                    "backup": 1.6,
                    "oracle": 1.0,
                    "db2": 1.0,
                    "java": 1.3,
                    "report": 0.8,
                    "transfer": 0.4,
                    "postgres": 0.9,
                    "shell": 0.3,
                }.get(j.jd.kind, 0.5)
                busy[ws][lo:hi] += weight
                io[ws][lo:hi] += weight * (3.0 if j.jd.kind in ("backup", "transfer") else 1.0)
    # Disk growth follows the planted backup trends of the jobs a host runs.
    for name in busy:
        backup_days[name] = backup_growth(workload, name)
    incidents = workload.incidents(d)
    weeks = (d - workload.start_date).days / 7.0
    out: dict = {"_times": times}
    for w in hosts:
        rng = random.Random(f"hostmetrics:{workload.config.seed}:{w.name}:{d.isoformat()}")
        # A host keeps its levels from day to day: filesystems their fill (files stay until deleted),
        # memory what its resident services hold, CPU its idle load; each day moves the latter two a
        # little. (Memory drawn afresh in 28-45 % every day swung the daily p95 by +-5 points overnight.)
        fs = random.Random(f"hostfs:{workload.config.seed}:{w.name}")
        data_level, root_level = fs.uniform(35, 60), fs.uniform(20, 45)
        idle_cpu, resident_mem = fs.uniform(3, 12), fs.uniform(28, 45)
        nrng = np.random.default_rng(rng.getrandbits(64))
        cores = w.cores
        base_cpu = max(0.5, idle_cpu + rng.gauss(0, 1.0))
        # Planted ramps (sim/planted.py; zero unless the config plants them).
        ramp = {
            res: host_ramp(workload, w.name, res, d) if ramps else 0.0 for res in ("cpu", "memory", "disk")
        }
        cpu = np.clip(
            base_cpu + ramp["cpu"] + busy[w.name] * (55.0 / cores) * 2 + nrng.normal(0, 2.5, n), 0.5, 100.0
        )
        per_core = np.clip(cpu[:, None] + nrng.normal(0, 6, (n, cores)), 0.0, 100.0)
        mem = np.clip(
            resident_mem + rng.gauss(0, 1.0) + ramp["memory"] + busy[w.name] * 6 + nrng.normal(0, 1.5, n),
            5,
            99.5,
        )
        growth = backup_days.get(w.name, 0.0)
        data_base = data_level + rng.uniform(-0.5, 0.5) + ramp["disk"]
        data_pct = (
            data_base + (growth * DISK_PP_PER_TREND * weeks if growth else 0.0) + np.linspace(0, 0.3, n)
        )
        data_pct = data_pct + nrng.normal(0, 0.05, n)
        for inc in incidents:
            if inc["kind"] == "disk_full" and inc["target"] == w.name:
                window = (times >= inc["start_ts"] - 1800) & (times < inc["end_ts"])
                data_pct = np.where(window, np.maximum(data_pct, 99.2 + nrng.uniform(0, 0.8, n)), data_pct)
        data_pct = np.clip(data_pct, 1, 100)
        root_pct = np.clip(root_level + rng.uniform(-0.2, 0.2) + nrng.normal(0, 0.05, n), 1, 100)
        out[w.name] = {
            "cpu": cpu,
            "per_core": per_core,
            "memory": mem,
            "data_pct": data_pct,
            "root_pct": root_pct,
            "disk": np.maximum(data_pct, root_pct),
            "load1": cpu / 100 * cores + nrng.uniform(0, 0.3, n),
            "rd": io[w.name] * 8e6 + nrng.uniform(1e4, 5e5, n),
            "wr": io[w.name] * 6e6 + nrng.uniform(1e4, 3e5, n),
            "tx": io[w.name] * 2e6 + nrng.uniform(5e3, 1e5, n),
            "rx": io[w.name] * 3e6 + nrng.uniform(5e3, 1e5, n),
        }
    return out


def host_day_rows(
    workload: Workload, d: date, interval_minutes: int = 10, until: float | None = None
) -> dict:
    """Column dict (contract layout) of every host's samples on day `d` (only samples up to `until`)."""
    arrays = host_day_arrays(workload, d, interval_minutes, until)
    times = arrays["_times"]
    n = len(times)
    cols: dict[str, list] = {f.name: [] for f in SCHEMA}
    for w in _hosts(workload):
        a = arrays[w.name]
        cpu, per_core, mem = a["cpu"], a["per_core"], a["memory"]
        data_pct, root_pct = a["data_pct"], a["root_pct"]
        mem_total = w.memory_gb * _GB
        data_total = w.disk_gb * _GB
        root_total = 50 * _GB
        swap = np.clip((mem - 85) * 2, 0, 100)
        load1, rd, wr, tx, rx = a["load1"], a["rd"], a["wr"], a["tx"], a["rx"]
        for k in range(n):
            dp = float(data_pct[k])
            rp = float(root_pct[k])
            cols["host"].append(w.host)
            cols["ts"].append(datetime.fromtimestamp(float(times[k]), UTC))
            cols["source"].append("simulator")
            cols["cpu_percent"].append(round(float(cpu[k]), 2))
            cols["cpu_per_core"].append([round(float(x), 2) for x in per_core[k]])
            cols["load_1m"].append(round(float(load1[k]), 2))
            cols["load_5m"].append(round(float(load1[max(0, k - 1) : k + 1].mean()), 2))
            cols["load_15m"].append(round(float(load1[max(0, k - 2) : k + 1].mean()), 2))
            cols["memory_percent"].append(round(float(mem[k]), 2))
            cols["memory_used_bytes"].append(int(mem_total * mem[k] / 100))
            cols["memory_total_bytes"].append(int(mem_total))
            cols["swap_percent"].append(round(float(swap[k]), 2))
            cols["disk_percent"].append(round(max(dp, rp), 2))
            cols["disks"].append(
                [
                    {
                        "mount": "/",
                        "total_bytes": root_total,
                        "used_bytes": int(root_total * rp / 100),
                        "percent": round(rp, 2),
                    },
                    {
                        "mount": "/data",
                        "total_bytes": data_total,
                        "used_bytes": int(data_total * dp / 100),
                        "percent": round(dp, 2),
                    },
                ]
            )
            cols["disk_read_bytes_per_s"].append(float(rd[k]))
            cols["disk_write_bytes_per_s"].append(float(wr[k]))
            cols["net_sent_bytes_per_s"].append(float(tx[k]))
            cols["net_recv_bytes_per_s"].append(float(rx[k]))
            cols["process_rss_bytes"].append(None)
            cols["cpu_health"].append(health_state(float(cpu[k])))
            cols["memory_health"].append(health_state(float(mem[k])))
            cols["disk_health"].append(health_state(max(dp, rp)))
    return cols


def host_metrics_table(workload: Workload, start: date, end: date, interval_minutes: int = 10) -> pa.Table:
    """All hosts' samples from `start` to `end` (inclusive; the current day only up to the clock)."""
    now = workload.clock.timestamp()
    tables = []
    d = start
    while d <= end:
        if _epoch(d) > now:
            break
        cols = host_day_rows(workload, d, interval_minutes, until=now)
        tables.append(pa.table(cols, schema=SCHEMA))
        d += timedelta(days=1)
    if not tables:
        return SCHEMA.empty_table()
    return pa.concat_tables(tables)


def write_host_metrics(
    workload: Workload,
    root: str | os.PathLike,
    interval_minutes: int = 10,
    start: date | None = None,
    end: date | None = None,
) -> list[Path]:
    """Write `root/host=<host>/date=<day>/<yyyymmddThhmmss>-<uuid8>.parquet` files (atomic renames)."""
    root = Path(root)
    now = workload.clock.timestamp()
    written = []
    d = start or workload.start_date
    last = end or workload.current_date()
    while d <= last and _epoch(d) <= now:
        table = pa.table(host_day_rows(workload, d, interval_minutes, until=now), schema=SCHEMA)
        for host in sorted(set(table.column("host").to_pylist())):
            part = table.filter(pc.equal(table.column("host"), host))
            folder = root / f"host={host}" / f"date={d.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            first = part.column("ts")[0].as_py()
            name = (
                f"{first:%Y%m%dT%H%M%S}-{uuid.UUID(int=random.Random(f'{host}{d}').getrandbits(128)).hex[:8]}"
            )
            tmp = folder / f".{name}.parquet.tmp"
            pq.write_table(part, tmp)
            os.replace(tmp, folder / f"{name}.parquet")
            written.append(folder / f"{name}.parquet")
        d += timedelta(days=1)
    return written

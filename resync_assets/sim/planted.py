"""What the simulator plants over time, for grading forecasts, alerts and the drift monitor.

Opt-in (`WorkloadConfig.plant`, off by default so existing worlds stay as they were):

* host growth: per host and resource (cpu, memory, disk) a linear ramp of `pp_per_week` percentage
  points from an onset day, added to the samples (`hostmetrics`);
* job degradations on daily / weekday jobs: `runtime_step` (× factor from the onset),
  `creeping_runtime` (+g per week from the onset), `rising_failure` (+Δ ABEND probability per week);
* a runtime shift (`WorkloadConfig.runtime_shift_day`, any config): every job runs
  `1 + runtime_shift` times longer from that day on.

All of it is a pure function of the seed and the topology. The truth tables say when each planted
change crosses the line the product is meant to warn about: a host resource's threshold (the first
day its expected daily p95 - the weekday's median over the whole window without the ramps, plus the
ramp - reaches it; None when not within two years; `already` when the level was over it before), a job's
runtime band (+50 % over its baseline) or failure limit (20 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from resync_assets.sim.topology import make_id

THRESHOLDS = {"cpu": 95.0, "memory": 95.0, "disk": 90.0}
RUNTIME_BAND = 0.5
FAILURE_LIMIT = 0.2
RESOURCES = ("cpu", "memory", "disk")


@dataclass(frozen=True)
class Degradation:
    """A planted job degradation."""

    job_idx: int
    kind: str  # runtime_step | creeping_runtime | rising_failure
    onset: date
    step_factor: float = 1.0
    weekly_growth: float = 0.0
    failure_per_week: float = 0.0


@dataclass(frozen=True)
class HostGrowth:
    """A planted linear ramp of one resource of one host."""

    workstation: str
    resource: str
    onset: date
    pp_per_week: float


def _u(seed: int, *parts) -> float:
    """A deterministic uniform number in [0, 1) from the seed and `parts`."""
    return int(make_id(seed, "planted", *parts)[:8], 16) / 0x100000000


def _window_offset(workload, lo: float, hi: float, *parts) -> date:
    span = workload.config.days
    return workload.start_date + timedelta(
        days=int(span * (lo + (hi - lo) * _u(workload.config.seed, *parts)))
    )


def degradations(workload) -> dict[int, Degradation]:
    """Planted degradations by job index (empty unless `config.plant`)."""
    if not workload.config.plant:
        return {}
    topo = workload.topology
    seed = workload.config.seed
    out = {}
    kinds = ("runtime_step", "creeping_runtime", "rising_failure")
    for idx, jd in enumerate(topo.jobs):
        sd = topo.streams[jd.stream_idx]
        if jd.every_minutes or jd.trend_weekly or sd.calendar not in ("DAILY", "WEEKDAYS"):
            continue
        if _u(seed, "degrade", idx) >= workload.config.plant_job_share:
            continue
        kind = kinds[int(_u(seed, "kind", idx) * 3)]
        onset = _window_offset(workload, 0.35, 0.6, "onset", idx)
        r = _u(seed, "rate", idx)
        out[idx] = Degradation(
            idx,
            kind,
            onset,
            step_factor=1.6 + 0.4 * r if kind == "runtime_step" else 1.0,
            weekly_growth=0.06 + 0.04 * r if kind == "creeping_runtime" else 0.0,
            failure_per_week=0.025 + 0.015 * r if kind == "rising_failure" else 0.0,
        )
    return out


def runtime_multiplier(workload, job_idx: int, d: date) -> float:
    """Planted runtime factor of a job on day `d` (degradation × shift)."""
    m = 1.0
    cfg = workload.config
    if cfg.runtime_shift_day is not None and d >= cfg.runtime_shift_day:
        m *= 1.0 + cfg.runtime_shift
    deg = workload._degradations.get(job_idx)
    if deg is None or d < deg.onset:
        return m
    if deg.kind == "runtime_step":
        return m * deg.step_factor
    if deg.kind == "creeping_runtime":
        return m * (1.0 + deg.weekly_growth) ** ((d - deg.onset).days / 7.0)
    return m


def extra_abend(workload, job_idx: int, d: date) -> float:
    """Planted extra ABEND probability of a job on day `d`."""
    deg = workload._degradations.get(job_idx)
    if deg is None or deg.kind != "rising_failure" or d < deg.onset:
        return 0.0
    return deg.failure_per_week * (d - deg.onset).days / 7.0


def host_growth(workload) -> dict[tuple[str, str], HostGrowth]:
    """Planted ramps by (workstation, resource) (empty unless `config.plant`)."""
    if not workload.config.plant:
        return {}
    seed = workload.config.seed
    out = {}
    for w in workload.topology.workstations:
        if w.type == "POOL":
            continue
        for res in RESOURCES:
            if _u(seed, "host", w.name, res) >= workload.config.plant_host_share:
                continue
            onset = _window_offset(workload, 0.2, 0.35, "hostonset", w.name, res)
            rate = 1.5 + 2.5 * _u(seed, "hostrate", w.name, res)
            out[(w.name, res)] = HostGrowth(w.name, res, onset, rate)
    return out


def host_ramp(workload, workstation: str, resource: str, d: date) -> float:
    """Percentage points added to a host resource on day `d`."""
    g = workload._host_growth.get((workstation, resource))
    if g is None or d < g.onset:
        return 0.0
    return g.pp_per_week * (d - g.onset).days / 7.0


def daily_p95(values: np.ndarray, samples_per_hour: int) -> float:
    """The day's p95 of hourly p95s (as `agg_host_metrics__hourly` then the forecast input do)."""
    n = len(values) // samples_per_hour * samples_per_hour
    hourly = np.quantile(values[:n].reshape(-1, samples_per_hour), 0.95, axis=1)
    return float(np.quantile(hourly, 0.95))


def _creep_cross(deg: Degradation) -> date:
    weeks = math.log1p(RUNTIME_BAND) / math.log1p(deg.weekly_growth)
    return deg.onset + timedelta(days=math.ceil(weeks * 7))


def degradation_truth(workload) -> list[dict]:
    """One row per planted degradation: job, kind, onset, rate and the day it crosses its line."""
    topo = workload.topology
    rows = []
    for idx, deg in sorted(workload._degradations.items()):
        jd = topo.jobs[idx]
        if deg.kind == "runtime_step":
            cross = deg.onset
        elif deg.kind == "creeping_runtime":
            cross = _creep_cross(deg)
        else:
            base = jd.abend_p * workload.config.abend_scale
            weeks = max(0.0, (FAILURE_LIMIT - base) / deg.failure_per_week)
            cross = deg.onset + timedelta(days=math.ceil(weeks * 7))
        rows.append(
            {
                "job_name": jd.name,
                "job_stream_name": topo.streams[jd.stream_idx].name,
                "folder": jd.folder,
                "workstation": jd.workstation,
                "kind": deg.kind,
                "onset": deg.onset,
                "step_factor": deg.step_factor,
                "weekly_growth": deg.weekly_growth,
                "failure_per_week": deg.failure_per_week,
                "crosses_on": cross,
            }
        )
    return rows


def shift_truth(workload) -> list[dict]:
    """The planted runtime shift, if any."""
    cfg = workload.config
    if cfg.runtime_shift_day is None:
        return []
    return [{"day": cfg.runtime_shift_day, "kind": "runtime_shift", "factor": 1.0 + cfg.runtime_shift}]

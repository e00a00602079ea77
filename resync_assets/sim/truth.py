"""Ground truth of what the simulator plants over time (see `planted`), for tests and benchmarks.

`planted_truth(workload)`: the planted job degradations (and the day each crosses its line), per host
and resource the planted ramp and the day its threshold is crossed, and the runtime shift.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np

from resync_assets.sim.hostmetrics import DISK_PP_PER_TREND, backup_growth, host_day_arrays
from resync_assets.sim.planted import RESOURCES, THRESHOLDS, daily_p95, degradation_truth, shift_truth
from resync_assets.sim.workload import Workload


def planted_truth(workload: Workload) -> dict:
    """Degradations, host thresholds and shifts planted in `workload` (lists of dict rows)."""
    return {
        "degradations": degradation_truth(workload),
        "host_thresholds": host_truth(workload) if workload._host_growth else [],
        "shifts": shift_truth(workload),
    }


def host_truth(workload: Workload, interval_minutes: int = 10) -> list[dict]:
    """One row per host and resource: planted ramp (or none), baseline level per weekday and the day
    the expected daily p95 crosses the threshold (None: not within two years of the onset)."""
    per_hour = 60 // interval_minutes
    rows = []
    hosts = [w for w in workload.topology.workstations if w.type != "POOL"]
    ramps = workload._host_growth
    # Baseline: the expected daily p95 per weekday without the ramps, the median over every day of
    # the window (robust to disk-full days). (The 4 days per weekday of the 28 days before the first onset made the busiest
    # weekday's level a maximum of noisy medians: the truth crossed 1-1.5 weeks early.)
    start, end = workload.start_date, workload.end_date
    levels: dict[tuple[str, str], list[list[float]]] = {}
    d = start
    while d < end:
        arrays = host_day_arrays(workload, d, interval_minutes, ramps=False)
        for w in hosts:
            for res in RESOURCES:
                levels.setdefault((w.name, res), [[] for _ in range(7)])[d.weekday()].append(
                    daily_p95(arrays[w.name][res], per_hour)
                )
        d += timedelta(days=1)
    first_onset = min((g.onset for g in ramps.values()), default=start + timedelta(days=28))
    for w in hosts:
        for res in RESOURCES:
            thr = THRESHOLDS[res]
            by_wd = [float(np.median(v)) if v else float("nan") for v in levels.get((w.name, res), [[]] * 7)]
            g = ramps.get((w.name, res))
            # Disks of hosts with growing backups grow already: the baseline is the window's middle.
            drift = DISK_PP_PER_TREND * backup_growth(workload, w.name) if res == "disk" else 0.0
            mid = start + (end - start) / 2
            already = bool(np.nanmax(by_wd) >= thr) if not all(math.isnan(x) for x in by_wd) else False
            cross = None
            if (g is not None or drift > 0) and not already:
                begin = g.onset if g is not None else first_onset
                rate = g.pp_per_week if g is not None else 0.0
                for k in range(730):
                    day = begin + timedelta(days=k)
                    level = by_wd[day.weekday()] + drift * (day - mid).days / 7.0
                    if level + rate * k / 7.0 >= thr:
                        cross = day
                        break
            rows.append(
                {
                    "workstation": w.name,
                    "host": w.host,
                    "resource": res,
                    "threshold": thr,
                    "planted": g is not None,
                    "onset": g.onset if g else None,
                    "pp_per_week": g.pp_per_week if g else 0.0,
                    "background_pp_per_week": drift,
                    "baseline_p95": float(np.nanmedian(by_wd)),
                    "already_over": already,
                    "crosses_on": cross,
                }
            )
    return rows

"""Raw host readings and their pure conversion into one host-metrics contract row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from resync_assets.common.host_metrics import SOURCE_COLLECTOR, health_state


@dataclass(frozen=True)
class DiskUsage:
    """Space on one mounted filesystem, in bytes."""

    mount: str
    total_bytes: int
    used_bytes: int
    free_bytes: int

    @property
    def percent(self) -> float:
        """Used share of the space available to ordinary users, like `df` and psutil.

        The denominator is used + free rather than total because root-reserved blocks cannot be
        used by the scheduler's jobs: a filesystem is full for them before used == total.
        """
        usable = self.used_bytes + self.free_bytes
        return self.used_bytes / usable * 100.0 if usable > 0 else 0.0


@dataclass(frozen=True)
class Readings:
    """One raw reading of a host, as plain values (build it by hand in tests).

    `monotonic` is the monotonic clock in seconds when the cumulative I/O counters were read; rates
    are deltas of those counters over the difference of two readings' `monotonic`. A counter is None
    when the platform does not provide it.
    """

    monotonic: float
    cpu_percent: float = 0.0
    cpu_per_core: tuple[float, ...] = ()
    load_1m: float = 0.0
    load_5m: float = 0.0
    load_15m: float = 0.0
    memory_total_bytes: int = 0
    memory_used_bytes: int = 0
    swap_total_bytes: int = 0
    swap_used_bytes: int = 0
    disks: tuple[DiskUsage, ...] = ()
    disk_read_bytes: int | None = None
    disk_write_bytes: int | None = None
    net_sent_bytes: int | None = None
    net_recv_bytes: int | None = None
    process_rss_bytes: int | None = None


def counter_rate(current: int | None, previous: int | None, elapsed_s: float) -> float | None:
    """Bytes per second between two readings of a cumulative counter.

    Returns None when the rate cannot be known: a counter is missing, no time has passed, or the
    counter went backwards (an interface or disk reset it; its true delta is unknowable, and a
    negative or invented rate would be worse than a gap).
    """
    if current is None or previous is None or elapsed_s <= 0:
        return None
    delta = current - previous
    if delta < 0:
        return None
    return delta / elapsed_s


def _percent(used: int, total: int) -> float | None:
    return used / total * 100.0 if total > 0 else None


def build_sample(
    readings: Readings,
    previous: Readings | None,
    host: str,
    ts: dt.datetime,
    source: str = SOURCE_COLLECTOR,
) -> dict:
    """Turn a reading (and the previous one, for I/O rates) into one host-metrics contract row.

    `ts` must be timezone-aware; it is stored in UTC. Rates are None without a previous reading.
    `disk_percent` is the fullest mount's percentage, so one full filesystem makes the host's disk
    health DEGRADED or UNHEALTHY. A host with no swap reports swap_percent 0.0.
    """
    if not host:
        raise ValueError("host must be a non-empty name")
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError("ts must be timezone-aware")
    ts = ts.astimezone(dt.UTC)

    if previous is None:
        elapsed = 0.0
        prev = Readings(monotonic=readings.monotonic)
    else:
        elapsed = readings.monotonic - previous.monotonic
        prev = previous

    memory_percent = _percent(readings.memory_used_bytes, readings.memory_total_bytes)
    swap_percent = _percent(readings.swap_used_bytes, readings.swap_total_bytes)
    disks = [
        {
            "mount": d.mount,
            "total_bytes": int(d.total_bytes),
            "used_bytes": int(d.used_bytes),
            "percent": d.percent,
        }
        for d in readings.disks
    ]
    disk_percent = max((d["percent"] for d in disks), default=None)
    cpu_percent = float(readings.cpu_percent)

    return {
        "host": host,
        "ts": ts,
        "source": source,
        "cpu_percent": cpu_percent,
        "cpu_per_core": [float(c) for c in readings.cpu_per_core],
        "load_1m": float(readings.load_1m),
        "load_5m": float(readings.load_5m),
        "load_15m": float(readings.load_15m),
        "memory_percent": memory_percent,
        "memory_used_bytes": int(readings.memory_used_bytes),
        "memory_total_bytes": int(readings.memory_total_bytes),
        "swap_percent": 0.0 if swap_percent is None else swap_percent,
        "disk_percent": disk_percent,
        "disks": disks,
        "disk_read_bytes_per_s": counter_rate(readings.disk_read_bytes, prev.disk_read_bytes, elapsed),
        "disk_write_bytes_per_s": counter_rate(readings.disk_write_bytes, prev.disk_write_bytes, elapsed),
        "net_sent_bytes_per_s": counter_rate(readings.net_sent_bytes, prev.net_sent_bytes, elapsed),
        "net_recv_bytes_per_s": counter_rate(readings.net_recv_bytes, prev.net_recv_bytes, elapsed),
        "process_rss_bytes": readings.process_rss_bytes,
        "cpu_health": health_state(cpu_percent),
        "memory_health": health_state(memory_percent),
        "disk_health": health_state(disk_percent),
    }

"""Builders for host-metrics rows and readings used across the metrics tests."""

import datetime as dt

import pytest

from resync_assets.lib.metrics import DiskUsage, Readings, build_sample

T0 = dt.datetime(2026, 11, 26, 8, 0, 0, tzinfo=dt.UTC)


def make_readings(monotonic: float = 100.0, **overrides) -> Readings:
    """A plausible reading of a 2-core host; override any field."""
    values = {
        "monotonic": monotonic,
        "cpu_percent": 20.0,
        "cpu_per_core": (10.0, 30.0),
        "load_1m": 0.5,
        "load_5m": 0.4,
        "load_15m": 0.3,
        "memory_total_bytes": 8_000_000_000,
        "memory_used_bytes": 2_000_000_000,
        "swap_total_bytes": 1_000_000_000,
        "swap_used_bytes": 100_000_000,
        "disks": (DiskUsage("/", 100_000, 40_000, 60_000),),
        "disk_read_bytes": 10_000_000,
        "disk_write_bytes": 20_000_000,
        "net_sent_bytes": 30_000_000,
        "net_recv_bytes": 40_000_000,
        "process_rss_bytes": 50_000_000,
    }
    values.update(overrides)
    return Readings(**values)


def make_row(ts: dt.datetime = T0, host: str = "agent01", **overrides) -> dict:
    """One valid contract row at `ts` for `host`."""
    return build_sample(make_readings(**overrides), None, host, ts)


@pytest.fixture
def row_factory():
    """Build contract rows: row_factory(ts=..., host=...)."""
    return make_row

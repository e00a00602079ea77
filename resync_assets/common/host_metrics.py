"""The host-metrics Parquet contract (docs/DATA_CONTRACTS.md, "Host metrics") and health states: what the
collector (`lib/metrics`), the simulator (`sim/hostmetrics`) and the ingest (`lib/ingest`) agree on."""

from __future__ import annotations

import math

import pyarrow as pa

HEALTHY = "HEALTHY"
DEGRADED = "DEGRADED"
UNHEALTHY = "UNHEALTHY"

DEGRADED_FROM_PERCENT = 85.0
UNHEALTHY_FROM_PERCENT = 95.0

SOURCE_COLLECTOR = "collector"
SOURCE_SIMULATOR = "simulator"

DISK_STRUCT = pa.struct(
    [
        ("mount", pa.string()),
        ("total_bytes", pa.int64()),
        ("used_bytes", pa.int64()),
        ("percent", pa.float64()),
    ]
)

# Every field is nullable: the contract allows null `process_rss_bytes` (simulator) and a rate is null
# when it cannot be known (no previous counters, counter reset, platform without I/O counters).
HOST_METRICS_SCHEMA = pa.schema(
    [
        ("host", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
        ("cpu_percent", pa.float64()),
        ("cpu_per_core", pa.list_(pa.float64())),
        ("load_1m", pa.float64()),
        ("load_5m", pa.float64()),
        ("load_15m", pa.float64()),
        ("memory_percent", pa.float64()),
        ("memory_used_bytes", pa.int64()),
        ("memory_total_bytes", pa.int64()),
        ("swap_percent", pa.float64()),
        ("disk_percent", pa.float64()),
        ("disks", pa.list_(DISK_STRUCT)),
        ("disk_read_bytes_per_s", pa.float64()),
        ("disk_write_bytes_per_s", pa.float64()),
        ("net_sent_bytes_per_s", pa.float64()),
        ("net_recv_bytes_per_s", pa.float64()),
        ("process_rss_bytes", pa.int64()),
        ("cpu_health", pa.string()),
        ("memory_health", pa.string()),
        ("disk_health", pa.string()),
    ]
)


def health_state(percent: float | None) -> str | None:
    """Map a utilisation percentage to HEALTHY (< 85), DEGRADED (85 to < 95) or UNHEALTHY (>= 95).

    Returns None when the percentage is unknown (None or NaN), so a missing reading is never
    reported as healthy.
    """
    if percent is None or math.isnan(percent):
        return None
    if percent >= UNHEALTHY_FROM_PERCENT:
        return UNHEALTHY
    if percent >= DEGRADED_FROM_PERCENT:
        return DEGRADED
    return HEALTHY

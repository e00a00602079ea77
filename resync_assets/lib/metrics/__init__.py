"""Host resource metrics: psutil sampling, health states and the host-metrics Parquet files.

The file contract is docs/DATA_CONTRACTS.md, "Host metrics"; `HOST_METRICS_SCHEMA` is its Arrow
schema, for every producer (collector, simulator) and reader (ingestion).
"""

from resync_assets.common.host_metrics import (
    DEGRADED,
    DEGRADED_FROM_PERCENT,
    HEALTHY,
    HOST_METRICS_SCHEMA,
    SOURCE_COLLECTOR,
    SOURCE_SIMULATOR,
    UNHEALTHY,
    UNHEALTHY_FROM_PERCENT,
    health_state,
)
from resync_assets.lib.metrics.collector import CollectorResult, run_collector
from resync_assets.lib.metrics.sample import DiskUsage, Readings, build_sample, counter_rate
from resync_assets.lib.metrics.store import host_metrics_files, read_host_metrics, write_samples
from resync_assets.lib.metrics.system import SystemResourceMonitor, read_system, select_mounts

__all__ = [
    "DEGRADED",
    "DEGRADED_FROM_PERCENT",
    "HEALTHY",
    "HOST_METRICS_SCHEMA",
    "SOURCE_COLLECTOR",
    "SOURCE_SIMULATOR",
    "UNHEALTHY",
    "UNHEALTHY_FROM_PERCENT",
    "CollectorResult",
    "DiskUsage",
    "Readings",
    "SystemResourceMonitor",
    "build_sample",
    "counter_rate",
    "health_state",
    "host_metrics_files",
    "read_host_metrics",
    "read_system",
    "run_collector",
    "select_mounts",
    "write_samples",
]

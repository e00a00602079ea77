"""`tws_raw/host_metrics`: CPU, memory and disk of the hosts, sampled here and from the simulator."""

import dagster as dg

from resync_assets.defs.ingest.metadata import table_metadata
from resync_assets.defs.keys import DUCKDB_WRITER_POOL, HOST_METRICS
from resync_assets.defs.resources import LakehouseResource


@dg.asset(
    key=HOST_METRICS,
    group_name="tws_raw",
    kinds={"duckdb", "parquet"},
    pool=DUCKDB_WRITER_POOL,
)
def host_metrics(context: dg.AssetExecutionContext, lakehouse: LakehouseResource) -> dg.MaterializeResult:
    """One row per host per sample (key `host`, `ts`): CPU, load, memory, swap, disk and I/O rates.

    Each materialization samples the host Dagster runs on into a host-metrics Parquet file in the
    collector folder, then loads every file of the host-metrics folders (the collector's, and any
    other listed, such as the simulator's host history) into `tws_raw.host_metrics`.
    """
    from resync_assets.lib.ingest import run_host_metrics_ingest
    from resync_assets.lib.metrics import SystemResourceMonitor, write_samples

    dirs = lakehouse.resolved_host_metrics_dirs()
    sample = SystemResourceMonitor().sample()
    written = write_samples([sample], dirs[0])
    context.log.info("Sampled %s into %s", sample["host"], written)
    report = run_host_metrics_ingest([str(d) for d in dirs], lakehouse.ingest_config())
    metadata = table_metadata(report, "host_metrics")
    metadata["sampled_host"] = dg.MetadataValue.text(str(sample["host"]))
    metadata["host_metrics_dirs"] = dg.MetadataValue.text(", ".join(str(d) for d in dirs))
    return dg.MaterializeResult(metadata=metadata)


host_metrics_job = dg.define_asset_job(
    name="host_metrics_job",
    selection=dg.AssetSelection.assets(HOST_METRICS),
    description="Sample this host's resources and load every host-metrics file into `tws_raw.host_metrics`.",
)

host_metrics_schedule = dg.ScheduleDefinition(
    name="host_metrics_schedule",
    job=host_metrics_job,
    cron_schedule="*/10 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Sample this host and refresh `tws_raw.host_metrics` every 10 minutes.",
)

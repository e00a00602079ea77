"""Polling the TWS server: the ingestion job and its 10-minute schedule."""

from __future__ import annotations

import dagster as dg

from resync_assets.defs.keys import TWS_RAW_KEYS

tws_ingest_job = dg.define_asset_job(
    name="tws_ingest_job",
    selection=dg.AssetSelection.assets(*TWS_RAW_KEYS),
    description="Poll the TWS REST API v2 once: upsert job runs, fetch new joblogs, snapshot job "
    "streams, workstations and engine info into `tws_raw`, then run their checks.",
)

tws_ingest_schedule = dg.ScheduleDefinition(
    name="tws_ingest_schedule",
    job=tws_ingest_job,
    cron_schedule="*/10 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Poll the TWS server every 10 minutes (`tws_ingest_job`).",
)

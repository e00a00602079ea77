"""The job that analyses new failures and the sensor that starts it when joblogs land."""

import dagster as dg

from resync_assets.defs.keys import (
    INCIDENT_ANALYSES,
    INCIDENT_DELIVERIES,
    JOBLOG_PATTERN_CLUSTERS,
    JOBLOG_TEMPLATES,
    JOBLOGS,
)

incident_analysis_job = dg.define_asset_job(
    name="incident_analysis_job",
    selection=dg.AssetSelection.assets(
        JOBLOG_TEMPLATES, JOBLOG_PATTERN_CLUSTERS, INCIDENT_ANALYSES, INCIDENT_DELIVERIES
    ),
    description="Mine the new joblogs' templates, regroup failure modes, then analyse every new failed "
    "run, record a notification for it (`analytics.incident_notifications`) and tell the operator "
    "(e-mail / webhook, `analytics.incident_deliveries`).",
)


@dg.asset_sensor(
    asset_key=JOBLOGS,
    job=incident_analysis_job,
    name="incident_analysis_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When new joblogs land (a materialization of `tws_raw/joblogs`), run "
    "`incident_analysis_job`: newly failed runs are analysed and notified as they arrive.",
)
def incident_analysis_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """One run per joblogs materialization; the run key makes a re-evaluation idempotent."""
    fetched = None
    mat = asset_event.asset_materialization
    if mat is not None:
        value = mat.metadata.get("joblogs_fetched")
        fetched = getattr(value, "value", None)
    if fetched == 0:
        return dg.SkipReason("the last ingestion fetched no new joblogs")
    return dg.RunRequest(run_key=f"joblogs-{context.cursor}", tags={"resync/trigger": "tws_raw/joblogs"})

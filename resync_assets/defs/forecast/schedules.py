"""Weekly capacity forecasts; daily maintenance alerts, recommendations and drift."""

import dagster as dg

from resync_assets.defs.keys import (
    CAPACITY_FORECAST_MODELS,
    CAPACITY_FORECASTS,
    CAPACITY_RECOMMENDATIONS,
    CAPACITY_THRESHOLD_ETA,
    DRIFT_REPORTS,
    MAINTENANCE_ALERTS,
)

weekly_forecast_job = dg.define_asset_job(
    name="capacity_forecast_job",
    selection=dg.AssetSelection.assets(
        CAPACITY_FORECASTS, CAPACITY_FORECAST_MODELS, CAPACITY_THRESHOLD_ETA, CAPACITY_RECOMMENDATIONS
    ),
    description="Forecast every capacity series 12 weeks ahead, then the threshold ETAs and recommendations.",
)

daily_maintenance_job = dg.define_asset_job(
    name="maintenance_and_drift_job",
    selection=dg.AssetSelection.assets(MAINTENANCE_ALERTS, CAPACITY_RECOMMENDATIONS, DRIFT_REPORTS),
    description="Maintenance alerts, recommendations and the drift report of the last complete day.",
)

weekly_forecast_schedule = dg.ScheduleDefinition(
    name="capacity_forecast_weekly",
    job=weekly_forecast_job,
    cron_schedule="0 5 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Mondays 05:00 UTC: capacity forecasts, ETAs and recommendations.",
)

daily_maintenance_schedule = dg.ScheduleDefinition(
    name="maintenance_and_drift_daily",
    job=daily_maintenance_job,
    cron_schedule="30 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily 05:30 UTC: maintenance alerts, recommendations and drift.",
)

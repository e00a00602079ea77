"""Weekly capacity forecasts; daily maintenance alerts, recommendations and drift."""

import dagster as dg

weekly_forecast_job = dg.define_asset_job(
    name="capacity_forecast_job",
    selection=dg.AssetSelection.assets(
        "capacity_forecasts", "capacity_forecast_models", "capacity_threshold_eta", "capacity_recommendations"
    ),
    description="Forecast every capacity series 12 weeks ahead, then the threshold ETAs and recommendations.",
)

daily_maintenance_job = dg.define_asset_job(
    name="maintenance_and_drift_job",
    selection=dg.AssetSelection.assets("maintenance_alerts", "capacity_recommendations", "drift_reports"),
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

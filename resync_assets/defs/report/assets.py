"""`weekly_capacity_report`: the week's capacity report, saved as HTML and e-mailed once per ISO week."""

import datetime as dt

import dagster as dg
from pydantic import Field

from resync_assets.defs import keys
from resync_assets.defs.resources import LakehouseResource, SmtpResource

# Every table the report reads; when a forecaster table is missing the report says "no forecast yet".
REPORT_DEPS = [
    keys.AGG_JOB_RUNS_DAILY,
    keys.FCT_JOB_RUNS,
    keys.DIM_JOBS,
    keys.AGG_HOST_METRICS_HOURLY,
    keys.JOBLOG_PATTERN_CLUSTERS,
    keys.INCIDENT_ANALYSES,
    keys.CAPACITY_FORECASTS,
    keys.CAPACITY_FORECAST_MODELS,
    keys.CAPACITY_THRESHOLD_ETA,
    keys.CAPACITY_RECOMMENDATIONS,
    keys.MAINTENANCE_ALERTS,
    keys.DRIFT_REPORTS,
]


class WeeklyReportConfig(dg.Config):
    """Which week, and whether to send."""

    week: str | None = Field(
        default=None, description="ISO week, e.g. 2026-W49 (unset: the last complete week, UTC)"
    )
    dry_run: bool = Field(default=False, description="Write the .eml under data/reports/ instead of sending")


@dg.asset(
    name="weekly_capacity_report",
    group_name="report",
    deps=REPORT_DEPS,
    pool=keys.DUCKDB_WRITER_POOL,
    kinds={"python", "html", "email"},
    description="The weekly capacity report of an ISO week: an HTML e-mail with inline charts (workload "
    "with forecast bands, key jobs' runtime, host CPU / memory / disk with thresholds and ETAs, failure "
    "patterns), the week's incidents, drift findings and recommendations, plus a plain-text part. "
    "Saved as data/reports/weekly-capacity-report-<week>.html; sent over SMTP once per week "
    "(analytics.report_deliveries), or written as .eml without SMTP settings.",
)
def weekly_capacity_report(
    context: dg.AssetExecutionContext,
    config: WeeklyReportConfig,
    lakehouse: LakehouseResource,
    smtp: SmtpResource,
) -> dg.MaterializeResult:
    """Build the report and deliver it (see `lib.report.send_report`)."""
    from resync_assets.lib.notify import DeliveryError
    from resync_assets.lib.report import IsoWeek, reports_dir, send_report

    week = (
        IsoWeek.parse(config.week) if config.week else IsoWeek.last_complete(dt.datetime.now(dt.UTC).date())
    )
    try:
        settings = smtp.settings("RESYNC_REPORT_RECIPIENTS")
    except ValueError as exc:
        raise dg.Failure(description=f"SMTP settings: {exc}") from None
    try:
        outcome = send_report(
            lakehouse.resolved_warehouse_path(),
            week,
            smtp=settings,
            dry_run=config.dry_run,
            out_dir=reports_dir(),
        )
    except DeliveryError as exc:
        raise dg.Failure(description=f"weekly report {week} not sent: {exc}") from None
    context.log.info("weekly report %s: %s", week, outcome.status)
    metadata = {
        "week": dg.MetadataValue.text(str(week)),
        "delivery": dg.MetadataValue.text(outcome.status),
        "recipients": dg.MetadataValue.int(len(outcome.recipients)),
        "charts": dg.MetadataValue.int(outcome.charts),
        "sections_without_data": dg.MetadataValue.json(outcome.missing),
    }
    if outcome.html_path:
        metadata["html"] = dg.MetadataValue.path(str(outcome.html_path.resolve()))
    if outcome.eml_path:
        metadata["eml"] = dg.MetadataValue.path(str(outcome.eml_path.resolve()))
    if outcome.message_id:
        metadata["message_id"] = dg.MetadataValue.text(outcome.message_id)
    return dg.MaterializeResult(metadata=metadata)

"""`incident_deliveries`: each newly analysed failed run told to the operator by e-mail and / or webhook."""

import dagster as dg
from pydantic import Field

from resync_assets.defs.keys import DUCKDB_WRITER_POOL, INCIDENT_ANALYSES, INCIDENT_DELIVERIES
from resync_assets.defs.resources import LakehouseResource, SmtpResource, WebhookResource


class IncidentNotifyConfig(dg.Config):
    """How new incidents are told."""

    batch: bool | None = Field(
        default=None,
        description="True: one message per channel per poll; False: one per failed run; unset: one per "
        "failed run unless more than 5 are new",
    )
    max_age_hours: float = Field(
        default=24.0, description="Failed runs that ended longer ago when first seen are recorded, not sent"
    )


@dg.asset(
    key=INCIDENT_DELIVERIES,
    group_name="incidents",
    deps=[INCIDENT_ANALYSES],
    pool=DUCKDB_WRITER_POOL,
    kinds={"python", "duckdb", "email"},
    description="One row per (failed run, channel) in `analytics.incident_deliveries`: every newly "
    "analysed failed run is told once per channel — an e-mail (RESYNC_SMTP_*, "
    "RESYNC_INCIDENT_RECIPIENTS) and / or a webhook POST (RESYNC_WEBHOOK_URL; Slack and Teams accept "
    "it) with the job, the error line, the cause, the fix steps and similar past incidents. A failing "
    "channel is retried and recorded; it never fails the analysis.",
)
def incident_deliveries(
    context: dg.AssetExecutionContext,
    config: IncidentNotifyConfig,
    lakehouse: LakehouseResource,
    smtp: SmtpResource,
    webhook: WebhookResource,
) -> dg.MaterializeResult:
    """Send the pending incidents on every configured channel (`lib.notify.incidents`)."""
    import datetime as dt

    from resync_assets.lib.notify.incidents import channels_from, notify_new_incidents
    from resync_assets.lib.warehouse import writer

    try:
        channels = channels_from(smtp.settings("RESYNC_INCIDENT_RECIPIENTS"), webhook.settings())
    except ValueError as exc:
        raise dg.Failure(description=f"notification settings: {exc}") from None
    if not channels:
        context.log.info("no notification channel configured (RESYNC_SMTP_HOST, RESYNC_WEBHOOK_URL)")
    with writer(lakehouse.resolved_warehouse_path(), what="incident_deliveries") as con:
        outcome = notify_new_incidents(
            con, channels, max_age=dt.timedelta(hours=config.max_age_hours), batch=config.batch
        )
    for error in outcome.errors:
        context.log.warning("notification failed: %s", error)
    return dg.MaterializeResult(
        metadata={
            "channels": dg.MetadataValue.json({c.name: c.target for c in channels}),
            "sent": dg.MetadataValue.json(outcome.sent),
            "messages": dg.MetadataValue.json(outcome.messages),
            "failed": dg.MetadataValue.json(outcome.failed),
            "skipped_too_old": dg.MetadataValue.json(outcome.skipped),
            "errors": dg.MetadataValue.json(outcome.errors[:10]),
        }
    )

"""`resync_health`: the health of resync's own parts as an asset check, run every 15 minutes.

The same status as `resync status` (lib.health): last poll and its lag, open incidents, capacity
ETA, drift, last report, the TWS API and its circuit breaker, the warehouse, the data disk, and
this host's CPU / memory against 85 / 95 %. The check fails with severity WARN when something needs
attention and ERROR when something is critical; every item is in its metadata.
"""

import dagster as dg

from resync_assets.defs.keys import RESYNC_HEALTH
from resync_assets.defs.resources import LakehouseResource, TwsResource

resync_health = dg.AssetSpec(
    key=RESYNC_HEALTH,
    group_name="health",
    kinds={"python"},
    description="resync itself: its scheduled health check (`resync_parts_healthy`) reports what "
    "`resync status` reports. Nothing is materialized; look at the check's history.",
)


@dg.asset_check(
    asset=RESYNC_HEALTH,
    name="resync_parts_healthy",
    description="Last poll and its lag, open incidents, capacity ETA, drift alerts, last report sent, TWS "
    "API reachable and its circuit breaker, warehouse reachable and its size, free disk of the data "
    "directory, this host's CPU / memory against 85 / 95 %. WARN: needs attention; ERROR: critical.",
)
def resync_parts_healthy(lakehouse: LakehouseResource, tws: TwsResource) -> dg.AssetCheckResult:
    """Collect the status once and turn it into the check's result."""
    from resync_assets.lib.health import CRITICAL, collect_status

    status = collect_status(lakehouse.resolved_warehouse_path(), tws_settings=tws.settings)
    attention = status.attention
    return dg.AssetCheckResult(
        passed=not attention,
        severity=dg.AssetCheckSeverity.ERROR
        if any(i.state == CRITICAL for i in attention)
        else dg.AssetCheckSeverity.WARN,
        description="; ".join(f"{i.name}: {i.value}" for i in attention)[:1000] or "all parts healthy",
        metadata={
            "state": dg.MetadataValue.text(status.state),
            **{i.name: dg.MetadataValue.text(f"{i.state} {i.value}") for i in status.items},
        },
    )


resync_health_job = dg.define_asset_job(
    name="resync_health_job",
    selection=dg.AssetSelection.checks(resync_parts_healthy),
    description="Run resync's health check (no asset is materialized).",
)

resync_health_schedule = dg.ScheduleDefinition(
    name="resync_health_schedule",
    job=resync_health_job,
    cron_schedule="*/15 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 15 minutes: resync's own health (`resync_parts_healthy`), shown in the UI.",
)

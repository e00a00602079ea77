"""Checks of the incident notifications."""

import dagster as dg

from resync_assets.defs.checks import nothing_to_judge
from resync_assets.defs.keys import INCIDENT_DELIVERIES
from resync_assets.defs.resources import LakehouseResource


@dg.asset_check(
    asset=INCIDENT_DELIVERIES,
    name="incident_notifications_delivered",
    description="No notification of the last 24 hours is failing or abandoned (a channel is down).",
)
def incident_notifications_delivered(lakehouse: LakehouseResource) -> dg.AssetCheckResult:
    """Warn while a channel fails; the failed deliveries are retried at the next polls."""
    from resync_assets.lib.notify.deliveries import INCIDENT_TABLE, SCHEMA
    from resync_assets.lib.warehouse import read_only, table_exists

    with read_only(lakehouse.resolved_warehouse_path()) as con:
        if con is None or not table_exists(con, SCHEMA, INCIDENT_TABLE):
            return nothing_to_judge("no notification attempted yet")
        ((attempted,),) = con.execute(
            f"select count(*) from {SCHEMA}.{INCIDENT_TABLE} "
            "where status <> 'skipped' and last_attempt_at > now() - interval 1 day"
        ).fetchall()
        if attempted == 0:
            return nothing_to_judge("no notification attempted in the last 24 hours")
        rows = con.execute(
            f"select channel, status, count(*), any_value(last_error) from {SCHEMA}.{INCIDENT_TABLE} "
            "where status in ('failed', 'abandoned') and last_attempt_at > now() - interval 1 day group by 1, 2"
        ).fetchall()
    failing = {f"{channel}/{status}": n for channel, status, n, _ in rows}
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "failing": dg.MetadataValue.json(failing),
            "attempted_24h": dg.MetadataValue.int(attempted),
        },
        description="; ".join(f"{c} {s}: {n} ({e})" for c, s, n, e in rows)[:500]
        or "every channel delivered",
    )

"""The drift check: fails when the latest report day found drift."""

import dagster as dg

from resync_assets.defs.checks import nothing_to_judge
from resync_assets.defs.keys import DRIFT_REPORTS
from resync_assets.defs.resources import WarehouseReaderResource


@dg.asset_check(
    asset=DRIFT_REPORTS,
    description="Fails when any check of the latest report day found drift (job duration, status or "
    "return-code mix, template mix, analysis quality); the metadata names the checks and scores.",
)
def drift_reports_no_drift(duckdb: WarehouseReaderResource) -> dg.AssetCheckResult:
    """No drift on the latest report day."""
    from resync_assets.lib.forecast.checks import latest_drift

    with duckdb.get_connection() as con:
        day, drifted, rows = latest_drift(con)
    if day is None:
        return nothing_to_judge("analytics.drift_reports has no report yet")
    return dg.AssetCheckResult(
        passed=not drifted,
        metadata={
            "report_date": dg.MetadataValue.text(str(day)),
            "drifted": dg.MetadataValue.json(drifted),
            "checks": dg.MetadataValue.int(rows),
        },
    )

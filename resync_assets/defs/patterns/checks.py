"""Checks on the pattern tables."""

import dagster as dg

from resync_assets.defs.keys import JOBLOG_TEMPLATES
from resync_assets.defs.resources import WarehouseReaderResource
from resync_assets.lib.warehouse import table_exists


@dg.asset_check(
    asset=JOBLOG_TEMPLATES,
    name="joblog_templates_ids_are_stable",
    description="The miner loaded from DuckDB maps each template's stored example line back to the same "
    "template id (ids survive save/load and later mining).",
)
def joblog_templates_ids_are_stable(duckdb: WarehouseReaderResource) -> dg.AssetCheckResult:
    """Re-match up to 2,000 stored examples with the persisted miner."""
    from resync_assets.lib.patterns.miner import TemplateMiner

    with duckdb.get_connection() as con:
        if not table_exists(con, "analytics", "joblog_templates"):
            return dg.AssetCheckResult(passed=True, description="no templates yet")
        miner = TemplateMiner.load(con, "analytics")
        rows = con.execute(
            "select template_id, example from analytics.joblog_templates "
            "where example is not null order by template_id limit 2000"
        ).fetchall()
    moved = [(tid, miner.match(ex).template_id) for tid, ex in rows if miner.match(ex).template_id != tid]
    return dg.AssetCheckResult(
        passed=not moved,
        metadata={
            "checked": dg.MetadataValue.int(len(rows)),
            "moved": dg.MetadataValue.int(len(moved)),
            "examples": dg.MetadataValue.json([list(m) for m in moved[:10]]),
        },
    )

"""Checks on the pattern tables."""

import dagster as dg

from resync_assets.defs.checks import nothing_to_judge
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
    """Re-match every stored example with the persisted miner (nothing to judge without examples)."""
    from resync_assets.lib.patterns.miner import TemplateMiner

    with duckdb.get_connection() as con:
        if not table_exists(con, "analytics", "joblog_templates"):
            return nothing_to_judge("analytics.joblog_templates does not exist yet")
        (templates,) = con.execute("select count(*) from analytics.joblog_templates").fetchone()
        if templates == 0:
            return nothing_to_judge("analytics.joblog_templates has no rows")
        rows = con.execute(
            "select template_id, example from analytics.joblog_templates "
            "where example is not null order by template_id"
        ).fetchall()
        if not rows:
            return nothing_to_judge(
                f"none of the {templates} templates has an example line",
                {"templates": dg.MetadataValue.int(templates)},
            )
        miner = TemplateMiner.load(con, "analytics")
    moved = []
    for tid, example in rows:
        now = miner.match(example).template_id
        if now != tid:
            moved.append((tid, now))
    return dg.AssetCheckResult(
        passed=not moved,
        metadata={
            "templates": dg.MetadataValue.int(templates),
            "checked": dg.MetadataValue.int(len(rows)),
            "without_example": dg.MetadataValue.int(templates - len(rows)),
            "moved": dg.MetadataValue.int(len(moved)),
            "examples": dg.MetadataValue.json([list(m) for m in moved[:10]]),
        },
    )

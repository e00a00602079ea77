"""`incident_analyses`: the root cause of every failed run, in `analytics.incident_analyses`."""

from collections import Counter

import dagster as dg

from resync_assets.defs.keys import DUCKDB_WRITER_POOL, INCIDENT_ANALYSES, JOB_RUNS, JOBLOG_TEMPLATES, JOBLOGS
from resync_assets.defs.resources import LakehouseResource, LlmResource
from resync_assets.lib.warehouse import writer


@dg.asset(
    key=INCIDENT_ANALYSES,
    group_name="incidents",
    deps=[JOBLOGS, JOB_RUNS, JOBLOG_TEMPLATES],
    pool=DUCKDB_WRITER_POOL,
    kinds={"python", "duckdb"},
    description="One row per failed run (ABEND / FAIL / ERROR), key `run_id`: the error line (1-based "
    "line number in the joblog and its text), root-cause family and category, a specific cause, the "
    "files / hosts / DB objects involved, ordered fix steps (conman rerun, df -h, lsnrctl ...), a "
    "calibrated confidence and the most similar past incidents with their recorded resolutions. "
    "Each new analysis also adds a row to `analytics.incident_notifications`.",
)
def incident_analyses(
    context: dg.AssetExecutionContext, lakehouse: LakehouseResource, llm: LlmResource
) -> dg.MaterializeResult:
    """Analyse the failed runs that have no analysis yet (or whose joblog arrived since)."""
    from resync_assets.lib.rca.refresh import (
        incident_table_summary,
        refresh_incident_analyses,
        summary_markdown,
    )

    with writer(lakehouse.resolved_warehouse_path(), what="incident_analyses") as con:
        analyses = refresh_incident_analyses(con, llm.analyst())
        table = incident_table_summary(con)
    new_families = Counter(a.family for a in analyses)
    llm_status = Counter(a.llm.get("status", "not_configured") for a in analyses)
    context.log.info("Analysed %d new failed runs (%s)", len(analyses), dict(new_families))
    # Metadata describes the table as it stands; the `new_*` entries are this refresh's increment.
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(table["rows"]),
        "families": dg.MetadataValue.json(table["families"]),
        "unseen_notifications": dg.MetadataValue.int(table["unseen_notifications"]),
        "new_analyses": dg.MetadataValue.int(len(analyses)),
        "new_families": dg.MetadataValue.json(dict(new_families)),
        "new_llm": dg.MetadataValue.json(dict(llm_status)),
        "summary": dg.MetadataValue.md(summary_markdown(analyses, table)),
    }
    if table["mean_confidence"] is not None:
        metadata["mean_confidence"] = dg.MetadataValue.float(table["mean_confidence"])
    return dg.MaterializeResult(metadata=metadata)

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
    description="One row per failed run (ABEND / FAIL / ERROR / DONE), key `run_id`: the error line (1-based "
    "line number in the joblog and its text), root-cause family and category, a specific cause, the "
    "files / hosts / DB objects involved, ordered fix steps (conman rerun, df -h, lsnrctl ...), a "
    "calibrated confidence, the failure mode (as `joblog_pattern_clusters` groups it) and the most similar "
    "past incidents with their recorded resolutions. Each new analysis also adds a row to "
    "`analytics.incident_notifications`. Metadata shows how confidence is spread (quantiles, histogram, "
    "per family), not one mean.",
)
def incident_analyses(
    context: dg.AssetExecutionContext, lakehouse: LakehouseResource, llm: LlmResource
) -> dg.MaterializeResult:
    """Analyse the failed runs that have no analysis yet (or whose joblog arrived since)."""
    from resync_assets.lib.rca import store

    with writer(lakehouse.resolved_warehouse_path(), what="incident_analyses") as con:
        result = store.analyse_pending(con, llm=llm.analyst())
    analyses = result.analyses
    families = Counter(a.family for a in analyses)
    llm_status = Counter(a.llm.get("status", "not_configured") for a in analyses)
    context.log.info("Analysed %d failed runs (%s)", len(analyses), dict(families))
    return dg.MaterializeResult(
        metadata={
            "new_analyses": dg.MetadataValue.int(len(analyses)),
            "dagster/row_count": dg.MetadataValue.int(result.total),
            "unseen_notifications": dg.MetadataValue.int(result.unseen),
            "families": dg.MetadataValue.json(dict(families)),
            "llm": dg.MetadataValue.json(dict(llm_status)),
            "confidence_spread": dg.MetadataValue.json(store.confidence_spread(analyses)),
            "summary": dg.MetadataValue.md(store.summary_markdown(analyses)),
        }
    )

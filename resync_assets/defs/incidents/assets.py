"""`incident_analyses`: the root cause of every failed run, in `analytics.incident_analyses`."""

from collections import Counter

import dagster as dg

from resync_assets.defs.keys import (
    INCIDENT_ANALYSES,
    JOB_RUNS,
    JOBLOG_TEMPLATES,
    JOBLOGS,
    LLM_WRITER_POOL,
)
from resync_assets.defs.resources import LakehouseResource, LlmResource


@dg.asset(
    key=INCIDENT_ANALYSES,
    group_name="incidents",
    deps=[JOBLOGS, JOB_RUNS, JOBLOG_TEMPLATES],
    # Not the writer pool: the asset takes the writer lock itself, twice and briefly, so other
    # writers run while it waits for the LLM (lib/rca/refresh.py).
    pool=LLM_WRITER_POOL,
    kinds={"python", "duckdb"},
    description="One row per failed run (ABEND / FAIL / ERROR / DONE), key `run_id`: the error line (1-based "
    "line number in the joblog and its text), root-cause family and category, a specific cause, the "
    "files / hosts / DB objects involved, ordered fix steps (conman rerun, df -h, lsnrctl ...), a "
    "calibrated confidence, the failure mode (as `joblog_pattern_clusters` groups it) and the most similar "
    "past incidents with their recorded resolutions. Each new analysis also adds a row to "
    "`analytics.incident_notifications`. Metadata shows how confidence is spread (quantiles, histogram, "
    "per family), not only its mean.",
)
def incident_analyses(
    context: dg.AssetExecutionContext, lakehouse: LakehouseResource, llm: LlmResource
) -> dg.MaterializeResult:
    """Analyse the failed runs that have no analysis yet (or whose joblog arrived since)."""
    from resync_assets.lib.rca.refresh import refresh_incident_analyses, summary_markdown

    refresh = refresh_incident_analyses(
        lakehouse.resolved_warehouse_path(), llm.analyst(), on_wait=context.log.info
    )
    analyses, table = refresh.analyses, refresh.table
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
    if refresh.llm:  # requests sent and failed, analyses skipped by the breaker or the budget
        metadata["llm_requests"] = dg.MetadataValue.json(refresh.llm)
    if table["mean_confidence"] is not None:
        metadata["mean_confidence"] = dg.MetadataValue.float(table["mean_confidence"])
        # One mean hides everything: how confidence is spread, overall and per family.
        metadata["confidence_spread"] = dg.MetadataValue.json(table["confidence_spread"])
    return dg.MaterializeResult(metadata=metadata)

"""`drift_reports`: the daily drift monitor."""

import dagster as dg

from resync_assets.defs.keys import DUCKDB_WRITER_POOL, FCT_JOB_RUNS, INCIDENT_ANALYSES, JOBLOG_TEMPLATES
from resync_assets.defs.resources import LakehouseResource


@dg.asset(
    group_name="drift",
    deps=[FCT_JOB_RUNS, JOBLOG_TEMPLATES, INCIDENT_ANALYSES],
    pool=DUCKDB_WRITER_POOL,
    kinds={"python", "duckdb", "evidently"},
)
def drift_reports(context: dg.AssetExecutionContext, lakehouse: LakehouseResource) -> dg.MaterializeResult:
    """Reference (8 weeks) vs current window of job durations, status and return-code mix, joblog
    template mix and incident-analysis quality, with Evidently: one row per report day and check in
    `analytics.drift_reports`, HTML reports under `data/reports/drift/<day>/`."""
    from resync_assets.lib.drift.report import run_drift

    outcome = run_drift(lakehouse.resolved_warehouse_path())
    md = outcome.metadata
    context.log.info("drift %s: drifted %s", md.get("report_date"), md.get("drifted_checks"))
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(outcome.rows.get("drift_reports", 0)),
        "report_date": dg.MetadataValue.text(str(md.get("report_date"))),
        "drifted_checks": dg.MetadataValue.json(md.get("drifted_checks") or []),
        "scores": dg.MetadataValue.json(md.get("scores") or {}),
    }
    if md.get("html_dir"):
        metadata["html_reports"] = dg.MetadataValue.path(md["html_dir"])
    if outcome.note:
        metadata["note"] = dg.MetadataValue.text(outcome.note)
    return dg.MaterializeResult(metadata=metadata)

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
    from resync_assets.lib.rca import store

    path = lakehouse.resolved_warehouse_path()
    analyst = llm.analyst()
    with writer(path, what="incident_analyses") as con:
        store.ensure_tables(con)
        ctx = store.load_context(con)
        # Store the map in use (the packaged default plus what resolutions taught) whenever it changed.
        newest = con.execute(
            f"select map from {store.SCHEMA}.incident_calibration order by fitted_at desc limit 1"
        ).fetchall()
        if ctx.calibration is not None and (not newest or newest[0][0] != ctx.calibration.to_json()):
            store.save_calibration(con, ctx.calibration)
        analyses = store.analyse_failed_runs(con, llm=analyst, context=ctx)
        total = con.execute(f"select count(*) from {store.SCHEMA}.incident_analyses").fetchall()[0][0]
        unseen = con.execute(
            f"select count(*) from {store.SCHEMA}.incident_notifications where not seen"
        ).fetchall()[0][0]
    families = Counter(a.family for a in analyses)
    llm_status = Counter(a.llm.get("status", "not_configured") for a in analyses)
    context.log.info("Analysed %d failed runs (%s)", len(analyses), dict(families))
    return dg.MaterializeResult(
        metadata={
            "new_analyses": dg.MetadataValue.int(len(analyses)),
            "dagster/row_count": dg.MetadataValue.int(total),
            "unseen_notifications": dg.MetadataValue.int(unseen),
            "families": dg.MetadataValue.json(dict(families)),
            "llm": dg.MetadataValue.json(dict(llm_status)),
            "mean_confidence": dg.MetadataValue.float(
                round(sum(a.confidence for a in analyses) / len(analyses), 3) if analyses else 0.0
            ),
            "summary": dg.MetadataValue.md(store.summary_markdown(analyses)),
        }
    )

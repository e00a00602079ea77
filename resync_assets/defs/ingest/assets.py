"""The `tws_raw` tables loaded from the TWS REST API v2, one asset per table."""

import dagster as dg

from resync_assets.defs.ingest.metadata import table_metadata
from resync_assets.defs.keys import DUCKDB_WRITER_POOL, JOB_RUNS, TWS_RAW_KEYS, TWS_TABLES
from resync_assets.defs.resources import LakehouseResource, TwsResource

_KEYS = dict(zip(TWS_TABLES, TWS_RAW_KEYS, strict=True))
_DESCRIPTIONS = {
    "job_runs": "One row per job run (every `jobruns[]` element of every job in plan), key `run_id`, "
    "from the current plan and the archived plans of the backfill window. Upserted on each poll.",
    "joblogs": "One row per fetched joblog, key `run_id`: the output of failed runs (ABEND, FAIL, "
    "ERROR) fetched once each after their run is loaded, plus a configurable sample of successes.",
    "job_streams": "Snapshot of the job streams in plan (`JobStreamInPlanV2`), key "
    "`jobstream_id` + `plan_id`.",
    "workstations": "Snapshot of the workstations in plan (`WorkstationInPlanV2`), key `workstation_id`.",
    "engine_info": "The engine's version, time zone and licence (`EngineInfoV2`), one row per snapshot.",
}


def _raw_table_specs() -> list[dg.AssetSpec]:
    # Built in a function: the defs loader would register module-level specs a second time.
    return [
        dg.AssetSpec(
            key=_KEYS[table],
            description=_DESCRIPTIONS[table],
            group_name="tws_raw",
            kinds={"dlt", "duckdb"},
            deps=[JOB_RUNS] if table == "joblogs" else [],
            skippable=True,
        )
        for table in TWS_TABLES
    ]


@dg.multi_asset(
    name="tws_raw_tables",
    specs=_raw_table_specs(),
    can_subset=True,
    pool=DUCKDB_WRITER_POOL,
    description="Poll the TWS REST API v2 once and upsert the selected `tws_raw` tables.",
)
def tws_raw_tables(context: dg.AssetExecutionContext, tws: TwsResource, lakehouse: LakehouseResource):
    """One ingestion pass (`run_tws_ingest`) over the tables selected in this run."""
    from resync_assets.lib.ingest import run_tws_ingest

    selected = [t for t in TWS_TABLES if _KEYS[t] in context.selected_asset_keys]
    settings = tws.settings()
    # settings.base_url, not the raw config: TwsSettings strips credentials written into the URL.
    context.log.info("Ingesting %s from %s", ", ".join(selected), settings.base_url)
    report = run_tws_ingest(settings, lakehouse.ingest_config(), tables=selected)
    for table in selected:
        yield dg.MaterializeResult(asset_key=_KEYS[table], metadata=table_metadata(report, table))

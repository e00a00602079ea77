"""`joblog_templates` and `joblog_pattern_clusters`: the template miner over every fetched joblog, and
failed runs grouped by failure mode (logic in `lib/patterns/store.py`)."""

import dagster as dg

from resync_assets.defs.keys import (
    DUCKDB_WRITER_POOL,
    JOB_RUNS,
    JOBLOG_PATTERN_CLUSTERS,
    JOBLOG_TEMPLATES,
    JOBLOGS,
)
from resync_assets.defs.resources import LakehouseResource
from resync_assets.lib.warehouse import writer


@dg.asset(
    key=JOBLOG_TEMPLATES,
    group_name="patterns",
    deps=[JOBLOGS, JOB_RUNS],
    pool=DUCKDB_WRITER_POOL,
    kinds={"python", "duckdb"},
    description="One row per joblog line template (`analytics.joblog_templates`): template text, "
    "first/last seen, line, run and error-line counts, daily counts, an example. Mined incrementally "
    "over new joblogs; the miner's state is kept in DuckDB so template ids are stable.",
)
def joblog_templates(context: dg.AssetExecutionContext, lakehouse: LakehouseResource) -> dg.MaterializeResult:
    """Mine the joblogs fetched since the last run and merge them into the template table."""
    from resync_assets.lib.patterns.store import mine_new_joblogs

    with writer(lakehouse.resolved_warehouse_path(), what="joblog_templates") as con:
        result = mine_new_joblogs(con)
    if result.note:
        return dg.MaterializeResult(metadata={"new_joblogs": 0, "note": result.note})
    context.log.info(
        "Mined %d new joblogs (%d lines): %d templates, %d new",
        result.new_joblogs,
        result.new_lines,
        result.templates,
        result.new_templates,
    )
    return dg.MaterializeResult(
        metadata={
            "new_joblogs": dg.MetadataValue.int(result.new_joblogs),
            "new_lines": dg.MetadataValue.int(result.new_lines),
            "new_templates": dg.MetadataValue.int(result.new_templates),
            "dagster/row_count": dg.MetadataValue.int(result.templates),
        }
    )


@dg.asset(
    key=JOBLOG_PATTERN_CLUSTERS,
    group_name="patterns",
    deps=[JOBLOG_TEMPLATES],
    pool=DUCKDB_WRITER_POOL,
    kinds={"python", "duckdb"},
    description="Failed runs grouped by failure mode (`analytics.joblog_pattern_clusters`): the error line "
    "root-cause analysis picks (never a wrapper's 'step failed, rc=N'), its message with variables and "
    "entities masked; runs, jobs affected, weekly counts, growth per week, trend.",
)
def joblog_pattern_clusters(
    context: dg.AssetExecutionContext, lakehouse: LakehouseResource
) -> dg.MaterializeResult:
    """Regroup every mined failed run by the failure mode of its error line."""
    from resync_assets.lib.rca.failure_modes import clusters_markdown, rebuild_pattern_clusters

    with writer(lakehouse.resolved_warehouse_path(), what="joblog_pattern_clusters") as con:
        clusters = rebuild_pattern_clusters(con)
    if clusters is None:
        return dg.MaterializeResult(metadata={"clusters": 0, "note": "no mined failed runs yet"})
    context.log.info("%d failure-mode clusters", clusters.height)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(clusters.height),
            "top_clusters": dg.MetadataValue.md(clusters_markdown(clusters)),
        }
    )

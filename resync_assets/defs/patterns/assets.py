"""`joblog_templates` and `joblog_pattern_clusters`: the template miner over every fetched joblog.

Incremental: the miner's state lives in DuckDB (`analytics.pattern_miner_*`, saved and loaded by
`TemplateMiner.save/load`, so template ids stay stable across runs) and `analytics.joblog_template_runs`
remembers which joblogs were mined. Each materialization mines only the new joblogs, merges their
counts into `analytics.joblog_templates`, appends the lines of failed runs to
`analytics.joblog_failure_lines`, and `joblog_pattern_clusters` regroups those failed runs.
"""

import dagster as dg

from resync_assets.defs.keys import (
    DUCKDB_WRITER_POOL,
    JOB_RUNS,
    JOBLOG_PATTERN_CLUSTERS,
    JOBLOG_TEMPLATES,
    JOBLOGS,
)
from resync_assets.defs.resources import LakehouseResource
from resync_assets.lib.warehouse import table_exists, writer

SCHEMA = "analytics"


def _new_joblogs(con):
    """Joblogs not mined yet, with the run's end time (arrow table)."""
    runs = table_exists(con, "tws_raw", "job_runs")
    end = "coalesce(r.actual_end, j.fetched_at)" if runs else "j.fetched_at"
    join = (
        (
            "left join (select run_id, max(actual_end) as actual_end from tws_raw.job_runs group by run_id) r "
            "on r.run_id = j.run_id"
        )
        if runs
        else ""
    )
    done = (
        f"where not exists (select 1 from {SCHEMA}.joblog_template_runs m where m.run_id = j.run_id)"
        if table_exists(con, SCHEMA, "joblog_template_runs")
        else ""
    )
    return con.sql(
        f"select j.run_id, j.job_name, j.workstation, j.internal_status, j.text, {end} as actual_end, j.fetched_at "
        f"from tws_raw.joblogs j {join} {done} order by actual_end, j.run_id"
    ).to_arrow_table()


def _merge_templates(con, fresh, miner):
    """Merge the new batch's per-template figures into the stored table (runs are mined once)."""
    import polars as pl

    if table_exists(con, SCHEMA, "joblog_templates"):
        old = pl.from_arrow(con.sql(f"select * from {SCHEMA}.joblog_templates").to_arrow_table())
        # DuckDB hands timestamps back as Etc/UTC; the fresh batch says UTC.
        old = old.with_columns(
            pl.col("first_seen").dt.convert_time_zone("UTC"), pl.col("last_seen").dt.convert_time_zone("UTC")
        )
        both = pl.concat([old, fresh], how="vertical_relaxed")
    else:
        both = fresh
    merged = both.group_by("template_id").agg(
        pl.col("first_seen").min(),
        pl.col("last_seen").max(),
        pl.col("line_count").sum(),
        pl.col("run_count").sum(),
        pl.col("error_line_count").sum(),
        pl.col("example").first(),
    )
    # The same day may appear in both batches: add its counts.
    daily = (
        both.select("template_id", "daily_counts")
        .explode("daily_counts")
        .unnest("daily_counts")
        .drop_nulls("day")
        .group_by("template_id", "day")
        .agg(pl.col("count").sum())
        .sort("template_id", "day")
        .group_by("template_id")
        .agg(pl.struct("day", "count").alias("daily_counts"))
    )
    texts = pl.DataFrame(
        {
            "template_id": merged["template_id"].to_list(),
            "template": [
                miner.template_of(int(t)) if int(t) in miner.clusters else None
                for t in merged["template_id"].to_list()
            ],
        },
        schema={"template_id": pl.Int64, "template": pl.Utf8},
    )
    return (
        merged.join(daily, on="template_id", how="left")
        .join(texts, on="template_id")
        .select(
            "template_id",
            "template",
            "first_seen",
            "last_seen",
            "line_count",
            "run_count",
            "error_line_count",
            "daily_counts",
            "example",
        )
        .sort("template_id")
    )


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
    import polars as pl

    from resync_assets.lib.patterns.joblogs import FAILED_STATUSES, joblog_lines
    from resync_assets.lib.patterns.joblogs import joblog_templates as templates_of
    from resync_assets.lib.patterns.miner import TemplateMiner

    path = lakehouse.resolved_warehouse_path()
    with writer(path, what="joblog_templates") as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"create table if not exists {SCHEMA}.joblog_template_runs (run_id varchar primary key, "
            "mined_at timestamptz)"
        )
        if not table_exists(con, "tws_raw", "joblogs"):
            return dg.MaterializeResult(
                metadata={"new_joblogs": 0, "note": "tws_raw.joblogs does not exist yet"}
            )
        miner = TemplateMiner.load(con, SCHEMA)
        before = len(miner)
        new = _new_joblogs(con)
        lines = joblog_lines(new, miner)
        fresh = templates_of(lines, miner)
        table = (
            _merge_templates(con, fresh, miner)
            if fresh.height or table_exists(con, SCHEMA, "joblog_templates")
            else fresh
        )
        con.register("templates_df", table.to_arrow())
        con.execute(f"create or replace table {SCHEMA}.joblog_templates as select * from templates_df")
        con.unregister("templates_df")
        failed = lines.filter(pl.col("internal_status").is_in(list(FAILED_STATUSES)))
        con.register("failed_df", failed.to_arrow())
        if table_exists(con, SCHEMA, "joblog_failure_lines"):
            con.execute(f"insert into {SCHEMA}.joblog_failure_lines select * from failed_df")
        else:
            con.execute(f"create table {SCHEMA}.joblog_failure_lines as select * from failed_df")
        con.unregister("failed_df")
        miner.save(con, SCHEMA)
        ids = new.column("run_id").to_pylist()
        if ids:
            con.executemany(
                f"insert or ignore into {SCHEMA}.joblog_template_runs values (?, now())", [[i] for i in ids]
            )
        total = con.execute(f"select count(*) from {SCHEMA}.joblog_templates").fetchall()[0][0]
    context.log.info(
        "Mined %d new joblogs (%d lines): %d templates, %d new",
        len(ids),
        lines.height,
        total,
        len(miner) - before,
    )
    return dg.MaterializeResult(
        metadata={
            "new_joblogs": dg.MetadataValue.int(len(ids)),
            "new_lines": dg.MetadataValue.int(lines.height),
            "new_templates": dg.MetadataValue.int(len(miner) - before),
            "dagster/row_count": dg.MetadataValue.int(total),
        }
    )


@dg.asset(
    key=JOBLOG_PATTERN_CLUSTERS,
    group_name="patterns",
    deps=[JOBLOG_TEMPLATES],
    pool=DUCKDB_WRITER_POOL,
    kinds={"python", "duckdb"},
    description="Failed runs grouped by failure mode (`analytics.joblog_pattern_clusters`): the template "
    "of each failed run's first error line, runs, jobs affected, weekly counts, growth per week, trend.",
)
def joblog_pattern_clusters(
    context: dg.AssetExecutionContext, lakehouse: LakehouseResource
) -> dg.MaterializeResult:
    """Regroup every mined failed run by the template of its first error line."""
    import polars as pl

    from resync_assets.lib.patterns.joblogs import joblog_pattern_clusters as clusters_of
    from resync_assets.lib.patterns.miner import TemplateMiner

    path = lakehouse.resolved_warehouse_path()
    with writer(path, what="joblog_pattern_clusters") as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        if not table_exists(con, SCHEMA, "joblog_failure_lines"):
            return dg.MaterializeResult(metadata={"clusters": 0, "note": "no mined failed runs yet"})
        miner = TemplateMiner.load(con, SCHEMA)
        lines = pl.from_arrow(con.sql(f"select * from {SCHEMA}.joblog_failure_lines").to_arrow_table())
        clusters = clusters_of(lines, miner)
        con.register("clusters_df", clusters.to_arrow())
        con.execute(f"create or replace table {SCHEMA}.joblog_pattern_clusters as select * from clusters_df")
        con.unregister("clusters_df")
    top = clusters.head(10)
    md = "\n".join(
        ["| runs | trend | template |", "|---|---|---|"]
        + [
            f"| {r['runs']} | {r['trend']} | `{(r['representative_template'] or '')[:100].replace('|', '/')}` |"
            for r in top.iter_rows(named=True)
        ]
    )
    context.log.info("%d failure-mode clusters", clusters.height)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(clusters.height),
            "top_clusters": dg.MetadataValue.md(md),
        }
    )

"""The joblog pattern tables in the DuckDB warehouse (schema `analytics`): mine new joblogs, regroup
failed runs into failure modes. Plain functions over an open writer connection; the Dagster assets in
`defs/patterns` call one each.

* `analytics.joblog_template_runs` — run ids already mined (a joblog is mined once);
* `analytics.pattern_miner_*` — the template miner's state (`TemplateMiner.save/load`), so template
  ids are stable across runs;
* `analytics.joblog_templates` — one row per template, counts merged batch by batch;
* `analytics.joblog_failure_lines` — the body lines of failed runs (what the clusters are built from).

The failure-mode tables built from `joblog_failure_lines` (`joblog_pattern_clusters`,
`joblog_failure_runs`) are written by `lib/rca/failure_modes.rebuild_pattern_clusters`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from resync_assets.lib.joblog.status import FAILED_INTERNAL_STATUSES
from resync_assets.lib.warehouse import table_exists

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import polars as pl
    import pyarrow as pa

    from resync_assets.lib.patterns.miner import TemplateMiner

SCHEMA = "analytics"


@dataclass
class MiningResult:
    """What one mining pass did."""

    new_joblogs: int
    new_lines: int
    new_templates: int
    templates: int
    note: str | None = None


def new_joblogs(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Joblogs not mined yet, with the run's end time, oldest first (arrow table)."""
    runs = table_exists(con, "tws_raw", "job_runs")
    end = "coalesce(r.actual_end, j.fetched_at)" if runs else "j.fetched_at"
    join = (
        "left join (select run_id, max(actual_end) as actual_end from tws_raw.job_runs group by run_id) r "
        "on r.run_id = j.run_id"
        if runs
        else ""
    )
    done = (
        f"where not exists (select 1 from {SCHEMA}.joblog_template_runs m where m.run_id = j.run_id)"
        if table_exists(con, SCHEMA, "joblog_template_runs")
        else ""
    )
    return con.sql(
        f"select j.run_id, j.job_name, j.workstation, j.internal_status, j.text, {end} as actual_end, "
        f"j.fetched_at from tws_raw.joblogs j {join} {done} order by actual_end, j.run_id"
    ).to_arrow_table()


def merge_templates(
    con: duckdb.DuckDBPyConnection, fresh: pl.DataFrame, miner: TemplateMiner
) -> pl.DataFrame:
    """The stored `joblog_templates` plus a new batch's per-template figures (runs are mined once,
    so counts add up; a day present in both batches adds its counts)."""
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


def replace_table(con, name: str, frame) -> None:
    """Write `frame` (polars) as `analytics.<name>`, whole."""
    con.register("_resync_frame", frame.to_arrow())
    try:
        con.execute(f"create or replace table {SCHEMA}.{name} as select * from _resync_frame")
    finally:
        con.unregister("_resync_frame")


def mine_new_joblogs(con: duckdb.DuckDBPyConnection) -> MiningResult:
    """Mine the joblogs fetched since the last pass: update the miner's state, merge the template
    table, append the failed runs' body lines, remember the mined run ids. Idempotent: a joblog is
    mined once."""
    import polars as pl

    from resync_assets.lib.patterns.joblogs import joblog_lines, joblog_templates
    from resync_assets.lib.patterns.miner import TemplateMiner

    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(
        f"create table if not exists {SCHEMA}.joblog_template_runs (run_id varchar primary key, "
        "mined_at timestamptz)"
    )
    if not table_exists(con, "tws_raw", "joblogs"):
        return MiningResult(0, 0, 0, 0, note="tws_raw.joblogs does not exist yet")
    miner = TemplateMiner.load(con, SCHEMA)
    before = len(miner)
    new = new_joblogs(con)
    lines = joblog_lines(new, miner)
    fresh = joblog_templates(lines, miner)
    table = (
        merge_templates(con, fresh, miner)
        if fresh.height or table_exists(con, SCHEMA, "joblog_templates")
        else fresh
    )
    replace_table(con, "joblog_templates", table)
    failed = lines.filter(pl.col("internal_status").is_in(sorted(FAILED_INTERNAL_STATUSES)))
    con.register("_resync_failed", failed.to_arrow())
    try:
        if table_exists(con, SCHEMA, "joblog_failure_lines"):
            con.execute(f"insert into {SCHEMA}.joblog_failure_lines by name select * from _resync_failed")
        else:
            con.execute(f"create table {SCHEMA}.joblog_failure_lines as select * from _resync_failed")
    finally:
        con.unregister("_resync_failed")
    miner.save(con, SCHEMA)
    ids = new.column("run_id").to_pylist()
    if ids:
        con.executemany(
            f"insert or ignore into {SCHEMA}.joblog_template_runs values (?, now())", [[i] for i in ids]
        )
    total = con.execute(f"select count(*) from {SCHEMA}.joblog_templates").fetchall()[0][0]
    return MiningResult(len(ids), lines.height, len(miner) - before, total)

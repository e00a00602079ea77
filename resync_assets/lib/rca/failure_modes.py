"""Failure modes: failed runs grouped by the cause their joblog names (`joblog_pattern_clusters`).

A failed run's failure mode is its error line as the joblog model chooses it (`lib/joblog.errorline`,
the same choice root-cause analysis makes), keyed by the line's message with variables and entities
masked (`lib/rca/patterns.failure_mode`): never a wrapper's "step failed, rc=N". Built on the joblog
line tables of `lib/patterns/joblogs.py`; `rebuild_pattern_clusters` writes the warehouse tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from resync_assets.lib.joblog.errorline import WEAK, ErrorScanner
from resync_assets.lib.joblog.status import FAILED_INTERNAL_STATUSES
from resync_assets.lib.patterns.joblogs import (
    as_polars,
    iso_week,
    joblog_lines,
    joblog_template_daily_counts,
    joblog_templates,
    monday,
    run_time,
    trend_of,
    weekly_growth,
)
from resync_assets.lib.patterns.miner import TemplateMiner
from resync_assets.lib.rca.patterns import failure_mode
from resync_assets.lib.warehouse import table_exists

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import polars as pl
    import pyarrow as pa

SCHEMA = "analytics"


NO_OUTPUT = "(no joblog output)"
NO_SPECIFIC = "(no specific error line: only a wrapper summary or the last output line)"


def cluster_id_of(key: str) -> int:
    """Stable id of a failure-mode key (0 is the "no joblog output" cluster)."""
    if key == NO_OUTPUT:
        return 0
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:15], 16)


def run_causes(
    lines: pl.DataFrame, failed_statuses: Iterable[str] = FAILED_INTERNAL_STATUSES
) -> dict[Any, dict]:
    """Per failed run of a `joblog_lines` table: the error line the joblog model chooses and its
    failure mode. Keys: run id; values: job, ws, ts, line_no, line, template_id, mode, display,
    specific (False when only a wrapper summary or the last line was found)."""
    import polars as pl

    failed = lines.filter(pl.col("internal_status").is_in(list(failed_statuses))).sort("run_id", "line_no")
    out: dict[Any, dict] = {}
    runs: dict[Any, tuple[dict, ErrorScanner, dict[int, Any]]] = {}
    for row in failed.iter_rows(named=True):
        entry = runs.get(row["run_id"])
        if entry is None:
            meta = {"job": row["job_name"], "ws": row["workstation"], "ts": row["ts"]}
            entry = runs[row["run_id"]] = (meta, ErrorScanner(), {})
        entry[1].feed(row["line_no"], row["line"])
        entry[2][row["line_no"]] = row["template_id"]
    for run_id, (meta, scanner, templates) in runs.items():
        pick, _ = scanner.choose()
        specific = pick is not None and not pick.is_wrapper and pick.score >= WEAK
        if specific:
            mode, display = failure_mode(pick.text)
        else:
            mode = display = NO_SPECIFIC
        out[run_id] = meta | {
            "line_no": pick.line_no if pick else None,
            "line": pick.text if pick else None,
            "template_id": templates.get(pick.line_no) if pick else None,
            "mode": mode,
            "display": display,
            "specific": specific,
        }
    return out


def failure_runs(
    lines: pl.DataFrame,
    runs: pl.DataFrame | pa.Table | None = None,
    failed_statuses: Iterable[str] = FAILED_INTERNAL_STATUSES,
) -> dict[Any, dict]:
    """Every failed run's failure mode (`run_causes`), plus the failed runs of `runs` (the joblogs
    table) that printed no body line, in the "no joblog output" mode."""
    failed = set(failed_statuses)
    per_run = run_causes(lines, failed)
    if runs is not None:
        for row in as_polars(runs).iter_rows(named=True):
            if row.get("internal_status") in failed and row.get("run_id") not in per_run:
                per_run[row["run_id"]] = {
                    "job": row.get("job_name"),
                    "ws": row.get("workstation"),
                    "ts": run_time(row),
                    "line_no": None,
                    "line": None,
                    "template_id": None,
                    "mode": NO_OUTPUT,
                    "display": NO_OUTPUT,
                    "specific": False,
                }
    return per_run


def failure_runs_table(per_run: dict[Any, dict]) -> pl.DataFrame:
    """`failure_runs` as the `joblog_failure_runs` table: run_id, cluster_id, failure_mode,
    representative_template, error_line_number, error_line, specific."""
    import polars as pl

    schema = {
        "run_id": pl.Utf8,
        "cluster_id": pl.Int64,
        "failure_mode": pl.Utf8,
        "representative_template": pl.Utf8,
        "error_line_number": pl.Int64,
        "error_line": pl.Utf8,
        "specific": pl.Boolean,
    }
    rows = [
        (
            str(run_id),
            cluster_id_of(r["mode"]),
            r["mode"],
            r["display"],
            r.get("line_no"),
            (r.get("line") or None) and r["line"][:500],
            bool(r.get("specific")),
        )
        for run_id, r in per_run.items()
    ]
    return pl.DataFrame(rows, schema=schema, orient="row")


def joblog_pattern_clusters(
    lines: pl.DataFrame,
    miner: TemplateMiner | None = None,
    runs: pl.DataFrame | pa.Table | None = None,
    failed_statuses: Iterable[str] = FAILED_INTERNAL_STATUSES,
    per_run: dict[Any, dict] | None = None,
) -> pl.DataFrame:
    """The `joblog_pattern_clusters` table: failed runs grouped by failure mode.

    A failed run's failure mode is its error line as the joblog model chooses it (the same line
    root-cause analysis reports: the first real error, never the wrapper's "step failed, rc=N"
    that restates it), keyed by the line's message with its variables and entities masked
    (`failure_mode`). Runs whose output holds only a wrapper summary form one "no specific error
    line" cluster; runs without any body line form the "no joblog output" cluster (id 0). `runs`
    (optional, the joblogs table) adds failed runs that produced no body lines. `miner` is not
    needed (kept for callers that pass it). `per_run`: the result of `failure_runs` when the caller
    already has it.

    Columns: cluster_id (stable hash of the key), template_id (the miner's template of the
    cluster's most common error line), representative_template (the failure mode, masks shown as
    `…`), failure_mode (the masked key), example (one real error line), runs, jobs_affected, jobs
    (list), workstations (list), weekly (list of {week, week_start, runs}), first_seen, last_seen,
    growth_per_week (0.3 = +30 %/week, Poisson fit over the weeks from the cluster's first week to
    the last week in the data; null with one week), trend, summary.
    """
    import polars as pl

    if per_run is None:
        per_run = failure_runs(lines, runs, failed_statuses)

    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run_id, run in per_run.items():
        groups[run["mode"]].append({"run_id": run_id, **run})

    all_ts = [r["ts"] for rs in groups.values() for r in rs if r["ts"] is not None]
    last_monday = monday(max(all_ts).date()) if all_ts else None
    out: dict[str, list[Any]] = defaultdict(list)
    for key in sorted(groups):
        members = groups[key]
        stamps = sorted(r["ts"] for r in members if r["ts"] is not None)
        jobs = sorted({r["job"] for r in members if r["job"] is not None})
        per_week: dict[dt.date, int] = defaultdict(int)
        for ts in stamps:
            per_week[monday(ts.date())] += 1
        weekly = []
        growth = None
        if stamps and last_monday is not None:
            week = monday(stamps[0].date())
            series = []
            while week <= last_monday:
                series.append(per_week.get(week, 0))
                weekly.append({"week": iso_week(week), "week_start": week, "runs": per_week.get(week, 0)})
                week += dt.timedelta(days=7)
            growth = weekly_growth(series)
        tids = Counter(r["template_id"] for r in members if r.get("template_id") is not None)
        lines_seen = Counter(r["line"] for r in members if r.get("line"))
        display = members[0]["display"]
        trend = trend_of(growth)
        out["cluster_id"].append(cluster_id_of(key))
        out["template_id"].append(int(tids.most_common(1)[0][0]) if tids else None)
        out["representative_template"].append(display)
        out["failure_mode"].append(key)
        out["example"].append(lines_seen.most_common(1)[0][0][:500] if lines_seen else None)
        out["runs"].append(len(members))
        out["jobs_affected"].append(len(jobs))
        out["jobs"].append(jobs)
        out["workstations"].append(sorted({r["ws"] for r in members if r["ws"] is not None}))
        out["weekly"].append(weekly)
        out["first_seen"].append(stamps[0] if stamps else None)
        out["last_seen"].append(stamps[-1] if stamps else None)
        out["growth_per_week"].append(growth)
        out["trend"].append(trend)
        out["summary"].append(_summary(display, len(members), jobs, stamps, trend, growth))
    schema = {
        "cluster_id": pl.Int64,
        "template_id": pl.Int64,
        "representative_template": pl.Utf8,
        "failure_mode": pl.Utf8,
        "example": pl.Utf8,
        "runs": pl.Int64,
        "jobs_affected": pl.Int64,
        "jobs": pl.List(pl.Utf8),
        "workstations": pl.List(pl.Utf8),
        "weekly": pl.List(pl.Struct({"week": pl.Utf8, "week_start": pl.Date, "runs": pl.Int64})),
        "first_seen": pl.Datetime("us", "UTC"),
        "last_seen": pl.Datetime("us", "UTC"),
        "growth_per_week": pl.Float64,
        "trend": pl.Utf8,
        "summary": pl.Utf8,
    }
    return pl.DataFrame({name: out.get(name, []) for name in schema}, schema=schema).sort(
        ["runs", "cluster_id"], descending=[True, False]
    )


def _summary(
    template: str, runs: int, jobs: list[str], stamps: list[dt.datetime], trend: str, growth: float | None
) -> str:
    shown = ", ".join(jobs[:3]) + (f" and {len(jobs) - 3} more" if len(jobs) > 3 else "")
    text = f"{template!r}: {runs} failed run{'s' if runs != 1 else ''} of {len(jobs)} job"
    text += ("s" if len(jobs) != 1 else "") + (f" ({shown})" if shown else "")
    if stamps:
        text += f", {stamps[0]:%Y-%m-%d} to {stamps[-1]:%Y-%m-%d}"
    if growth is None:
        return text + "; seen in one week only"
    if trend == "stable":
        return text + f"; stable ({growth * 100:+.0f} %/week)"
    return text + f"; {trend} {abs(growth) * 100:.0f} %/week"


def build_pattern_tables(
    joblogs: pl.DataFrame | pa.Table, miner: TemplateMiner | None = None
) -> dict[str, pl.DataFrame]:
    """All joblog pattern tables from one joblogs table: joblog_lines, joblog_templates,
    joblog_template_daily_counts and joblog_pattern_clusters (keys are the table names)."""
    miner = miner if miner is not None else TemplateMiner()
    lines = joblog_lines(joblogs, miner)
    return {
        "joblog_lines": lines,
        "joblog_templates": joblog_templates(lines, miner),
        "joblog_template_daily_counts": joblog_template_daily_counts(lines),
        "joblog_pattern_clusters": joblog_pattern_clusters(lines, miner, runs=joblogs),
    }


def rebuild_pattern_clusters(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """Regroup every mined failed run by failure mode into `analytics.joblog_pattern_clusters` and
    `analytics.joblog_failure_runs` (each failed run's mode and error line; both written whole);
    failed runs with a joblog but no body line join the "no joblog output" cluster. None when nothing
    has been mined yet (`lib/patterns/store.mine_new_joblogs` keeps the failed runs' lines)."""
    import polars as pl

    from resync_assets.lib.patterns.store import replace_table

    con.execute(f"create schema if not exists {SCHEMA}")
    if not table_exists(con, SCHEMA, "joblog_failure_lines"):
        return None
    lines = pl.from_arrow(con.sql(f"select * from {SCHEMA}.joblog_failure_lines").to_arrow_table())
    runs = None
    if table_exists(con, "tws_raw", "joblogs") and table_exists(con, SCHEMA, "joblog_template_runs"):
        statuses = ", ".join(f"'{s}'" for s in sorted(FAILED_INTERNAL_STATUSES))
        runs = con.sql(
            "select j.run_id, j.job_name, j.workstation, j.internal_status, j.fetched_at "
            f"from tws_raw.joblogs j semi join {SCHEMA}.joblog_template_runs m on m.run_id = j.run_id "
            f"where j.internal_status in ({statuses})"
        ).to_arrow_table()
    per_run = failure_runs(lines, runs)
    clusters = joblog_pattern_clusters(lines, per_run=per_run)
    replace_table(con, "joblog_pattern_clusters", clusters)
    replace_table(con, "joblog_failure_runs", failure_runs_table(per_run))
    return clusters


def clusters_markdown(clusters: pl.DataFrame, limit: int = 10) -> str:
    """The top failure modes as a Markdown table (Dagster metadata)."""
    rows = ["| runs | trend | failure mode |", "|---|---|---|"]
    for r in clusters.head(limit).iter_rows(named=True):
        text = (r["representative_template"] or "")[:100].replace("|", "/").replace("`", "'")
        rows.append(f"| {r['runs']} | {r['trend']} | `{text}` |")
    return "\n".join(rows)

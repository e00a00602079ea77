"""Joblog pattern tables: body extraction, template mining, failure-mode clusters and trends.

Pure functions over tables (polars in, polars out) that the Dagster assets call:

* :func:`joblog_body_lines` / :func:`extract_error_lines` read one joblog's text with the joblog
  model (`lib/joblog`: header/trailer banners and the jobmanrc preamble are dropped);
* :func:`joblog_lines` mines every body line of a `tws_raw.joblogs` table with a
  :class:`~resync_assets.lib.patterns.miner.TemplateMiner` (the only stateful step: pass a miner
  loaded from DuckDB to keep template ids stable across runs);
* :func:`joblog_templates`, :func:`joblog_template_daily_counts` aggregate those lines;
* :func:`joblog_pattern_clusters` groups failed runs by failure mode: the error line the joblog
  model chooses (`lib/joblog.errorline`, the same choice root-cause analysis makes), keyed by its
  masked message (`lib/rca/patterns.failure_mode`), never a wrapper's "step failed, rc=N".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from resync_assets.lib.joblog.errorline import WEAK, ErrorScanner, score_line
from resync_assets.lib.joblog.layout import body_lines
from resync_assets.lib.joblog.status import FAILED_INTERNAL_STATUSES
from resync_assets.lib.patterns.miner import TemplateMiner
from resync_assets.lib.rca.patterns import failure_mode

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl
    import pyarrow as pa


def joblog_body_lines(text: str | None) -> list[tuple[int, str]]:
    """Body lines of a joblog as ``(line_no, line)``, 1-based numbers of the original text (the
    joblog model's `body_lines`: header, trailer, banners, preamble and empty lines dropped)."""
    return body_lines(text)


def is_error_line(line: str) -> bool:
    """True when `line` carries error evidence by the joblog model's scoring (`score_line`)."""
    ev = score_line(line)
    return ev is not None and ev.score >= WEAK


def extract_error_lines(text: str | None) -> list[tuple[int, str]]:
    """Error lines of a joblog body as ``(line_no, line)``, in order (see :func:`is_error_line`)."""
    return [(n, line) for n, line in joblog_body_lines(text) if is_error_line(line)]


# --------------------------------------------------------------------------- tables


def _as_polars(table: Any) -> pl.DataFrame:
    import polars as pl

    if isinstance(table, pl.DataFrame):
        return table
    return pl.from_arrow(table)  # type: ignore[return-value]


def _run_time(row: dict[str, Any]) -> dt.datetime | None:
    value = row.get("actual_end") or row.get("fetched_at")
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def joblog_lines(joblogs: pl.DataFrame | pa.Table, miner: TemplateMiner | None = None) -> pl.DataFrame:
    """One row per joblog body line with its template id.

    Input: a `tws_raw.joblogs`-shaped table with run_id, job_name, workstation, internal_status,
    text and actual_end or fetched_at (the run's time). Runs are mined in time order so template
    ids do not depend on the input's row order. Output columns: run_id, job_name, workstation,
    internal_status, ts (UTC), line_no, line, is_error, template_id. `miner` learns the lines (a
    fresh one when omitted); save it afterwards to keep ids stable.
    """
    import polars as pl

    miner = miner if miner is not None else TemplateMiner()
    df = _as_polars(joblogs)
    rows = df.to_dicts()
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    rows.sort(key=lambda r: (_run_time(r) or epoch, str(r.get("run_id"))))
    cols: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        ts = _run_time(row)
        body = joblog_body_lines(row.get("text"))
        if not body:
            continue
        ids = miner.add_many((line for _, line in body), ts=ts)
        for (line_no, line), tid in zip(body, ids):
            cols["run_id"].append(row.get("run_id"))
            cols["job_name"].append(row.get("job_name"))
            cols["workstation"].append(row.get("workstation"))
            cols["internal_status"].append(row.get("internal_status"))
            cols["ts"].append(ts)
            cols["line_no"].append(line_no)
            cols["line"].append(line)
            cols["is_error"].append(is_error_line(line))
            cols["template_id"].append(tid)
    schema = {
        "run_id": pl.Utf8,
        "job_name": pl.Utf8,
        "workstation": pl.Utf8,
        "internal_status": pl.Utf8,
        "ts": pl.Datetime("us", "UTC"),
        "line_no": pl.Int64,
        "line": pl.Utf8,
        "is_error": pl.Boolean,
        "template_id": pl.Int64,
    }
    return pl.DataFrame({name: cols.get(name, []) for name in schema}, schema=schema)


def joblog_templates(lines: pl.DataFrame, miner: TemplateMiner) -> pl.DataFrame:
    """The `joblog_templates` table: one row per template seen in `lines`.

    Columns: template_id, template (final text, variables as ``<*>``), first_seen, last_seen,
    line_count, run_count, error_line_count, daily_counts (list of {day, count}), example.
    """
    import polars as pl

    daily = joblog_template_daily_counts(lines)
    daily_lists = daily.group_by("template_id").agg(
        pl.struct("day", "count").sort_by("day").alias("daily_counts")
    )
    agg = lines.group_by("template_id").agg(
        pl.col("ts").min().alias("first_seen"),
        pl.col("ts").max().alias("last_seen"),
        pl.len().cast(pl.Int64).alias("line_count"),
        pl.col("run_id").n_unique().cast(pl.Int64).alias("run_count"),
        pl.col("is_error").sum().cast(pl.Int64).alias("error_line_count"),
        pl.col("line").first().alias("example"),
    )
    texts = pl.DataFrame(
        {
            "template_id": [int(t) for t in agg["template_id"].to_list()],
            "template": [miner.template_of(int(t)) for t in agg["template_id"].to_list()],
        },
        schema={"template_id": pl.Int64, "template": pl.Utf8},
    )
    return (
        agg.join(texts, on="template_id", how="left")
        .join(daily_lists, on="template_id", how="left")
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


def joblog_template_daily_counts(lines: pl.DataFrame) -> pl.DataFrame:
    """Lines per template per UTC day: columns template_id, day, count."""
    import polars as pl

    return (
        lines.filter(pl.col("ts").is_not_null())
        .group_by("template_id", pl.col("ts").dt.date().alias("day"))
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .sort("template_id", "day")
    )


def weekly_growth(counts: list[int]) -> float | None:
    """Relative growth per week of consecutive weekly `counts` (0.3 = +30 %/week).

    Fits counts ~ Poisson(exp(a + b*week)) by Newton's method, so zero weeks are fine and an exact
    geometric series returns its ratio minus one. None with fewer than two weeks or no events.
    """
    n = len(counts)
    total = sum(counts)
    if n < 2 or total <= 0:
        return None
    a, b = math.log(total / n), 0.0
    for _ in range(100):
        mus = [math.exp(a + b * t) for t in range(n)]
        g0 = sum(y - m for y, m in zip(counts, mus))
        g1 = sum(t * (y - m) for t, (y, m) in enumerate(zip(counts, mus)))
        h00 = sum(mus)
        h01 = sum(t * m for t, m in enumerate(mus))
        h11 = sum(t * t * m for t, m in enumerate(mus))
        det = h00 * h11 - h01 * h01
        if det <= 0:
            break
        da = (h11 * g0 - h01 * g1) / det
        db = (h00 * g1 - h01 * g0) / det
        a, b = a + da, max(-3.0, min(3.0, b + db))
        if abs(da) < 1e-10 and abs(db) < 1e-10:
            break
    return math.exp(b) - 1.0


def _trend(growth: float | None) -> str:
    if growth is None:
        return "new"
    if growth >= 0.1:
        return "increasing"
    if growth <= -0.1:
        return "decreasing"
    return "stable"


def _iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


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


def joblog_pattern_clusters(
    lines: pl.DataFrame,
    miner: TemplateMiner | None = None,
    runs: pl.DataFrame | pa.Table | None = None,
    failed_statuses: Iterable[str] = FAILED_INTERNAL_STATUSES,
) -> pl.DataFrame:
    """The `joblog_pattern_clusters` table: failed runs grouped by failure mode.

    A failed run's failure mode is its error line as the joblog model chooses it (the same line
    root-cause analysis reports: the first real error, never the wrapper's "step failed, rc=N"
    that restates it), keyed by the line's message with its variables and entities masked
    (`failure_mode`). Runs whose output holds only a wrapper summary form one "no specific error
    line" cluster; runs without any body line form the "no joblog output" cluster (id 0). `runs`
    (optional, the joblogs table) adds failed runs that produced no body lines. `miner` is not
    needed (kept for callers that pass it).

    Columns: cluster_id (stable hash of the key), template_id (the miner's template of the
    cluster's most common error line), representative_template (the failure mode, masks shown as
    `…`), failure_mode (the masked key), example (one real error line), runs, jobs_affected, jobs
    (list), workstations (list), weekly (list of {week, week_start, runs}), first_seen, last_seen,
    growth_per_week (0.3 = +30 %/week, Poisson fit over the weeks from the cluster's first week to
    the last week in the data; null with one week), trend, summary.
    """
    import polars as pl

    failed = set(failed_statuses)
    per_run = run_causes(lines, failed)
    if runs is not None:
        for row in _as_polars(runs).iter_rows(named=True):
            if row.get("internal_status") in failed and row.get("run_id") not in per_run:
                per_run[row["run_id"]] = {
                    "job": row.get("job_name"),
                    "ws": row.get("workstation"),
                    "ts": _run_time(row),
                    "line": None,
                    "template_id": None,
                    "mode": NO_OUTPUT,
                    "display": NO_OUTPUT,
                }

    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run_id, run in per_run.items():
        groups[run["mode"]].append({"run_id": run_id, **run})

    all_ts = [r["ts"] for rs in groups.values() for r in rs if r["ts"] is not None]
    last_monday = _monday(max(all_ts).date()) if all_ts else None
    out: dict[str, list[Any]] = defaultdict(list)
    for key in sorted(groups):
        members = groups[key]
        stamps = sorted(r["ts"] for r in members if r["ts"] is not None)
        jobs = sorted({r["job"] for r in members if r["job"] is not None})
        per_week: dict[dt.date, int] = defaultdict(int)
        for ts in stamps:
            per_week[_monday(ts.date())] += 1
        weekly = []
        growth = None
        if stamps and last_monday is not None:
            week = _monday(stamps[0].date())
            series = []
            while week <= last_monday:
                series.append(per_week.get(week, 0))
                weekly.append({"week": _iso_week(week), "week_start": week, "runs": per_week.get(week, 0)})
                week += dt.timedelta(days=7)
            growth = weekly_growth(series)
        tids = Counter(r["template_id"] for r in members if r.get("template_id") is not None)
        lines_seen = Counter(r["line"] for r in members if r.get("line"))
        display = members[0]["display"]
        trend = _trend(growth)
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

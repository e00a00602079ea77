"""Joblog pattern tables: body extraction, template mining, failure-mode clusters and trends.

Pure functions over tables (polars in, polars out) that the Dagster assets call:

* :func:`joblog_body_lines` / :func:`extract_error_lines` read one joblog's text with the joblog
  model (`lib/joblog`: header/trailer banners and the jobmanrc preamble are dropped);
* :func:`joblog_lines` mines every body line of a `tws_raw.joblogs` table with a
  :class:`~resync_assets.lib.patterns.miner.TemplateMiner` (the only stateful step: pass a miner
  loaded from DuckDB to keep template ids stable across runs);
* :func:`joblog_templates`, :func:`joblog_template_daily_counts` aggregate those lines.

Failed runs grouped by failure mode (`joblog_pattern_clusters`) are analysis built on these tables:
`lib/rca/failure_modes.py`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from resync_assets.lib.joblog.errorline import WEAK, score_line
from resync_assets.lib.joblog.layout import body_lines
from resync_assets.lib.patterns.miner import TemplateMiner

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


def as_polars(table: Any) -> pl.DataFrame:
    """`table` as a polars DataFrame (arrow tables are converted)."""
    import polars as pl

    if isinstance(table, pl.DataFrame):
        return table
    return pl.from_arrow(table)  # type: ignore[return-value]


def run_time(row: dict[str, Any]) -> dt.datetime | None:
    """The run's time in UTC: its end, else when its joblog was fetched."""
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
    df = as_polars(joblogs)
    rows = df.to_dicts()
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    rows.sort(key=lambda r: (run_time(r) or epoch, str(r.get("run_id"))))
    cols: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        ts = run_time(row)
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


def trend_of(growth: float | None) -> str:
    """new / increasing / decreasing / stable for a weekly growth (None: one week only)."""
    if growth is None:
        return "new"
    if growth >= 0.1:
        return "increasing"
    if growth <= -0.1:
        return "decreasing"
    return "stable"


def iso_week(day: dt.date) -> str:
    """`2025-W02`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday(day: dt.date) -> dt.date:
    """The Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())

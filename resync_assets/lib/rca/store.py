"""The incident tables in the DuckDB warehouse (schema `analytics`).

* `incident_analyses` — one row per failed run (ABEND / FAIL / ERROR in `tws_raw.job_runs`), key
  `run_id`; re-analysed when its joblog arrives after a first analysis without one.
* `incident_notifications` — one row per newly analysed failed run, for the UI and the report
  (`seen` false until someone marks it).
* `incident_calibration` — every fitted calibration map, newest last.
* `incident_resolutions` — see `resolutions`.

`load_context` turns these tables into an `AnalysisContext` (calibration updated with resolution
outcomes, similar-incident index with resolutions attached, the template miner), used both by the
Dagster asset and by `resync analyze`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from resync_assets.lib.joblog.status import FAILED_INTERNAL_STATUSES
from resync_assets.lib.rca import resolutions as res_store
from resync_assets.lib.rca.calibration import Calibration, default_calibration
from resync_assets.lib.rca.engine import Analysis, AnalysisContext, analyze
from resync_assets.lib.rca.similarity import PastIncident, SimilarityIndex
from resync_assets.lib.warehouse import table_exists

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from resync_assets.lib.llm.client import LlmAnalyst

SCHEMA = "analytics"
FAILED_STATUSES = tuple(sorted(FAILED_INTERNAL_STATUSES))
MAX_INDEX_ROWS = 50_000
LLM_LIMIT = 100  # analyses per pass that may consult the LLM (the most recent failures)

_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.incident_analyses (
    run_id varchar primary key,
    job_name varchar, workstation varchar, job_stream varchar, plan_id varchar, internal_status varchar,
    ended_at timestamptz, analysed_at timestamptz, has_joblog boolean,
    error_line_number integer, error_line varchar, family varchar, category varchar, signature_id varchar,
    cause varchar, explanation varchar, files varchar[], hosts varchar[], db_objects varchar[],
    steps varchar, confidence double, raw_score double, exit_status integer, transient boolean,
    pattern_key varchar, template_id bigint, evidence varchar[], similar_incidents varchar, llm varchar,
    failure_mode varchar
);
alter table {SCHEMA}.incident_analyses add column if not exists failure_mode varchar;
create table if not exists {SCHEMA}.incident_notifications (
    run_id varchar primary key, job_name varchar, family varchar, cause varchar, confidence double,
    created_at timestamptz, seen boolean
);
create table if not exists {SCHEMA}.incident_calibration (
    fitted_at timestamptz, source varchar, observations double, map varchar
);
"""

COLUMNS = (
    "run_id",
    "job_name",
    "workstation",
    "job_stream",
    "plan_id",
    "internal_status",
    "ended_at",
    "analysed_at",
    "has_joblog",
    "error_line_number",
    "error_line",
    "family",
    "category",
    "signature_id",
    "cause",
    "explanation",
    "files",
    "hosts",
    "db_objects",
    "steps",
    "confidence",
    "raw_score",
    "exit_status",
    "transient",
    "pattern_key",
    "template_id",
    "evidence",
    "similar_incidents",
    "llm",
    "failure_mode",
)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the incident tables when missing."""
    con.execute(_DDL)
    res_store.ensure_table(con)


def stored_calibration(con) -> Calibration:
    """The newest stored calibration map, else the packaged default."""
    if table_exists(con, SCHEMA, "incident_calibration"):
        row = (
            con.execute(
                f"select map from {SCHEMA}.incident_calibration order by fitted_at desc limit 1"
            ).fetchall()[:1]
            or [None]
        )[0]
        if row:
            try:
                return Calibration.from_json(row[0])
            except (ValueError, KeyError):
                pass
    return default_calibration()


def learned_calibration(con, base: Calibration | None = None) -> Calibration:
    """The calibration map plus the (raw score, outcome) pairs of recorded resolutions."""
    cal = base or stored_calibration(con)
    cal = Calibration.from_json(cal.to_json())
    pairs = [
        (r.raw_score, r.outcome == "correct")
        for r in res_store.load(con)
        if r.outcome in res_store.OUTCOMES and r.raw_score is not None
    ]
    if pairs:
        cal.update(pairs)
        cal.source = f"{cal.source} + {len(pairs)} resolutions"
    return cal


def save_calibration(con, cal: Calibration) -> None:
    """Append a fitted map."""
    ensure_tables(con)
    con.execute(
        f"insert into {SCHEMA}.incident_calibration values (?, ?, ?, ?)",
        [datetime.now(UTC), cal.source, cal.n, cal.to_json()],
    )


def load_index(con) -> SimilarityIndex:
    """Past incidents (analyses and resolutions) as a similarity index."""
    index = SimilarityIndex()
    if table_exists(con, SCHEMA, "incident_analyses"):
        rows = con.execute(
            f"select run_id, job_name, family, signature_id, pattern_key, template_id, error_line, cause, ended_at "
            f"from {SCHEMA}.incident_analyses where error_line is not null order by ended_at desc nulls last "
            f"limit {MAX_INDEX_ROWS}"
        ).fetchall()
        for row in reversed(rows):
            index.add(
                PastIncident(*row[:5], template_id=row[5], error_line=row[6], cause=row[7], ended_at=row[8])
            )
    for r in res_store.load(con):
        past = PastIncident(
            r.run_id,
            r.job_name,
            r.family,
            r.signature_id,
            r.pattern_key,
            r.template_id,
            r.error_line,
            r.cause,
            r.recorded_at,
        )
        index.attach_resolution(r.run_id, r.as_dict(), fallback=past)
    return index


def load_miner(con):
    """The template miner saved by `joblog_templates` (None when there is none)."""
    if not table_exists(con, SCHEMA, "pattern_miner_state"):
        return None
    from resync_assets.lib.patterns.miner import TemplateMiner

    return TemplateMiner.load(con, SCHEMA)


def load_known_ok(con, limit_runs: int = 2000, jobs: list[str] | None = None) -> dict[str, set[str]]:
    """Pattern keys of lines printed by successful runs of each job (or of `jobs` only), from the
    sampled successful joblogs, if any."""
    from resync_assets.lib.joblog.layout import LayoutTracker, iter_lines
    from resync_assets.lib.rca.patterns import pattern_key

    out: dict[str, set[str]] = {}
    if not table_exists(con, "tws_raw", "joblogs"):
        return out
    only = "and job_name in (select unnest(?))" if jobs is not None else ""
    rows = con.execute(
        f"select job_name, text from tws_raw.joblogs where internal_status = 'SUCC' and text is not null {only} "
        f"order by fetched_at desc limit {int(limit_runs)}",
        [jobs] if jobs is not None else [],
    ).fetchall()
    for job, text in rows:
        layout = LayoutTracker()
        keys = out.setdefault(job, set())
        for n, line in iter_lines(text[:1_000_000]):
            if layout.feed(n, line) and len(keys) < 5000:
                keys.add(pattern_key(line))
    return out


def load_context(con, *, with_miner: bool = True, jobs: list[str] | None = None) -> AnalysisContext:
    """Everything the record knows, for analysing new failures (successful-run lines of `jobs` only,
    when given: the CLI analyses one job)."""
    return AnalysisContext(
        calibration=learned_calibration(con),
        index=load_index(con),
        miner=load_miner(con) if with_miner else None,
        known_ok=load_known_ok(con, jobs=jobs),
    )


def _row(a: Analysis, run: dict[str, Any], has_joblog: bool) -> list[Any]:
    values = {
        "run_id": a.run_id,
        "job_name": a.job_name or run.get("job_name"),
        "workstation": a.workstation or run.get("workstation"),
        "job_stream": a.job_stream or run.get("job_stream_name"),
        "plan_id": run.get("plan_id"),
        "internal_status": run.get("internal_status"),
        "ended_at": run.get("actual_end"),
        "analysed_at": datetime.now(UTC),
        "has_joblog": has_joblog,
        "error_line_number": a.error_line_number,
        "error_line": a.error_line,
        "family": a.family,
        "category": a.category,
        "signature_id": a.signature_id,
        "cause": a.cause,
        "explanation": a.explanation,
        "files": a.files,
        "hosts": a.hosts,
        "db_objects": a.db_objects,
        "steps": json.dumps(a.steps),
        "confidence": a.confidence,
        "raw_score": a.raw_score,
        "exit_status": a.exit_status if a.exit_status is not None else run.get("return_code"),
        "transient": a.transient,
        "pattern_key": a.pattern_key,
        "template_id": a.template_id,
        "evidence": a.evidence,
        "similar_incidents": json.dumps(a.similar, default=str),
        "llm": json.dumps(a.llm),
        "failure_mode": a.failure_mode,
    }
    return [values[c] for c in COLUMNS]


def pending_failed_runs(con, limit: int | None = None) -> list[dict[str, Any]]:
    """Failed runs with no analysis yet, or analysed before their joblog arrived; oldest first."""
    if not table_exists(con, "tws_raw", "job_runs"):
        return []
    has_logs = table_exists(con, "tws_raw", "joblogs")
    log_join = "left join tws_raw.joblogs j on j.run_id = r.run_id" if has_logs else ""
    log_cols = (
        "j.text, j.run_id is not null as has_joblog" if has_logs else "null as text, false as has_joblog"
    )
    done = table_exists(con, SCHEMA, "incident_analyses")
    pending = (
        (
            f"and not exists (select 1 from {SCHEMA}.incident_analyses a where a.run_id = r.run_id "
            f"and (a.has_joblog or {'j.run_id is null' if has_logs else 'true'}))"
        )
        if done
        else ""
    )
    statuses = ", ".join(f"'{s}'" for s in FAILED_STATUSES)
    sql = (
        f"select r.run_id, r.job_name, r.workstation, r.job_stream_name, r.plan_id, r.internal_status, "
        f"r.actual_end, r.return_code, {log_cols} from tws_raw.job_runs r {log_join} "
        f"where r.internal_status in ({statuses}) {pending} order by r.actual_end nulls last, r.run_id"
    )
    if limit:
        sql += f" limit {int(limit)}"
    cols = [
        "run_id",
        "job_name",
        "workstation",
        "job_stream_name",
        "plan_id",
        "internal_status",
        "actual_end",
        "return_code",
        "text",
        "has_joblog",
    ]
    return [dict(zip(cols, row)) for row in con.execute(sql).fetchall()]


def analyse_failed_runs(
    con,
    *,
    llm: LlmAnalyst | None = None,
    limit: int | None = None,
    context: AnalysisContext | None = None,
    llm_limit: int = LLM_LIMIT,
) -> list[Analysis]:
    """Analyse every pending failed run, upsert `incident_analyses`, add notifications; oldest first.

    All on `con`: the LLM is consulted while the caller holds the connection. The Dagster asset
    uses `lib/rca/refresh.refresh_warehouse` instead, which holds the writer only to read and to store.
    """
    ensure_tables(con)
    ctx = context or load_context(con)
    analysed = analyse_runs(pending_failed_runs(con, limit), ctx, llm=llm, llm_limit=llm_limit)
    save_analyses(con, analysed)
    return [a for a, _ in analysed]


def analyse_runs(
    pending: list[dict[str, Any]],
    ctx: AnalysisContext,
    *,
    llm: LlmAnalyst | None = None,
    llm_limit: int = LLM_LIMIT,
) -> list[tuple[Analysis, dict[str, Any]]]:
    """Analyse `pending` runs (as `pending_failed_runs` returns them) without touching the warehouse:
    (analysis, run) pairs, oldest first, for `save_analyses`.

    Each new analysis joins the similar-incident index before the next one, so a burst of failures
    of one pattern links to its earlier members. At most `llm_limit` analyses consult the LLM (the
    most recent failures), so a backlog cannot turn into hours of model calls; the analyst's own
    breaker and time budget bound a slow or failing endpoint further. The joblog text is dropped
    from each run once analysed.
    """
    if ctx.index is None:
        ctx.index = SimilarityIndex()
    out: list[tuple[Analysis, dict[str, Any]]] = []
    first_llm = max(0, len(pending) - llm_limit)
    for i, run in enumerate(pending):
        text = run.get("text")
        a = analyze(
            text or "",
            run_id=run["run_id"],
            job_name=run.get("job_name"),
            context=ctx,
            llm=llm if i >= first_llm else None,
            ended_at=run.get("actual_end"),
        )
        if not text:
            a.cause = f"no joblog fetched yet ({run.get('internal_status')}, rc={run.get('return_code')})"
            a.evidence = ["no joblog"]
        run = {**run, "text": None}
        if a.error_line:
            ctx.index.add(
                PastIncident(
                    a.run_id,
                    a.job_name or run.get("job_name"),
                    a.family,
                    a.signature_id,
                    a.pattern_key,
                    a.template_id,
                    a.error_line,
                    a.cause,
                    run.get("actual_end"),
                )
            )
        out.append((a, run))
    return out


def save_analyses(con, analysed: Iterable[tuple[Analysis, dict[str, Any]]]) -> None:
    """Upsert the (analysis, run) pairs of `analyse_runs` into `incident_analyses` and add their
    notifications (one per run, kept when it already exists); the last pair of a run wins."""
    ensure_tables(con)
    rows = {a.run_id: _row(a, run, bool(run.get("has_joblog"))) for a, run in analysed}
    if not rows:
        return
    cols = ", ".join(COLUMNS)
    # One statement per table from an Arrow batch, not two per run: a row-by-row upsert took ~45 ms
    # per run (4.8 s for 100 runs) under the writer lock, the batch ~1 ms.
    import pyarrow as pa

    values = list(rows.values())
    batch = pa.table({c: [row[i] for row in values] for i, c in enumerate(COLUMNS)})  # noqa: F841 - read by SQL
    con.execute(
        f"create or replace temp table _incident_batch as select {cols} from {SCHEMA}.incident_analyses limit 0"
    )
    try:
        con.execute(f"insert into _incident_batch ({cols}) select {cols} from batch")
        con.execute(
            f"insert or replace into {SCHEMA}.incident_analyses ({cols}) select {cols} from _incident_batch"
        )
        con.execute(
            f"insert or ignore into {SCHEMA}.incident_notifications "
            "select run_id, job_name, family, cause, confidence, ?, false from _incident_batch",
            [datetime.now(UTC)],
        )
    finally:
        con.execute("drop table if exists _incident_batch")


def summary_markdown(analyses: Iterable[Analysis], limit: int = 20) -> str:
    """A Markdown table of analyses for the Dagster UI, newest first (`analyses` come oldest first,
    as `analyse_failed_runs` returns them)."""
    rows = list(analyses)[::-1]
    if not rows:
        return "No new failed runs."
    lines = ["| run | job | family | cause | confidence |", "|---|---|---|---|---|"]
    for a in rows[:limit]:
        cause = (a.cause or "").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")[:120]
        lines.append(
            f"| `{(a.run_id or '')[:13]}` | {a.job_name or ''} | {a.family} | {cause} | {a.confidence:.2f} |"
        )
    if len(rows) > limit:
        lines.append(f"\n… and {len(rows) - limit} more.")
    return "\n".join(lines)


def quantiles(values: list[float]) -> dict[str, float]:
    """min / p10 / median / p90 / max of `values` (empty dict for none)."""
    if not values:
        return {}
    xs = sorted(values)

    def q(p: float) -> float:
        k = p * (len(xs) - 1)
        lo = int(k)
        hi = min(lo + 1, len(xs) - 1)
        return round(xs[lo] + (xs[hi] - xs[lo]) * (k - lo), 4)

    return {"n": len(xs), "min": xs[0], "p10": q(0.1), "median": q(0.5), "p90": q(0.9), "max": xs[-1]}


def confidence_spread(analyses: Iterable[Analysis]) -> dict[str, Any]:
    """How confidence is spread, overall and per family: quantiles and a 10-bin histogram (counts of
    confidences in [0, 0.1), ..., [0.9, 1.0])."""
    rows = list(analyses)
    hist = [0] * 10
    by_family: dict[str, list[float]] = {}
    for a in rows:
        hist[min(9, int(a.confidence * 10))] += 1
        by_family.setdefault(a.family, []).append(a.confidence)
    return {
        "all": quantiles([a.confidence for a in rows]),
        "histogram_0_to_1_by_0_1": hist,
        "by_family": {f: quantiles(v) for f, v in sorted(by_family.items())},
    }

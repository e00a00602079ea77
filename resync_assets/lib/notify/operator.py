"""The operator's actions on incidents: list, show, acknowledge, resolve.

* `analytics.incident_acks` — one row per acknowledged run (`run_id`, `acked_at`, `acked_by`,
  `note`); acknowledging also marks the run's `analytics.incident_notifications` row as seen.
* resolutions go to `analytics.incident_resolutions` through `lib.rca.resolutions` (their outcome
  feeds the calibration; later analyses show them with similar incidents).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from resync_assets.lib.warehouse import table_exists

SCHEMA = "analytics"
ACKS = "incident_acks"
NO_FIX = "(not recorded)"

_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.{ACKS} (
    run_id varchar primary key, acked_at timestamptz not null, acked_by varchar, note varchar
);
"""


@dataclass
class IncidentRow:
    """A line of `resync incidents list`."""

    run_id: str
    ended_at: dt.datetime | None
    job_name: str | None
    workstation: str | None
    family: str | None
    cause: str | None
    confidence: float | None
    state: str  # open | acked | resolved

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _state_sql(con) -> str:
    resolved = (
        "exists (select 1 from analytics.incident_resolutions s where s.run_id = a.run_id)"
        if table_exists(con, SCHEMA, "incident_resolutions") else "false"
    )  # fmt: skip
    acked = (
        f"exists (select 1 from {SCHEMA}.{ACKS} k where k.run_id = a.run_id)"
        if table_exists(con, SCHEMA, ACKS) else "false"
    )  # fmt: skip
    return f"case when {resolved} then 'resolved' when {acked} then 'acked' else 'open' end"


def list_incidents(
    con,
    *,
    open_only: bool = False,
    since: dt.datetime | None = None,
    job: str | None = None,
    limit: int | None = 50,
) -> list[IncidentRow]:
    """Analysed incidents, newest first; `open_only` leaves out the resolved ones."""
    if not table_exists(con, SCHEMA, "incident_analyses"):
        return []
    state = _state_sql(con)
    where, params = ["true"], []
    if open_only:
        where.append(f"{state} <> 'resolved'")
    if since is not None:
        where.append("a.ended_at >= ?")
        params.append(since)
    if job:
        where.append("a.job_name = ?")
        params.append(job)
    sql = (
        f"select a.run_id, a.ended_at, a.job_name, a.workstation, a.family, a.cause, a.confidence, {state} "
        f"from {SCHEMA}.incident_analyses a where {' and '.join(where)} order by a.ended_at desc nulls last, a.run_id"
    )
    if limit:
        sql += f" limit {int(limit)}"
    return [IncidentRow(*r) for r in con.execute(sql, params).fetchall()]


def _rows(con, sql: str, params: list) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def incident_detail(con, run_id: str) -> dict[str, Any] | None:
    """Everything known about one incident: analysis, evidence, similar incidents with their
    resolutions, notifications, acknowledgement and resolutions."""
    if not table_exists(con, SCHEMA, "incident_analyses"):
        return None
    rows = _rows(con, f"select * from {SCHEMA}.incident_analyses where run_id = ?", [run_id])
    if not rows:
        return None
    a = rows[0]
    for key in ("steps", "similar_incidents", "llm"):
        try:
            a[key] = json.loads(a[key]) if a.get(key) else ([] if key != "llm" else {})
        except ValueError:
            pass
    # Resolutions recorded since the analysis was made, for the similar incidents.
    resolutions: dict[str, list[dict[str, Any]]] = {}
    if table_exists(con, SCHEMA, "incident_resolutions"):
        for r in _rows(
            con,
            f"select run_id, cause, fix, outcome, resolved_by, recorded_at from {SCHEMA}.incident_resolutions "
            "where run_id in (select unnest(?)) order by recorded_at",
            [[run_id, *[s.get("run_id") for s in a.get("similar_incidents") or [] if isinstance(s, dict)]]],
        ):
            resolutions.setdefault(r.pop("run_id"), []).append(r)
    for s in a.get("similar_incidents") or []:
        if isinstance(s, dict) and not s.get("resolution") and resolutions.get(s.get("run_id")):
            s["resolution"] = resolutions[s["run_id"]][-1]
    a["resolutions"] = resolutions.get(run_id, [])
    a["acknowledged"] = None
    if table_exists(con, SCHEMA, ACKS):
        acks = _rows(con, f"select acked_at, acked_by, note from {SCHEMA}.{ACKS} where run_id = ?", [run_id])
        a["acknowledged"] = acks[0] if acks else None
    a["notifications"] = []
    if table_exists(con, SCHEMA, "incident_deliveries"):
        a["notifications"] = _rows(
            con,
            f"select channel, status, attempts, sent_at, last_error from {SCHEMA}.incident_deliveries "
            "where run_id = ? order by channel",
            [run_id],
        )
    a["state"] = "resolved" if a["resolutions"] else ("acked" if a["acknowledged"] else "open")
    return a


def render_detail(a: dict[str, Any]) -> str:
    """`resync incidents show` as text."""
    out = []
    ended = a["ended_at"].strftime("%Y-%m-%d %H:%M:%S UTC") if a.get("ended_at") else "?"
    out.append(f"Incident {a['run_id']} [{a['state']}]")
    out.append(f"  job: {a.get('job_name')} on {a.get('workstation')} (stream {a.get('job_stream')}), "
               f"{a.get('internal_status')} rc={a.get('exit_status')}, ended {ended}")  # fmt: skip
    if a.get("error_line"):
        out.append(f"  error line {a.get('error_line_number')}: {a['error_line']}")
    conf = a.get("confidence")
    out.append(
        f"  cause: {a.get('cause')} ({a.get('family')}/{a.get('category')}"
        + (f", confidence {conf:.2f})" if conf is not None else ")")
    )
    if a.get("explanation"):
        out.append(f"  why: {a['explanation']}")
    for label, key in (("files", "files"), ("hosts", "hosts"), ("DB objects", "db_objects")):
        if a.get(key):
            out.append(f"  {label}: {', '.join(a[key])}")
    if a.get("steps"):
        out.append("  fix steps:")
        for i, s in enumerate(a["steps"], 1):
            cmd = f"\n       $ {s['command']}" if s.get("command") else ""
            out.append(f"    {i}. {s.get('text')}{cmd}")
    if a.get("evidence"):
        out.append("  evidence: " + "; ".join(a["evidence"]))
    similar = [s for s in a.get("similar_incidents") or [] if isinstance(s, dict)]
    if similar:
        out.append("  similar past incidents:")
        for s in similar:
            res = s.get("resolution")
            fix = f"\n       resolved: {res.get('cause')}; fix: {res.get('fix')}" if res else ""
            score = s.get("score")
            out.append(f"    - {s.get('run_id')} {s.get('job_name') or ''} ({s.get('ended_at') or '?'}"
                       + (f", similarity {score:.2f})" if isinstance(score, (int, float)) else ")") + fix)  # fmt: skip
    for n in a.get("notifications") or []:
        err = f": {n['last_error']}" if n.get("last_error") else ""
        out.append(f"  notified by {n['channel']}: {n['status']} after {n['attempts']} attempt(s){err}")
    if a.get("acknowledged"):
        k = a["acknowledged"]
        note = f" — {k['note']}" if k.get("note") else ""
        out.append(f"  acknowledged {k['acked_at']:%Y-%m-%d %H:%M} UTC by {k.get('acked_by') or '?'}{note}")
    for r in a.get("resolutions") or []:
        out.append(f"  resolved {r['recorded_at']:%Y-%m-%d %H:%M} UTC by {r.get('resolved_by') or '?'} "
                   f"(analysis {r.get('outcome') or 'not judged'}): cause {r['cause']}; fix {r['fix']}")  # fmt: skip
    if a["state"] != "resolved":
        out.append(
            f"  resolve: resync incidents resolve {a['run_id']} --outcome correct|incorrect --fix '...'"
        )
    return "\n".join(out) + "\n"


def _require_analysis(con, run_id: str) -> None:
    if (
        not table_exists(con, SCHEMA, "incident_analyses")
        or not con.execute(f"select 1 from {SCHEMA}.incident_analyses where run_id = ?", [run_id]).fetchall()
    ):
        raise LookupError(f"no analysed incident with run id {run_id}")


def acknowledge(
    con, run_id: str, *, by: str | None = None, note: str | None = None, now: dt.datetime | None = None
) -> bool:
    """Acknowledge an analysed incident; False when it already was (the first acknowledgement is kept)."""
    _require_analysis(con, run_id)
    con.execute(_DDL)
    if con.execute(f"select 1 from {SCHEMA}.{ACKS} where run_id = ?", [run_id]).fetchall():
        return False
    con.execute(
        f"insert into {SCHEMA}.{ACKS} values (?, ?, ?, ?)", [run_id, now or dt.datetime.now(dt.UTC), by, note]
    )
    if table_exists(con, SCHEMA, "incident_notifications"):
        con.execute(f"update {SCHEMA}.incident_notifications set seen = true where run_id = ?", [run_id])
    return True


def resolve(
    con,
    run_id: str,
    *,
    outcome: str | None,
    cause: str | None = None,
    fix: str | None = None,
    resolved_by: str | None = None,
    note: str | None = None,
    joblog: str | Path | None = None,
):
    """Record a resolution (`lib.rca.resolutions.record`, idempotent); returns (Resolution, added).

    The resolution carries the incident's pattern (from its analysis, else from analysing `joblog`
    or the warehouse's joblog) so later incidents of that pattern find it. With outcome 'correct' the
    cause defaults to the analysis' cause; with 'incorrect' a cause is required. Resolving also
    acknowledges the incident (with `note`).
    """
    from resync_assets.lib.rca import resolutions as res_store
    from resync_assets.lib.rca import store

    store.ensure_tables(con)
    row = con.execute(
        "select job_name, family, signature_id, pattern_key, template_id, error_line, raw_score, cause "
        f"from {store.SCHEMA}.incident_analyses where run_id = ?",
        [run_id],
    ).fetchall()
    pattern = row[0][:7] if row else None
    analysed_cause = row[0][7] if row else None
    if pattern is None:
        source: Any = Path(joblog) if joblog else _warehouse_joblog(con, run_id)
        if source is not None:
            from resync_assets.lib.rca.engine import AnalysisContext, analyze

            a = analyze(
                source, run_id=run_id, context=AnalysisContext(calibration=store.stored_calibration(con))
            )
            pattern = (
                a.job_name,
                a.family,
                a.signature_id,
                a.pattern_key,
                a.template_id,
                a.error_line,
                a.raw_score,
            )
            analysed_cause = a.cause
    if not cause:
        if outcome == "correct" and analysed_cause:
            cause = analysed_cause
        else:
            raise ValueError(
                "give --cause: the real cause is needed when the analysis was not correct or is missing"
            )
    res = res_store.Resolution(
        run_id=run_id, cause=cause, fix=fix or NO_FIX, outcome=outcome, resolved_by=resolved_by
    )
    if pattern is not None:
        (res.job_name, res.family, res.signature_id, res.pattern_key, res.template_id, res.error_line,
         res.raw_score) = pattern  # fmt: skip
    added = res_store.record(con, res)
    if row:
        acknowledge(con, run_id, by=resolved_by, note=note)
    return res, added


def _warehouse_joblog(con, run_id: str) -> str | None:
    if not table_exists(con, "tws_raw", "joblogs"):
        return None
    rows = con.execute("select text from tws_raw.joblogs where run_id = ? limit 1", [run_id]).fetchall()
    return rows[0][0] if rows else None

"""Recorded resolutions: what an operator found and did, kept append-only in DuckDB.

`analytics.incident_resolutions` holds one row per distinct resolution (the id hashes run id, cause,
fix, outcome and author, so recording the same resolution twice is a no-op). Each row carries the
pattern of the incident it resolves (job, family, signature, pattern key, template id, raw score), so
later incidents of the same pattern find it even when the original analysis is gone, and the
calibration learns from its outcome.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

SCHEMA = "analytics"
TABLE = "incident_resolutions"
OUTCOMES = ("correct", "incorrect")

_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.{TABLE} (
    resolution_id varchar primary key,
    run_id varchar not null,
    cause varchar not null,
    fix varchar not null,
    outcome varchar,
    resolved_by varchar,
    recorded_at timestamptz not null,
    job_name varchar,
    family varchar,
    signature_id varchar,
    pattern_key varchar,
    template_id bigint,
    error_line varchar,
    raw_score double
)
"""


@dataclass
class Resolution:
    """One recorded resolution."""

    run_id: str
    cause: str
    fix: str
    outcome: str | None = None
    resolved_by: str | None = None
    recorded_at: datetime | None = None
    job_name: str | None = None
    family: str | None = None
    signature_id: str | None = None
    pattern_key: str | None = None
    template_id: int | None = None
    error_line: str | None = None
    raw_score: float | None = None

    @property
    def resolution_id(self) -> str:
        """Content hash: the same resolution recorded twice has the same id."""
        raw = "\x1f".join(
            [self.run_id, self.cause.strip(), self.fix.strip(), self.outcome or "", self.resolved_by or ""]
        )
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]

    def as_dict(self) -> dict:
        """Fields shown with a similar incident."""
        return {
            "cause": self.cause,
            "fix": self.fix,
            "outcome": self.outcome,
            "resolved_by": self.resolved_by,
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
            "run_id": self.run_id,
        }


def ensure_table(con) -> None:
    """Create the schema and table when missing."""
    con.execute(_DDL)


def record(con, res: Resolution) -> bool:
    """Append `res` unless the identical resolution is already recorded; True when a row was added."""
    if res.outcome is not None and res.outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    ensure_table(con)
    rid = res.resolution_id
    if (
        con.execute(f"select 1 from {SCHEMA}.{TABLE} where resolution_id = ?", [rid]).fetchall()[:1] or [None]
    )[0]:
        return False
    when = res.recorded_at or datetime.now(UTC)
    con.execute(
        f"insert into {SCHEMA}.{TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            rid,
            res.run_id,
            res.cause,
            res.fix,
            res.outcome,
            res.resolved_by,
            when,
            res.job_name,
            res.family,
            res.signature_id,
            res.pattern_key,
            res.template_id,
            res.error_line,
            res.raw_score,
        ],
    )
    return True


def load(con) -> list[Resolution]:
    """Every recorded resolution, oldest first (empty when the table does not exist)."""
    try:
        rows = con.execute(
            f"select run_id, cause, fix, outcome, resolved_by, recorded_at, job_name, family, signature_id, "
            f"pattern_key, template_id, error_line, raw_score from {SCHEMA}.{TABLE} order by recorded_at"
        ).fetchall()
    except Exception as exc:
        if "does not exist" in str(exc) or "Catalog Error" in str(exc):
            return []
        raise
    return [Resolution(*row) for row in rows]

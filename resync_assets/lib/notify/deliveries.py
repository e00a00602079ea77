"""Delivery records in the warehouse: what was sent, when, to whom, and what failed.

* `analytics.report_deliveries` — one row per (iso_week, channel): the weekly report's e-mail
  (`channel` 'email', status 'sent' or 'failed') or its dry-run file (`channel` 'eml', status
  'written'). A 'sent' e-mail row is what makes sending idempotent per ISO week.
* `analytics.incident_deliveries` — one row per (run_id, channel): the operator's notification of a
  failed run by 'email' or 'webhook'; status 'sent', 'failed' (retried at the next poll until
  `attempts` reaches the limit, then 'abandoned') or 'skipped' (too old when first seen).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SCHEMA = "analytics"
REPORT_TABLE = "report_deliveries"
INCIDENT_TABLE = "incident_deliveries"

_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.{REPORT_TABLE} (
    iso_week varchar not null, channel varchar not null, recipients varchar, message_id varchar,
    sent_at timestamptz, status varchar not null, attempts integer, error varchar, path varchar,
    primary key (iso_week, channel)
);
create table if not exists {SCHEMA}.{INCIDENT_TABLE} (
    run_id varchar not null, channel varchar not null, status varchar not null, attempts integer not null,
    last_error varchar, first_attempt_at timestamptz, last_attempt_at timestamptz, sent_at timestamptz,
    batch_size integer, primary key (run_id, channel)
);
"""


def ensure_tables(con) -> None:
    """Create both delivery tables when missing."""
    con.execute(_DDL)


@dataclass
class ReportDelivery:
    """A row of analytics.report_deliveries."""

    iso_week: str
    channel: str
    recipients: str | None
    message_id: str | None
    sent_at: dt.datetime | None
    status: str
    attempts: int | None = None
    error: str | None = None
    path: str | None = None


def report_delivery(con, iso_week: str, channel: str = "email") -> ReportDelivery | None:
    """The recorded delivery of a week's report on a channel, if any."""
    from resync_assets.lib.warehouse import table_exists

    if not table_exists(con, SCHEMA, REPORT_TABLE):
        return None
    rows = con.execute(
        f"select iso_week, channel, recipients, message_id, sent_at, status, attempts, error, path "
        f"from {SCHEMA}.{REPORT_TABLE} where iso_week = ? and channel = ?",
        [iso_week, channel],
    ).fetchall()
    return ReportDelivery(*rows[0]) if rows else None


def record_report_delivery(con, d: ReportDelivery) -> None:
    """Insert or replace the (iso_week, channel) row."""
    ensure_tables(con)
    con.execute(
        f"insert or replace into {SCHEMA}.{REPORT_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [d.iso_week, d.channel, d.recipients, d.message_id, d.sent_at, d.status, d.attempts, d.error, d.path],
    )


def last_report_sent(con) -> ReportDelivery | None:
    """The newest weekly report sent by e-mail (None when none was, or the table does not exist)."""
    from resync_assets.lib.warehouse import table_exists

    if not table_exists(con, SCHEMA, REPORT_TABLE):
        return None
    rows = con.execute(
        f"select iso_week, channel, recipients, message_id, sent_at, status, attempts, error, path "
        f"from {SCHEMA}.{REPORT_TABLE} where status = 'sent' order by sent_at desc limit 1"
    ).fetchall()
    return ReportDelivery(*rows[0]) if rows else None


def record_incident_attempt(
    con,
    run_id: str,
    channel: str,
    *,
    ok: bool,
    error: str | None,
    now: dt.datetime,
    max_attempts: int,
    batch_size: int = 1,
    attempts: int = 1,
) -> str:
    """Add `attempts` to the (run_id, channel) record; returns its new status."""  # fmt: skip
    ensure_tables(con)
    row = con.execute(
        f"select attempts, first_attempt_at from {SCHEMA}.{INCIDENT_TABLE} where run_id = ? and channel = ?",
        [run_id, channel],
    ).fetchall()
    total = (row[0][0] if row else 0) + attempts
    first = row[0][1] if row else now
    status = "sent" if ok else ("abandoned" if total >= max_attempts else "failed")
    con.execute(
        f"insert or replace into {SCHEMA}.{INCIDENT_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, channel, status, total, None if ok else error, first, now, now if ok else None, batch_size],
    )
    return status


def record_incident_skipped(con, run_ids: list[str], channel: str, now: dt.datetime, reason: str) -> None:
    """Mark runs as not to be notified on `channel` (e.g. failures older than the notification window)."""
    ensure_tables(con)
    for run_id in run_ids:
        con.execute(
            f"insert or ignore into {SCHEMA}.{INCIDENT_TABLE} values (?, ?, 'skipped', 0, ?, ?, ?, null, 0)",
            [run_id, channel, reason, now, now],
        )

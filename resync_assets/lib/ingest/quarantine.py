"""Per-item failure: what could not be fetched or parsed, with its reason, kept in ``<dataset>.quarantine``.

One row per (``source``, ``item_id``, ``field``): ``source`` is the table the item was meant for
(``job_runs``, ``job_streams``, ``workstations``, ``joblogs``), ``item_id`` the run, stream or
workstation id (for an item without one, its job and position, e.g. ``job J1 run #2``), ``field`` the
JSON field that could not be used (empty when the whole item failed, e.g. a joblog fetch), ``reason``
and ``value`` what went wrong. An item is retried on later polls: a plan with quarantined runs is
never closed, so it is read again; a quarantined joblog is asked for again once ``next_attempt_at``
has passed (exponential backoff on ``attempts``). When a later poll gets the item right the row gets
``resolved_at``; rows are kept as the history of what went wrong. Nothing here holds back the other
items of a load.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

from resync_assets.lib.warehouse import read_only, table_exists, writer

TABLE = "quarantine"

SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("field", pa.string(), nullable=False),
        ("plan_id", pa.string()),
        ("job_id", pa.string()),
        ("reason", pa.string()),
        ("value", pa.string()),
        ("attempts", pa.int64()),
        ("first_failed_at", pa.timestamp("us", tz="UTC")),
        ("last_failed_at", pa.timestamp("us", tz="UTC")),
        ("next_attempt_at", pa.timestamp("us", tz="UTC")),
        ("resolved_at", pa.timestamp("us", tz="UTC")),
    ]
)

_MAX_TEXT = 500


@dataclasses.dataclass(frozen=True)
class Reject:
    """One item (or one field of an item) that a load could not use, and why."""

    source: str
    item_id: str
    reason: str
    field: str = ""
    plan_id: str | None = None
    job_id: str | None = None
    value: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """(source, item_id, field): one quarantine row."""
        return self.source, self.item_id, self.field

    def describe(self) -> str:
        """One line naming the item, the field and the reason."""
        where = f"{self.source} {self.item_id}" + (f" field {self.field}" if self.field else "")
        if self.job_id and self.job_id not in self.item_id:
            where += f" (job {self.job_id})"
        return f"{where}: {self.reason}"


def _clip(text: object) -> str | None:
    if text is None:
        return None
    text = str(text)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def backoff_seconds(attempts: int, base_seconds: float, max_seconds: float) -> float:
    """Seconds before item with ``attempts`` failures is asked for again: base * 2^(attempts-1), capped."""
    return min(max_seconds, base_seconds * (2 ** max(0, min(attempts - 1, 30))))


_DDL = f"""
create table if not exists "{{dataset}}"."{TABLE}" (
    source varchar not null, item_id varchar not null, field varchar not null,
    plan_id varchar, job_id varchar, reason varchar, value varchar, attempts bigint,
    first_failed_at timestamptz, last_failed_at timestamptz, next_attempt_at timestamptz,
    resolved_at timestamptz, primary key (source, item_id, field))
"""


def record(
    warehouse_path: Path,
    dataset: str,
    rejects: Iterable[Reject],
    resolved: Iterable[tuple[str, str, str]],
    now: dt.datetime,
    *,
    backoff_base_seconds: float = 300.0,
    backoff_max_seconds: float = 6 * 3600.0,
    lock_timeout_seconds: float = 600.0,
) -> tuple[int, int]:
    """Write this poll's ``rejects`` (new rows, or one more attempt of an open or resolved one) and
    mark the ``resolved`` keys (source, item_id, field) as resolved. Returns (rejected, resolved)."""
    latest: dict[tuple[str, str, str], Reject] = {}
    for reject in rejects:
        latest[reject.key] = reject
    done = [key for key in dict.fromkeys(resolved) if key not in latest]
    if not latest and not done and not Path(warehouse_path).exists():
        return 0, 0
    resolved_count = 0
    with writer(warehouse_path, lock_timeout_seconds=lock_timeout_seconds, what="quarantine") as con:
        con.execute(f'create schema if not exists "{dataset}"')
        con.execute(_DDL.format(dataset=dataset))
        table = f'"{dataset}"."{TABLE}"'
        if latest:
            keys = pa.table(
                {
                    "source": [k[0] for k in latest],
                    "item_id": [k[1] for k in latest],
                    "field": [k[2] for k in latest],
                }
            )
            con.register("q_keys", keys)
            try:
                old = {
                    (s, i, f): a or 0
                    for s, i, f, a in con.execute(
                        f"select q.source, q.item_id, q.field, q.attempts from {table} q "
                        "join q_keys k using (source, item_id, field)"
                    ).fetchall()
                }
            finally:
                con.unregister("q_keys")
            rows = []
            for key, reject in latest.items():
                attempts = old.get(key, 0) + 1
                wait = dt.timedelta(
                    seconds=backoff_seconds(attempts, backoff_base_seconds, backoff_max_seconds)
                )
                rows.append(
                    {
                        "source": reject.source,
                        "item_id": reject.item_id,
                        "field": reject.field,
                        "plan_id": reject.plan_id,
                        "job_id": reject.job_id,
                        "reason": _clip(reject.reason),
                        "value": _clip(reject.value),
                        "attempts": attempts,
                        "first_failed_at": now,
                        "last_failed_at": now,
                        "next_attempt_at": now + wait,
                        "resolved_at": None,
                    }
                )
            con.register("q_new", pa.Table.from_pylist(rows, schema=SCHEMA))
            try:
                con.execute(
                    f"""insert into {table} select * from q_new
                        on conflict (source, item_id, field) do update set
                          plan_id = excluded.plan_id, job_id = excluded.job_id, reason = excluded.reason,
                          value = excluded.value, attempts = excluded.attempts,
                          last_failed_at = excluded.last_failed_at, next_attempt_at = excluded.next_attempt_at,
                          resolved_at = null"""
                )
            finally:
                con.unregister("q_new")
        if done:
            con.register(
                "q_done",
                pa.table(
                    {
                        "source": [k[0] for k in done],
                        "item_id": [k[1] for k in done],
                        "field": [k[2] for k in done],
                    }
                ),
            )
            try:
                resolved_count = con.execute(
                    f"""update {table} q set resolved_at = $now
                        from q_done d
                        where q.source = d.source and q.item_id = d.item_id and q.field = d.field
                          and q.resolved_at is null""",
                    {"now": now},
                ).fetchall()[0][0]
            finally:
                con.unregister("q_done")
    return len(latest), int(resolved_count or 0)


def open_items(warehouse_path: Path, dataset: str, source: str | None = None) -> list[dict]:
    """The unresolved quarantine rows (of ``source`` when given), oldest first."""
    with read_only(warehouse_path) as con:
        if con is None or not table_exists(con, dataset, TABLE):
            return []
        where = "resolved_at is null" + (" and source = ?" if source else "")
        cur = con.execute(
            f'select * from "{dataset}"."{TABLE}" where {where} order by first_failed_at, source, item_id, field',
            [source] if source else [],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def summary(con, dataset: str = "tws_raw", examples: int = 5) -> dict | None:
    """Open quarantine items on connection ``con``: ``{"open": n, "by_source": {...}, "examples": [...],
    "resolved": n}``, or None when the table does not exist yet (no ingest since it was added)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [dataset, TABLE],
    ).fetchone()[0]
    if not exists:
        return None
    table = f'"{dataset}"."{TABLE}"'
    by_source = dict(
        con.execute(
            f"select source, count(*) from {table} where resolved_at is null group by source order by source"
        ).fetchall()
    )
    resolved = con.execute(f"select count(*) from {table} where resolved_at is not null").fetchone()[0]
    rows = con.execute(
        f"""select source, item_id, field, job_id, reason, attempts from {table} where resolved_at is null
            order by first_failed_at, source, item_id limit ?""",
        [examples],
    ).fetchall()
    return {
        "open": sum(by_source.values()),
        "by_source": by_source,
        "resolved": resolved,
        "examples": [
            Reject(source, item_id, reason or "", field=field, job_id=job_id).describe()
            + f" ({attempts} tries)"
            for source, item_id, field, job_id, reason, attempts in rows
        ],
    }

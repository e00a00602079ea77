"""Read-side helpers on the DuckDB warehouse: counts, change detection, joblog targets, lake export.

Each helper opens its own short-lived connection and closes it before returning, so no connection is
left open while dlt (the one writer) loads.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa

from resync_assets.lib.ingest.records import JOB_RUN_COLUMNS
from resync_assets.lib.ingest.runs_arrow import JOB_RUNS_SCHEMA
from resync_assets.lib.ingest.source import TERMINAL_COMMON_STATUSES, JoblogTarget, NoBaseline
from resync_assets.lib.warehouse import connect_read_only, read_only, table_exists

_INTERNAL_COLUMNS = ("_dlt_load_id", "_dlt_id")


def table_counts(warehouse_path: Path, dataset: str, tables: Iterable[str]) -> dict[str, int]:
    """Row count of each table (0 when missing)."""
    out = {t: 0 for t in tables}
    with read_only(warehouse_path) as con:
        if con is None:
            return out
        for table in out:
            if table_exists(con, dataset, table):
                out[table] = con.execute(f'select count(*) from "{dataset}"."{table}"').fetchall()[0][0]
    return out


def missing_tables(warehouse_path: Path, dataset: str, tables: Iterable[str]) -> list[str]:
    """The ``tables`` of ``dataset`` that do not exist (all of them when there is no warehouse)."""
    with read_only(warehouse_path) as con:
        return [t for t in tables if con is None or not table_exists(con, dataset, t)]


class DuckDbBaseline:
    """Compares fetched runs with ``<dataset>.job_runs``: emits only new or changed ones.

    A changed run keeps the ``first_seen_at`` the warehouse holds; ``last_seen_at`` becomes the load
    time. Content is compared column by column (``IS DISTINCT FROM``), never by a stored hash, so it
    stays right across library upgrades. Plans are ordered by their own time (the latest scheduled
    time of their runs: ``source.plan_time``), never by parsing ids: the source tells the times of the
    plans it reads (``note_plan_time``), the warehouse gives those of the plans it holds.
    """

    def __init__(self, warehouse_path: Path, dataset: str = "tws_raw", plan_id_format: str = "%Y-%m-%d"):
        self.warehouse_path = Path(warehouse_path)
        self.dataset = dataset
        self.plan_id_format = plan_id_format
        # One read-only connection for a whole extraction (the warehouse does not change while dlt
        # extracts: it loads afterwards); opened lazily, released by ``close``.
        self._con: duckdb.DuckDBPyConnection | None = None
        self._opened = False
        self._columns: set[str] | None = None
        self._noted: dict[str, str] = {}
        self._stored_times: dict[str, str] | None = None

    def note_plan_time(self, plan_id: str, when: str) -> None:
        """The time (ISO text) of a plan this extraction read, which orders it against stored plans."""
        self._noted[plan_id] = when

    def _register_plan_times(self, con: duckdb.DuckDBPyConnection) -> None:
        if self._stored_times is None:
            self._stored_times = {
                plan: when.isoformat()
                for plan, when in con.execute(
                    f'select plan_id, max(sched_time) from "{self.dataset}".job_runs '
                    "where plan_id is not null and sched_time is not null group by plan_id"
                ).fetchall()
            }
        merged = {**self._stored_times, **self._noted}
        con.register(
            "plan_times",
            pa.table(
                {
                    "plan_id": pa.array(list(merged), pa.string()),
                    "t": pa.array(list(merged.values()), pa.string()).cast(pa.timestamp("us", tz="UTC")),
                }
            ),
        )

    def _connection(self) -> tuple[duckdb.DuckDBPyConnection | None, set[str] | None]:
        # (connection, job_runs columns) — (None, None) when there is no warehouse or no job_runs.
        if not self._opened:
            self._opened = True
            if self.warehouse_path.exists():
                con = connect_read_only(self.warehouse_path)
                if table_exists(con, self.dataset, "job_runs"):
                    self._con = con
                    self._columns = {
                        r[0]
                        for r in con.execute(
                            "select column_name from information_schema.columns "
                            "where table_schema = ? and table_name = ?",
                            [self.dataset, "job_runs"],
                        ).fetchall()
                    }
                else:
                    con.close()
        return self._con, self._columns

    def close(self) -> None:
        """Release the connection (call before anything writes the warehouse); reopened when used again."""
        if self._con is not None:
            self._con.close()
        self._con, self._columns, self._opened = None, None, False
        self._stored_times = None

    def in_newer_plans(self, run_ids: Sequence[str], plan_id: str) -> set[str]:
        """The ``run_ids`` stored with a plan newer than ``plan_id``."""
        if not run_ids:
            return set()
        con, _ = self._connection()
        if con is None:
            return set()
        con.register("asked_runs", pa.table({"run_id": pa.array(list(run_ids), pa.string())}))
        self._register_plan_times(con)
        try:
            rows = con.execute(
                f'''select e.run_id from "{self.dataset}".job_runs e join asked_runs a using (run_id)
                    left join plan_times pe on pe.plan_id = e.plan_id
                    where e.plan_id is distinct from $plan
                      and pe.t > (select t from plan_times where plan_id = $plan)''',
                {"plan": plan_id},
            ).fetchall()
        finally:
            con.unregister("asked_runs")
            con.unregister("plan_times")
        return {r[0] for r in rows}

    def changed_runs(self, fetched: pa.Table, seen_at: dt.datetime) -> tuple[pa.Table, int, int]:
        """(rows to load, number new, number changed) for ``fetched`` (``JOB_RUN_CONTENT_SCHEMA``)."""
        if fetched.num_rows == 0:
            return JOB_RUNS_SCHEMA.empty_table(), 0, 0
        con, existing = self._connection()
        if con is None or existing is None:
            return NoBaseline().changed_runs(fetched, seen_at)
        if True:
            compared = [c for c in JOB_RUN_COLUMNS if c != "run_id" and c in existing]
            # A column the warehouse lacks counts as changed, so the next load fills it.
            differs = " or ".join([f'f."{c}" is distinct from e."{c}"' for c in compared] or ["false"])
            if len(compared) < len(JOB_RUN_COLUMNS) - 1:
                differs = "true"
            con.register("fetched_runs", fetched)
            self._register_plan_times(con)
            try:
                cols = ", ".join(f'f."{c}"' for c in JOB_RUN_COLUMNS)
                result = con.sql(
                    f"""
                    select {cols},
                           coalesce(e.first_seen_at, $seen) as first_seen_at,
                           $seen as last_seen_at,
                           e.run_id is null as is_new
                    from fetched_runs f
                    left join "{self.dataset}".job_runs e on e.run_id = f.run_id
                    left join plan_times pf on pf.plan_id = f.plan_id
                    left join plan_times pe on pe.plan_id = e.plan_id
                    where e.run_id is null
                       or (coalesce(pf.t >= pe.t, true) and ({differs}))
                    """,
                    params={"seen": seen_at},
                ).to_arrow_table()
            finally:
                con.unregister("fetched_runs")
                con.unregister("plan_times")
        new = int(pa.compute.sum(result["is_new"]).as_py() or 0) if result.num_rows else 0
        rows = result.drop_columns(["is_new"]).cast(JOB_RUNS_SCHEMA)
        return rows, new, result.num_rows - new


def joblog_targets(
    warehouse_path: Path,
    dataset: str,
    statuses: Sequence[str],
    success_sample_rate: float,
    now: dt.datetime | None = None,
) -> list[JoblogTarget]:
    """Runs whose joblog is due: failed ones (and a stable sample of successful ones) not yet fetched,
    leaving out those in quarantine until their ``next_attempt_at`` (when ``now`` is given).

    The sample keeps a run when ``md5(run_id)`` falls in the first ``success_sample_rate`` of the hash
    range, so the same runs are chosen on every load.
    """
    with read_only(warehouse_path) as con:
        if con is None or not table_exists(con, dataset, "job_runs"):
            return []
        clauses = []
        params: list = []
        if statuses:
            clauses.append(f"r.internal_status in ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        if success_sample_rate > 0:
            clauses.append("(r.common_status = 'SUCCESSFUL' and md5_number(r.run_id) % 1000000 < ?)")
            params.append(round(success_sample_rate * 1_000_000))
        if not clauses:
            return []
        not_fetched = ""
        if table_exists(con, dataset, "joblogs"):
            not_fetched = f'and not exists (select 1 from "{dataset}".joblogs j where j.run_id = r.run_id)'
        if now is not None and table_exists(con, dataset, "quarantine"):
            not_fetched += (
                f" and not exists (select 1 from \"{dataset}\".quarantine q where q.source = 'joblogs' "
                "and q.item_id = r.run_id and q.resolved_at is null and q.next_attempt_at > ?)"
            )
        terminal = ", ".join(f"'{s}'" for s in sorted(TERMINAL_COMMON_STATUSES))
        rows = con.execute(
            f"""
            select r.run_id, r.job_id, r.job_name, r.workstation, r.plan_id, r.internal_status, r.actual_end
            from "{dataset}".job_runs r
            where ({" or ".join(clauses)}) and r.common_status in ({terminal}) {not_fetched}
            order by r.actual_end nulls last, r.run_id
            """,
            params + ([now] if now is not None and "quarantine q" in not_fetched else []),
        ).fetchall()
    return [JoblogTarget(*row) for row in rows]


# Columns that move forward whenever a row is written, newest first in preference: the export compares
# their maximum (with the row count) to tell whether a part of a table changed.
_CHANGE_STAMPS = ("_dlt_load_id", "last_seen_at", "fetched_at", "snapshot_at")
_PARTITION = "plan_id"
_NULL_PART = f"{_PARTITION}=__HIVE_DEFAULT_PARTITION__"  # where DuckDB puts NULL plan ids
_MANIFEST = "_manifest.json"


def export_lake(
    warehouse_path: Path, dataset: str, lake_dir: Path, tables: Iterable[str], memory_limit: str | None = None
) -> list[Path]:
    """Write each existing table as Parquet under ``lake_dir/<dataset>/<table>/``, rewriting only what changed.

    A table with a ``plan_id`` column is partitioned by it (``plan_id=<id>/<table>_<n>.parquet``, every
    column kept in each file, NULL ids under ``plan_id=__HIVE_DEFAULT_PARTITION__``), so a poll
    rewrites the few plan days it touched, not the whole history; other tables are one
    ``<table>.parquet``. A part is rewritten when its row count, the maximum of its change stamp
    (``_dlt_load_id``, ``last_seen_at``, ``fetched_at`` or ``snapshot_at``) or the table's columns
    differ from what ``_manifest.json`` recorded (a table with no stamp is always rewritten); a
    partition whose rows are all gone is removed. Every file is written under a temporary name and
    renamed into place, so a reader sees a complete file, old or new. ``memory_limit`` caps DuckDB's
    memory for the export (a partitioned write buffers rows per open partition). Returns the files written.
    """
    written: list[Path] = []
    # Flushing each partition's rows sooner keeps a backfill's export (hundreds of days) small.
    config = {"partitioned_write_flush_threshold": 65_536}
    if memory_limit:
        config["memory_limit"] = memory_limit
    with read_only(warehouse_path, config) as con:
        if con is None:
            return written
        for table in tables:
            if table_exists(con, dataset, table):
                written += _export_table(con, dataset, table, Path(lake_dir) / dataset / table)
    return written


def _export_table(con: duckdb.DuckDBPyConnection, dataset: str, table: str, folder: Path) -> list[Path]:
    all_cols = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [dataset, table],
        ).fetchall()
    ]
    cols = [c for c in all_cols if c not in _INTERNAL_COLUMNS]
    stamp = next((c for c in _CHANGE_STAMPS if c in all_cols), None)
    partitioned = _PARTITION in cols
    source = f'"{dataset}"."{table}"'
    newest = f'max("{stamp}")::varchar' if stamp else "null"
    if partitioned:
        rows = con.execute(f'select "{_PARTITION}", count(*), {newest} from {source} group by all').fetchall()
        parts = {
            (_NULL_PART if value is None else f"{_PARTITION}={value}"): (value, count, last)
            for value, count, last in rows
        }
    else:
        count, last = con.execute(f"select count(*), {newest} from {source}").fetchall()[0]
        parts = {"": (None, count, last)}
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / _MANIFEST
    try:
        old = orjson.loads(manifest_path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        old = {}
    old_parts = (
        old.get("parts", {}) if old.get("columns") == cols and old.get("partitioned") == partitioned else {}
    )
    fingerprints = {key: [count, last] for key, (_, count, last) in parts.items()}

    def current(key: str) -> bool:
        return (
            stamp is not None
            and old_parts.get(key) == fingerprints[key]
            and any((folder / key).glob(f"{table}*.parquet"))
        )

    changed = [key for key in parts if not current(key)]
    select = ", ".join(f'"{c}"' for c in cols)
    written: list[Path] = []
    staging = folder / f".export-{uuid.uuid4().hex[:8]}.tmp"
    try:
        if partitioned and changed:
            values = [parts[key][0] for key in changed if key != _NULL_PART]
            wanted = [f'"{_PARTITION}" in (select unnest(?::varchar[]))'] if values else []
            if _NULL_PART in changed:
                wanted.append(f'"{_PARTITION}" is null')
            con.execute(
                f"copy (select {select} from {source} where {' or '.join(wanted)}) to '{_sql_path(staging)}' "
                f"(format parquet, compression zstd, partition_by ({_PARTITION}), "
                f"write_partition_columns true, filename_pattern '{table}_{{i}}')",
                [values] if values else [],
            )
            for part_dir in sorted(p for p in staging.iterdir() if p.is_dir()):
                written += _swap_files(part_dir, folder / part_dir.name, table)
        elif changed:
            staging.mkdir()
            con.execute(
                f"copy (select {select} from {source}) to '{_sql_path(staging / (table + '.parquet'))}' "
                f"(format parquet, compression zstd)"
            )
            written += _swap_files(staging, folder, table)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # Parts whose rows are all gone, and files of the other layout (an older lake), go.
    for key in old.get("parts", {}):
        if key and key not in parts:
            shutil.rmtree(folder / key, ignore_errors=True)
    if partitioned:
        (folder / f"{table}.parquet").unlink(missing_ok=True)
    else:
        for part_dir in folder.glob(f"{_PARTITION}=*"):
            shutil.rmtree(part_dir, ignore_errors=True)
    tmp_manifest = folder / f".{_MANIFEST}.{uuid.uuid4().hex[:8]}.tmp"
    tmp_manifest.write_bytes(
        orjson.dumps({"columns": cols, "partitioned": partitioned, "parts": fingerprints})
    )
    os.replace(tmp_manifest, manifest_path)
    return written


def _swap_files(new_dir: Path, final_dir: Path, table: str) -> list[Path]:
    # Move the new files of one part into place (each rename atomic), then drop the part's older files.
    final_dir.mkdir(parents=True, exist_ok=True)
    moved = []
    for new in sorted(new_dir.glob("*.parquet")):
        target = final_dir / new.name
        os.replace(new, target)
        moved.append(target)
    for stale in final_dir.glob(f"{table}*.parquet"):
        if stale not in moved:
            stale.unlink()
    return moved


def _sql_path(path: Path | str) -> str:
    return str(path).replace("'", "''")


__all__ = ["DuckDbBaseline", "export_lake", "joblog_targets", "read_only", "table_counts", "table_exists"]

"""Host-metrics Parquet files (collector and simulator) -> ``tws_raw.host_metrics``, merged on (host, ts).

Loaded straight with DuckDB in one transaction instead of through dlt: dlt 1.31 turns nested Arrow
types into JSON columns, while the contract keeps ``disks`` and ``cpu_per_core`` as ``STRUCT[]`` /
``DOUBLE[]``. A transaction gives the same guarantee a dlt load package does: a load killed mid-way
leaves the table as it was, and a re-run merges the same rows again without duplicating them.

Only ``date=`` folders that changed since the last load are read: the folder's modification time
(which moves when a file is renamed into it) is kept in ``tws_raw._host_metrics_folders``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from resync_assets.common.host_metrics import HOST_METRICS_SCHEMA
from resync_assets.lib.ingest.config import IngestConfig, IngestReport, TableStats
from resync_assets.lib.ingest.warehouse import export_lake
from resync_assets.lib.warehouse import table_exists, write_lock, writer

TABLE = "host_metrics"
_FOLDERS = "_host_metrics_folders"


class HostMetricsError(ValueError):
    """A host-metrics file does not follow the contract (docs/DATA_CONTRACTS.md)."""


def read_metrics_file(path: Path) -> pa.Table:
    """One Parquet file as a table with exactly ``HOST_METRICS_SCHEMA``; a clear error names a bad file."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise HostMetricsError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None
    missing = [f.name for f in HOST_METRICS_SCHEMA if f.name not in table.column_names]
    if missing:
        raise HostMetricsError(f"{path}: missing column(s) {missing}")
    try:
        return table.select(HOST_METRICS_SCHEMA.names).cast(HOST_METRICS_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
        raise HostMetricsError(f"{path}: column types do not follow the contract: {exc}") from None


def _date_folders(root: Path) -> list[Path]:
    # A root nobody has written to yet holds no samples (as the collector's reader sees it).
    if not root.is_dir():
        return []
    return sorted(
        d for host in root.glob("host=*") if host.is_dir() for d in host.glob("date=*") if d.is_dir()
    )


def run_host_metrics_ingest(metrics_dirs: Sequence[Path], cfg: IngestConfig) -> IngestReport:
    """Load the host-metrics Parquet files under ``metrics_dirs`` into ``<dataset>.host_metrics``.

    Merge on (host, ts): a sample loaded twice stays one row (the newest file's values win). Files
    being written (hidden temporary names) are skipped; a file that breaks the contract stops the
    load with ``HostMetricsError`` naming it, before anything is written.
    """
    started = time.perf_counter()
    roots = [Path(d) for d in metrics_dirs]
    report = IngestReport()
    with write_lock(cfg.warehouse_path, cfg.lock_timeout_seconds, what="host-metrics ingest"):
        with writer(cfg.warehouse_path) as con:
            ds = cfg.dataset
            con.execute(f'create schema if not exists "{ds}"')
            con.execute(
                f'create table if not exists "{ds}"."{_FOLDERS}" '
                "(folder varchar primary key, mtime_ns bigint, loaded_at timestamptz)"
            )
            known = dict(con.execute(f'select folder, mtime_ns from "{ds}"."{_FOLDERS}"').fetchall())
            changed: list[tuple[str, int]] = []
            tables: list[pa.Table] = []
            for root in roots:
                for folder in _date_folders(root):
                    # Taken before listing: a file landing after the listing moves it again.
                    mtime = folder.stat().st_mtime_ns
                    key = str(folder.resolve())
                    if known.get(key) == mtime:
                        continue
                    for file in sorted(folder.glob("*.parquet")):
                        if file.name.startswith("."):
                            continue
                        tables.append(read_metrics_file(file))
                        report.files_read += 1
                    changed.append((key, mtime))
            before = _count(con, ds)
            batch = pa.concat_tables(tables) if tables else HOST_METRICS_SCHEMA.empty_table()
            updated = 0
            # Files are read oldest name first; the last copy of a sample wins.
            con.register(
                "new_metrics", batch.append_column("_ord", pa.array(range(batch.num_rows), pa.int64()))
            )
            con.execute("begin transaction")
            try:
                con.execute(
                    f'create table if not exists "{ds}"."{TABLE}" as select * exclude (_ord) from new_metrics limit 0'
                )
                if batch.num_rows:
                    con.execute(
                        "create temp table dedup_metrics as select * exclude (_ord) from new_metrics "
                        "qualify row_number() over (partition by host, ts order by _ord desc) = 1"
                    )
                    cols = ", ".join(f'"{c}"' for c in HOST_METRICS_SCHEMA.names)
                    # Only samples that are new or differ from the stored copy are rewritten.
                    con.execute(
                        f"create temp table changed_metrics as select n.*, h.host is not null as existed "
                        f'from dedup_metrics n left join "{ds}"."{TABLE}" h on h.host = n.host and h.ts = n.ts '
                        f"where h.host is null or struct_pack({_prefixed('n', cols)}) "
                        f"is distinct from struct_pack({_prefixed('h', cols)})"
                    )
                    con.execute(
                        f'delete from "{ds}"."{TABLE}" h using changed_metrics n '
                        "where n.existed and h.host = n.host and h.ts = n.ts"
                    )
                    con.execute(
                        f'insert into "{ds}"."{TABLE}" by name select * exclude (existed) from changed_metrics'
                    )
                    updated = con.execute("select count(*) from changed_metrics where existed").fetchall()[0][
                        0
                    ]
                    con.execute("drop table dedup_metrics")
                    con.execute("drop table changed_metrics")
                for key, mtime in changed:
                    con.execute(
                        f'insert or replace into "{ds}"."{_FOLDERS}" values (?, ?, now())', [key, mtime]
                    )
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            finally:
                con.unregister("new_metrics")
            after = _count(con, ds)
        if cfg.write_lake:
            export_lake(cfg.warehouse_path, cfg.dataset, cfg.lake_dir, [TABLE], cfg.duckdb_memory_limit)
    added = max(0, after - before)
    report.tables[TABLE] = TableStats(rows_added=added, rows_updated=updated, rows_total=after)
    report.elapsed_seconds = time.perf_counter() - started
    return report


def _prefixed(alias: str, cols: str) -> str:
    return ", ".join(f"{c} := {alias}.{c}" for c in cols.split(", "))


def _count(con: duckdb.DuckDBPyConnection, dataset: str) -> int:
    if not table_exists(con, dataset, TABLE):
        return 0
    return con.execute(f'select count(*) from "{dataset}"."{TABLE}"').fetchall()[0][0]

"""Atomic Parquet files of host-metrics rows, partitioned by host and UTC date, and reading them back."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from resync_assets.common.host_metrics import HOST_METRICS_SCHEMA

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


def partition_key(row: dict) -> tuple[str, str]:
    """The (host, UTC date YYYY-MM-DD) partition a row belongs to."""
    ts = row["ts"]
    if ts.tzinfo is None:
        raise ValueError("row ts must be timezone-aware")
    return row["host"], ts.astimezone(dt.UTC).date().isoformat()


def _check_host_for_path(host: str) -> None:
    if not host or host in (".", "..") or "/" in host or "\\" in host or "\0" in host:
        raise ValueError(f"host {host!r} cannot name a partition folder")


def write_samples(rows: Sequence[dict], out_dir: str | os.PathLike) -> Path:
    """Write rows of ONE host and ONE UTC date as one Parquet file, atomically; return its path.

    The file lands in `<out_dir>/host=<host>/date=<YYYY-MM-DD>/<yyyymmddThhmmss>-<uuid8>.parquet`
    (time of the earliest row). It is written to `.<name>.tmp` in the same folder, fsynced, then
    renamed with os.replace, so readers globbing `*.parquet` see either nothing or the whole file; a
    failed write removes its temp file. Rows spanning several hosts or dates raise ValueError: split
    them first (the collector flushes at midnight UTC for this reason).
    """
    if not rows:
        raise ValueError("no rows to write")
    keys = {partition_key(r) for r in rows}
    if len(keys) != 1:
        raise ValueError(f"rows span several host/date partitions: {sorted(keys)}")
    ((host, date),) = keys
    _check_host_for_path(host)

    table = pa.Table.from_pylist(list(rows), schema=HOST_METRICS_SCHEMA)
    first = min(r["ts"] for r in rows).astimezone(dt.UTC)
    folder = Path(out_dir) / f"host={host}" / f"date={date}"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{first:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.parquet"
    temp = folder / f"{TEMP_PREFIX}{final.name}{TEMP_SUFFIX}"

    try:
        with open(temp, "wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_dir(folder)
    return final


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the directory entry is; not possible on Windows.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def host_metrics_files(root: str | os.PathLike) -> list[Path]:
    """Finished host-metrics files under `root`, sorted; temp and hidden files are skipped."""
    base = Path(root)
    if not base.is_dir():
        return []
    return sorted(
        p for p in base.glob("host=*/date=*/*.parquet") if not p.name.startswith(TEMP_PREFIX) and p.is_file()
    )


def read_host_metrics(root: str | os.PathLike) -> pa.Table:
    """Read every finished host-metrics file under `root` into one table with HOST_METRICS_SCHEMA.

    Rows come sorted by host then ts. An empty or missing root gives an empty table. Partition
    folder names are not turned into columns: `host` is already a column and the date is `ts`'s.
    """
    tables = []
    for path in host_metrics_files(root):
        table = pq.ParquetFile(path).read()
        tables.append(table.select(HOST_METRICS_SCHEMA.names).cast(HOST_METRICS_SCHEMA))
    if not tables:
        return HOST_METRICS_SCHEMA.empty_table()
    return pa.concat_tables(tables).sort_by([("host", "ascending"), ("ts", "ascending")])

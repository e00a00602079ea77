"""The one owner of the warehouse: where it is, how to connect to it, and what exists in it.

DuckDB allows one writer process at a time, and a read-only connection from another process fails
while a writer holds the file. So every resync part goes through here:

- ``warehouse_path(explicit=None)``: the warehouse file (``explicit``, else ``RESYNC_WAREHOUSE_PATH``,
  else ``data/warehouse.duckdb``; the environment is read when called, never at import);
- ``read_only(path)``: a read-only connection, retrying while a writer holds the file, or ``None``
  when the warehouse does not exist yet;
- ``writer(path)``: the single writer, under the advisory lock ``<warehouse>.lock`` that every
  writer (ingestion, dbt, assets, CLI commands) takes, waiting up to a bound with a message saying
  who holds it;
- ``write_lock(path)``: the lock alone, for writers that open their own connection (dlt, dbt);
- ``table_exists`` / ``existing_tables``: what exists.

A PostgreSQL warehouse would sit behind the same functions (its own connection, the same lock
semantics through the database's own locking).
"""

from resync_assets.lib.warehouse.connect import (
    DEFAULT_WAREHOUSE_PATH,
    WAREHOUSE_ENV,
    WarehouseBusy,
    connect_read_only,
    existing_tables,
    read_only,
    table_exists,
    warehouse_path,
    writer,
)
from resync_assets.lib.warehouse.lock import WarehouseLockTimeout, lock_holder, write_lock

__all__ = [
    "DEFAULT_WAREHOUSE_PATH",
    "WAREHOUSE_ENV",
    "WarehouseBusy",
    "WarehouseLockTimeout",
    "connect_read_only",
    "existing_tables",
    "lock_holder",
    "read_only",
    "table_exists",
    "warehouse_path",
    "write_lock",
    "writer",
]

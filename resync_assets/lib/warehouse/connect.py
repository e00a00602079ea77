"""Connections to the DuckDB warehouse: read-only with retry, or the single writer under the lock."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from resync_assets.lib.warehouse.lock import write_lock

WAREHOUSE_ENV = "RESYNC_WAREHOUSE_PATH"
DEFAULT_WAREHOUSE_PATH = Path("data/warehouse.duckdb")
log = logging.getLogger("resync.warehouse")


class WarehouseBusy(RuntimeError):
    """A read-only connection could not be opened while a writer held the warehouse."""


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """The warehouse file: ``explicit``, else ``RESYNC_WAREHOUSE_PATH``, else ``data/warehouse.duckdb``."""
    if explicit is not None and str(explicit).strip():
        return Path(explicit)
    value = (os.environ.get(WAREHOUSE_ENV) or "").strip()
    return Path(value) if value else DEFAULT_WAREHOUSE_PATH


def connect_read_only(
    path: Path, config: dict | None = None, wait_seconds: float = 30.0
) -> duckdb.DuckDBPyConnection:
    """A read-only connection to an existing warehouse, retrying while a writer in another process
    holds the file (``WarehouseBusy`` after ``wait_seconds``); ``FileNotFoundError`` at once when the
    warehouse does not exist (no writer will make it appear by waiting)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"warehouse {path} does not exist (nothing has been loaded into it yet)")
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=True, config=config or {})
        except duckdb.IOException as exc:
            if time.monotonic() + delay > deadline:
                raise WarehouseBusy(
                    f"{path} stayed locked by a writer for {wait_seconds:g} s: {exc}"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextlib.contextmanager
def read_only(
    path: str | os.PathLike | None = None, config: dict | None = None, wait_seconds: float = 30.0
) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the warehouse (DuckDB ``config`` settings, e.g. ``memory_limit``),
    closed on exit; None when the warehouse does not exist yet."""
    resolved = warehouse_path(path)
    if not resolved.exists():
        yield None
        return
    con = connect_read_only(resolved, config, wait_seconds)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def writer(
    path: str | os.PathLike | None = None,
    *,
    lock_timeout_seconds: float = 600.0,
    config: dict | None = None,
    what: str = "",
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single read-write connection to the warehouse, held under the writer lock (created when
    missing). A second writer waits for the lock up to ``lock_timeout_seconds``, then raises
    ``WarehouseLockTimeout`` naming the holder."""
    resolved = warehouse_path(path)
    resolved.parent.mkdir(parents=True, exist_ok=True)
    with write_lock(resolved, lock_timeout_seconds, what=what, on_wait=on_wait):
        con = _connect_writer(resolved, config, lock_timeout_seconds, on_wait)
        try:
            yield con
        finally:
            con.close()


def _connect_writer(
    path: Path, config: dict | None, wait_seconds: float, on_wait: Callable[[str], None] | None
) -> duckdb.DuckDBPyConnection:
    # Readers in other processes (checks, notebooks, `duckdb -readonly`) hold DuckDB's file lock
    # too, without our writer lock: wait for them to close, as long as a writer would wait.
    deadline = time.monotonic() + wait_seconds
    delay, told = 0.05, False
    while True:
        try:
            return duckdb.connect(str(path), config=config or {})
        except duckdb.IOException as exc:
            if time.monotonic() + delay > deadline:
                raise WarehouseBusy(
                    f"{path} stayed open in another process for {wait_seconds:g} s: {exc}"
                ) from exc
            if not told:
                told = True
                (on_wait or log.info)(f"waiting for readers in other processes to close {path.name}")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True when ``schema.table`` exists (a table or a view)."""
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every ``schema.table`` (tables and views) of the warehouse."""
    return {
        f"{s}.{t}"
        for s, t in con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    }

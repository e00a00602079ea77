"""One writer at a time on the DuckDB warehouse: an advisory file lock beside it."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# Locks this thread holds (resolved lock path -> depth), so a writer nested in a held lock (a
# connection opened inside `write_lock`) does not wait for itself: flock is per open file.
_held = threading.local()
log = logging.getLogger("resync.warehouse")


class WarehouseLockTimeout(TimeoutError):
    """Another writer held the warehouse lock for longer than allowed."""


def lock_path(warehouse_path: Path) -> Path:
    """The lock file that guards ``warehouse_path`` (``<warehouse>.lock``)."""
    return Path(str(warehouse_path) + ".lock")


def lock_holder(warehouse_path: Path) -> str:
    """Who last took the lock of ``warehouse_path`` (``pid N: what``), or ``unknown``."""
    try:
        text = lock_path(Path(warehouse_path)).read_text(errors="replace").strip()
    except OSError:
        return "unknown"
    return text[:200] or "unknown"


@contextlib.contextmanager
def write_lock(
    warehouse_path: Path,
    timeout_seconds: float = 600.0,
    *,
    what: str = "",
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the writer lock of ``warehouse_path`` (blocking up to ``timeout_seconds``).

    Every resync writer (ingestion, dbt, analytics assets, CLI commands) takes it, so DuckDB never
    sees two writers. The OS drops the lock when the holder dies, even on SIGKILL. The holder writes
    its pid and ``what`` into the lock file, so a waiter can say who it waits for: ``on_wait`` (default:
    the ``resync.warehouse`` logger) is told once when this call has to wait.
    """
    path = lock_path(Path(warehouse_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    depth = getattr(_held, "paths", None)
    if depth is None:
        depth = _held.paths = {}
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    told = True
                    message = (
                        f"waiting for the warehouse write lock, held by {lock_holder(warehouse_path)} "
                        f"(up to {timeout_seconds:g} s)"
                    )
                    (on_wait or log.info)(message)
                if time.monotonic() >= deadline:
                    raise WarehouseLockTimeout(
                        f"another writer ({lock_holder(warehouse_path)}) held {path.name} "
                        f"for more than {timeout_seconds:g} s"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {what or ' '.join(sys.argv[:2])}\n".encode(), 0)
        depth[key] = 1
        try:
            yield
        finally:
            depth[key] = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

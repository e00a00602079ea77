"""One writer at a time on the DuckDB warehouse: an advisory file lock beside it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path


class WarehouseLockTimeout(TimeoutError):
    """Another writer held the warehouse lock for longer than allowed."""


def lock_path(warehouse_path: Path) -> Path:
    """The lock file that guards ``warehouse_path`` (``<warehouse>.lock``)."""
    return Path(str(warehouse_path) + ".lock")


@contextlib.contextmanager
def warehouse_lock(warehouse_path: Path, timeout_seconds: float = 600.0) -> Iterator[None]:
    """Hold the writer lock of ``warehouse_path`` (blocking up to ``timeout_seconds``).

    Every resync writer (ingestion, and anything else that opens the warehouse read-write) takes it,
    so DuckDB never sees two writers. The OS drops the lock when the holder dies, even on SIGKILL.
    """
    path = lock_path(Path(warehouse_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseLockTimeout(
                        f"another writer holds {path.name} for more than {timeout_seconds:g} s"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

"""Clocks that drive the simulator's live plan.

Every clock answers `now()` with an aware UTC `datetime`. Tests use `ManualClock` and move time by
hand; `resync sim serve --speed N` uses `AcceleratedClock` so a plan day passes in 24/N hours.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


def _as_utc(dt: datetime) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None:
        # A naive datetime is taken as UTC: the simulated engine runs in UTC.
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


class Clock:
    """Base class: a source of the current simulated time."""

    def now(self) -> datetime:
        """Return the current simulated time (aware, UTC)."""
        raise NotImplementedError

    def timestamp(self) -> float:
        """Return the current simulated time as POSIX seconds."""
        return self.now().timestamp()


class SystemClock(Clock):
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the real current time in UTC."""
        return datetime.now(UTC)


class ManualClock(Clock):
    """A clock that only moves when told to; thread-safe."""

    def __init__(self, now: datetime):
        self._now = _as_utc(now)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the time last set."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by `seconds` (must be >= 0) and return the new time."""
        if seconds < 0:
            raise ValueError("a ManualClock cannot move backwards; use set()")
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            return self._now

    def set(self, dt: datetime) -> None:
        """Jump to `dt` (naive values are read as UTC)."""
        value = _as_utc(dt)
        with self._lock:
            self._now = value


class AcceleratedClock(Clock):
    """Simulated time that starts at `start` and runs `speed` times faster than real time."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0):
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self._start = _as_utc(start) if start is not None else datetime.now(UTC)
        self._speed = float(speed)
        self._t0 = time.monotonic()

    @property
    def speed(self) -> float:
        """How many simulated seconds pass per real second."""
        return self._speed

    def now(self) -> datetime:
        """Return start + elapsed real time x speed."""
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self._speed)

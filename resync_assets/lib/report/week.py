"""ISO weeks: the unit a weekly report covers and is delivered once for."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class IsoWeek:
    """One ISO week, Monday to Sunday."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """`2026-W49` → IsoWeek(2026, 49); a clear ValueError for anything else."""
        m = _WEEK.match((text or "").strip())
        if not m:
            raise ValueError(f"not an ISO week (expected YYYY-Www, e.g. 2026-W49): {text!r}")
        year, week = int(m.group(1)), int(m.group(2))
        try:
            dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{text!r}: {year} has no ISO week {week}") from None
        return cls(year, week)

    @classmethod
    def of(cls, day: dt.date) -> IsoWeek:
        """The ISO week containing `day`."""
        cal = day.isocalendar()
        return cls(cal.year, cal.week)

    @classmethod
    def reported_on(cls, today: dt.date) -> IsoWeek:
        """The week a report made on `today` covers: the week containing yesterday (on Monday, the
        week that just ended; later in the week, the week so far)."""
        return cls.of(today - dt.timedelta(days=1))

    @classmethod
    def last_complete(cls, today: dt.date) -> IsoWeek:
        """The newest week that ended before `today` (on Monday, the week that just ended; on any
        other day, still that week): the default of every report, so that no run — scheduled or
        not — reports, and marks as sent, a week that is not over yet."""
        return cls.of(today - dt.timedelta(days=today.isoweekday()))

    @property
    def start(self) -> dt.date:
        """Monday."""
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def end(self) -> dt.date:
        """Sunday."""
        return self.start + dt.timedelta(days=6)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

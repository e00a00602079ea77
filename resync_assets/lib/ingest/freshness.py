"""Whether a table's last update is recent enough: the verdict of the `job_runs_freshness` check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Freshness:
    """The verdict: fresh or not, how old the last update is, and a sentence for the UI."""

    fresh: bool
    lag_seconds: float | None
    description: str


def freshness(last_update: dt.datetime | None, now: dt.datetime, window: dt.timedelta) -> Freshness:
    """Fresh when the last update is at most ``window`` before ``now`` (never updated: stale)."""
    if last_update is None:
        return Freshness(False, None, "never updated")
    lag = (now - last_update).total_seconds()
    minutes = window.total_seconds() / 60
    if lag <= window.total_seconds():
        return Freshness(True, lag, f"updated {lag / 60:.1f} min ago (allowed {minutes:g} min)")
    return Freshness(False, lag, f"last updated {lag / 60:.1f} min ago, more than {minutes:g} min")

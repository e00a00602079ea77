"""Collect every job run of a set of plans, plus the joblogs of failed runs, through a TwsClient.

This is the flow behind ``resync demo``; the ingestion assets can call it or replace it piece by
piece (``collect_runs`` pages and flattens, ``fetch_joblogs`` fetches with a bounded thread pool).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from resync_assets.lib.tws.client import TwsClient
from resync_assets.lib.tws.errors import TwsError, TwsNotFoundError
from resync_assets.lib.tws.joblog import Joblog
from resync_assets.lib.tws.records import job_run_rows

FAILED_COMMON_STATUSES = frozenset({"ERROR"})


def archived_plan_ids(end_date: dt.date, days: int) -> list[str]:
    """Plan ids (``YYYY-MM-DD`` production dates) of the ``days`` archived plans ending the day
    before ``end_date``, oldest first. The v2 API cannot list plans, so they are derived from dates.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    return [(end_date - dt.timedelta(days=d)).isoformat() for d in range(days, 0, -1)]


@dataclasses.dataclass
class CollectSummary:
    """What a collection saw and how fast."""

    plans: int = 0
    jobs: int = 0
    runs: int = 0
    unique_runs: int = 0
    runs_by_status: Counter = dataclasses.field(default_factory=Counter)
    failed_runs: int = 0
    joblogs_fetched: int = 0
    joblogs_missing: int = 0
    joblog_errors: int = 0
    joblog_bytes: int = 0
    joblogs_invalid_utf8: int = 0
    joblogs_truncated: int = 0
    paging_seconds: float = 0.0
    joblog_seconds: float = 0.0
    elapsed_seconds: float = 0.0
    client_stats: dict = dataclasses.field(default_factory=dict)

    @property
    def runs_per_second(self) -> float:
        """Runs paged and flattened per second of paging."""
        return self.runs / self.paging_seconds if self.paging_seconds > 0 else 0.0

    def format(self) -> str:
        """A human-readable multi-line summary."""
        lines = [
            f"plans paged        {self.plans}",
            (
                f"jobs / runs        {self.jobs} / {self.runs} ({self.unique_runs} distinct: carried-forward "
                "streams appear in two plans)"
            ),
            "runs by status     " + ", ".join(f"{k}={v}" for k, v in sorted(self.runs_by_status.items())),
            f"failed runs        {self.failed_runs} (rows with common status ERROR)",
            (
                f"joblogs fetched    {self.joblogs_fetched} ({self.joblog_bytes:,} bytes); "
                f"missing {self.joblogs_missing}, errors {self.joblog_errors}"
            ),
            f"invalid UTF-8      {self.joblogs_invalid_utf8}",
            f"truncated          {self.joblogs_truncated}",
            f"paging             {self.paging_seconds:.2f} s, {self.runs_per_second:,.0f} runs/s",
            f"joblogs            {self.joblog_seconds:.2f} s",
            f"elapsed            {self.elapsed_seconds:.2f} s",
            (
                f"HTTP requests      {self.client_stats.get('requests', 0)} "
                f"(retries {self.client_stats.get('retries', 0)}, throttled {self.client_stats.get('throttled', 0)}, "
                f"breaker {self.client_stats.get('breaker_state', '?')})"
            ),
        ]
        return "\n".join(lines)


def collect_runs(
    client: TwsClient,
    plan_ids: Iterable[str],
    summary: CollectSummary | None = None,
    page_size: int | None = None,
) -> Iterator[list[dict]]:
    """Yield the ``tws_raw.job_runs`` rows of every plan, one list per API page.

    Updates ``summary`` (plans, jobs, runs, runs_by_status, failed_runs) as it goes.
    """
    summary = summary if summary is not None else CollectSummary()
    for plan_id in plan_ids:
        summary.plans += 1
        for page in client.iter_job_pages(plan_id=plan_id, page_size=page_size):
            rows: list[dict] = []
            for job in page:
                rows.extend(job_run_rows(job))
            summary.jobs += len(page)
            summary.runs += len(rows)
            for row in rows:
                status = row["common_status"]
                summary.runs_by_status[status] += 1
                if status in FAILED_COMMON_STATUSES:
                    summary.failed_runs += 1
            yield rows


def fetch_joblogs(
    client: TwsClient,
    runs: Iterable[tuple[str, str | None]],
    *,
    workers: int = 4,
    summary: CollectSummary | None = None,
    on_joblog: Callable[[Joblog], None] | None = None,
) -> CollectSummary:
    """Fetch the joblog of each ``(run_id, plan_id)`` with at most ``workers`` requests in flight.

    A run without a joblog (404, e.g. a FAIL run that never started) counts as missing; any other
    error counts in ``joblog_errors`` and does not stop the others.
    """
    if workers < 1:
        raise ValueError("workers must be >= 1")
    summary = summary if summary is not None else CollectSummary()

    def one(item: tuple[str, str | None]) -> Joblog | Exception:
        run_id, plan_id = item
        try:
            return client.get_joblog(run_id, plan_id=plan_id)
        except TwsError as exc:
            return exc

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="joblog") as pool:
        for result in pool.map(one, runs):
            if isinstance(result, TwsNotFoundError):
                summary.joblogs_missing += 1
            elif isinstance(result, Exception):
                summary.joblog_errors += 1
            else:
                summary.joblogs_fetched += 1
                summary.joblog_bytes += result.byte_size
                summary.joblogs_invalid_utf8 += result.had_invalid_utf8
                summary.joblogs_truncated += result.truncated
                if on_joblog is not None:
                    on_joblog(result)
    summary.joblog_seconds += time.perf_counter() - started
    return summary


def collect_all(
    client: TwsClient, plan_ids: Iterable[str], *, joblog_workers: int = 4, page_size: int | None = None
) -> CollectSummary:
    """Page every run of ``plan_ids``, then fetch the joblogs of the failed ones; return the summary."""
    summary = CollectSummary()
    started = time.perf_counter()
    seen: set[str] = set()
    # A run carried forward into the next plan is listed by both: fetch its joblog once (latest plan).
    failed: dict[str, str | None] = {}
    for rows in collect_runs(client, plan_ids, summary, page_size=page_size):
        for row in rows:
            seen.add(row["run_id"])
            if row["common_status"] in FAILED_COMMON_STATUSES:
                failed[row["run_id"]] = row["plan_id"]
    summary.unique_runs = len(seen)
    summary.paging_seconds = time.perf_counter() - started
    fetch_joblogs(client, failed.items(), workers=joblog_workers, summary=summary)
    summary.elapsed_seconds = time.perf_counter() - started
    summary.client_stats = client.stats
    return summary

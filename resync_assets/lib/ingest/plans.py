"""Whole plans' job runs as Arrow tables (``runs_arrow.JOB_RUN_CONTENT_SCHEMA``), a few plans at a time.

A backfill reads tens to hundreds of archived plans, and paging one is CPU work in Python (HTTP,
JSON decoding, the Arrow build) that one interpreter cannot spread over cores. ``PlanRunReader``
therefore reads many plans in worker processes, each with its own ``TwsClient`` built from the same
settings; the few plans of an incremental poll are read in threads of this process, where starting
workers would cost more than it saves.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pyarrow as pa

from resync_assets.lib.ingest.records import decode_job_page
from resync_assets.lib.ingest.runs_arrow import JOB_RUN_CONTENT_SCHEMA, job_runs_arrow
from resync_assets.lib.tws.client import TwsClient
from resync_assets.lib.tws.errors import TwsError, TwsNotFoundError
from resync_assets.lib.tws.settings import TwsSettings

log = logging.getLogger("resync.tws")

# Fewer plans than this are read in threads: a worker process takes about a second to start.
PROCESS_MIN_PLANS = 4

_COUNTERS = (
    "requests",
    "retries",
    "throttled",
    "errors",
    "pages",
    "items",
    "bytes_received",
    "backoff_seconds",
    "calls_rejected_by_breaker",
)


def read_plan_runs(
    client: TwsClient, plan_id: str, page_size: int | None = None, rejects: list | None = None
) -> pa.Table | None:
    """Every run of plan ``plan_id`` (``"current"`` or an archived plan id); None when the server has
    no such plan (404). With a ``rejects`` list, runs that cannot be used are reported there
    (``runs_arrow.job_runs_arrow``) instead of failing the plan."""
    tables = []
    try:
        for page in client.iter_job_pages(plan_id=plan_id, page_size=page_size, decode=decode_job_page):
            table = job_runs_arrow(page, rejects)
            if table.num_rows:
                tables.append(table)
    except TwsNotFoundError:
        return None
    if not tables:
        return JOB_RUN_CONTENT_SCHEMA.empty_table()
    return pa.concat_tables(tables).combine_chunks()


class PlanRunReader:
    """Reads whole plans with up to ``workers`` in flight; ``processes`` lets a long list of plans be
    read in worker processes (only when ``client.portable``; otherwise threads share ``client``).

    Requests made by workers are added to ``client.stats``. A ``TwsError`` of a worker is raised here
    as it was raised there. With ``rejects`` (a list), runs that cannot be used are appended there as
    ``quarantine.Reject`` (by plan, in the order plans are returned) instead of failing their plan.
    """

    def __init__(
        self,
        client: TwsClient,
        page_size: int | None = None,
        workers: int = 2,
        processes: bool = True,
        rejects: list | None = None,
    ) -> None:
        self.client = client
        self.page_size = page_size
        self.workers = max(1, workers)
        self.processes = processes and client.portable
        self.rejects = rejects

    def read(self, plan_id: str) -> tuple[str, pa.Table | None]:
        """(plan id, runs) read in this process; runs is None when the server has no such plan."""
        return plan_id, read_plan_runs(self.client, plan_id, self.page_size, self.rejects)

    def read_many(self, plan_ids: Sequence[str]) -> Iterator[tuple[str, pa.Table | None]]:
        """(plan id, runs) for each of ``plan_ids``, in the order asked.

        If the worker processes stop (killed, or unable to start because the program's entry point
        is not guarded by ``if __name__ == "__main__":``), the plans not yet returned are read in
        threads of this process instead, with a warning: nothing is lost or returned twice.
        """
        if self.workers == 1 or len(plan_ids) <= 1:
            for plan_id in plan_ids:
                yield self.read(plan_id)
            return
        todo = list(plan_ids)
        if self.processes and len(todo) >= PROCESS_MIN_PLANS:
            processes = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.client.settings, self.page_size, self.rejects is not None, os.getpid()),
            )
            try:
                for result in self._in_order(processes, _read_in_worker, todo):
                    todo.pop(0)
                    yield result
                return
            except BrokenProcessPool as exc:
                log.warning(
                    "the plan-reading worker processes stopped (%s); reading the %d remaining plan(s) "
                    "in this process. A program that starts an ingestion must guard its entry point "
                    'with `if __name__ == "__main__":` for them to start.',
                    exc,
                    len(todo),
                )
        threads = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="tws-plan")
        yield from self._in_order(threads, self.read, todo)

    def _in_order(
        self, pool: Executor, read: Callable[[str], Any], plan_ids: list[str]
    ) -> Iterator[tuple[str, pa.Table | None]]:
        # One more plan in flight than workers, so a worker never waits while this process takes a result.
        queue: list[Future] = []
        todo = iter(list(plan_ids))
        finished = False
        try:
            for plan_id in todo:
                queue.append(pool.submit(read, plan_id))
                if len(queue) > self.workers:
                    break
            while queue:
                result = self._result(queue.pop(0))
                nxt = next(todo, None)
                if nxt is not None:
                    queue.append(pool.submit(read, nxt))
                yield result
            finished = True
        finally:
            # After the last plan the workers are idle and exit at once; after an error or an
            # abandoned read, queued plans are dropped and nobody waits for the one in progress.
            pool.shutdown(wait=finished, cancel_futures=True)

    def _result(self, future: Future) -> tuple[str, pa.Table | None]:
        outcome = future.result()
        if isinstance(outcome, tuple):
            return outcome
        # From a worker process: the client's counters travel with the plan (or its error).
        self.client.merge_stats(outcome["stats"])
        if self.rejects is not None and outcome["rejects"]:
            self.rejects.extend(outcome["rejects"])
        if outcome["error"] is not None:
            raise outcome["error"]
        return outcome["plan_id"], outcome["table"]


# ------------------------------------------------------------------ worker process side

_worker: dict[str, Any] = {}


def _start_worker(
    settings: TwsSettings, page_size: int | None, quarantine: bool = False, parent: int | None = None
) -> None:
    _die_with_parent(parent)
    _worker["client"] = TwsClient(settings, max_connections=1)
    _worker["page_size"] = page_size
    _worker["quarantine"] = quarantine


def _die_with_parent(parent: int | None) -> None:
    # A worker must not outlive the ingest that started it (after kill -9 of the parent the pool's
    # workers would wait on their call queue forever, ~150 MB each, and keep the multiprocessing
    # resource tracker alive). A watchdog thread exits once the worker is re-parented. (Not
    # PR_SET_PDEATHSIG: it fires when the parent *thread* that started the worker ends.) The parent's
    # pid comes from the parent: a worker still starting when it was killed is re-parented already.
    import threading
    import time

    parent = os.getppid() if parent is None else parent
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _read_in_worker(plan_id: str) -> dict:
    client: TwsClient = _worker["client"]
    before = client.stats
    table = error = None
    rejects: list | None = [] if _worker.get("quarantine") else None
    try:
        table = read_plan_runs(client, plan_id, _worker["page_size"], rejects)
    except TwsError as exc:
        # Returned, not raised: a raised error would come back wrapped in the pool's remote traceback.
        error = exc
    after = client.stats
    stats = {key: after[key] - before[key] for key in _COUNTERS}
    stats["status_counts"] = {
        status: n - before["status_counts"].get(status, 0) for status, n in after["status_counts"].items()
    }
    return {"plan_id": plan_id, "table": table, "error": error, "stats": stats, "rejects": rejects}

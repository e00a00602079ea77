"""The ingestion runner: TWS plans and joblogs -> DuckDB ``tws_raw`` (via dlt) and the Parquet lake."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import dlt
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.exceptions import PipelineStepFailed

from resync_assets.common.gcpause import gc_paused
from resync_assets.lib.ingest import quarantine
from resync_assets.lib.ingest.config import IngestConfig, IngestReport, TableStats
from resync_assets.lib.ingest.source import (
    TWS_TABLES,
    SourceCounters,
    tws_empty_tables,
    tws_joblogs,
    tws_source,
)
from resync_assets.lib.ingest.warehouse import (
    DuckDbBaseline,
    export_lake,
    joblog_targets,
    missing_tables,
    table_counts,
)
from resync_assets.lib.tws.client import TwsClient
from resync_assets.lib.tws.settings import TwsSettings
from resync_assets.lib.warehouse import WarehouseBusy, write_lock, writer

log = logging.getLogger("resync.ingest")


class IngestError(RuntimeError):
    """An ingestion failed; the tables hold what they held before the failed step (nothing half-written).

    ``cause`` is the underlying exception (a ``TwsError`` for API failures).
    """

    def __init__(self, message: str, cause: BaseException | None = None):
        super().__init__(message)
        self.cause = cause


def _tables(tables: Iterable[str] | None) -> list[str]:
    if tables is None:
        return list(TWS_TABLES)
    if isinstance(tables, str):
        tables = [tables]
    chosen = list(dict.fromkeys(tables))
    unknown = [t for t in chosen if t not in TWS_TABLES]
    if unknown:
        raise ValueError(f"unknown TWS table(s) {unknown}; choose from {', '.join(TWS_TABLES)}")
    if not chosen:
        raise ValueError("tables must name at least one table (None means all)")
    return chosen


def make_pipeline(cfg: IngestConfig, name: str | None = None) -> dlt.Pipeline:
    """The dlt pipeline that loads ``cfg.dataset`` into the DuckDB file ``cfg.warehouse_path``."""
    cfg.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    cfg.pipelines_dir.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=name or cfg.pipeline_name,
        pipelines_dir=str(cfg.pipelines_dir),
        destination=dlt.destinations.duckdb(
            DuckDbCredentials(
                str(cfg.warehouse_path), global_config={"memory_limit": cfg.duckdb_memory_limit}
            )
        ),
        dataset_name=cfg.dataset,
    )


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        nxt = getattr(current, "exception", None)
        if not isinstance(nxt, BaseException):
            nxt = current.__cause__ or (current.__context__ if not current.__suppress_context__ else None)
        if nxt is None:
            break
        current = nxt
    return current


def _is_lock_conflict(exc: BaseException) -> bool:
    # DuckDB refuses a writer while another process has the file open, even read-only.
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 20:
        text = str(current)
        if "Conflicting lock" in text or "Could not set lock" in text:
            return True
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__
        seen += 1
    return False


def _wait_for_readers(warehouse_path: Path, timeout_seconds: float) -> None:
    # A short writer connection waits (bounded, with a message) while readers in other processes
    # hold the file; dlt then opens its own. We hold the write lock, so only readers can be there.
    with writer(warehouse_path, lock_timeout_seconds=timeout_seconds, what="TWS ingest"):
        pass


def _load(pipeline: dlt.Pipeline, warehouse_path: Path | None, timeout_seconds: float) -> None:
    """dlt's load step, retried while readers hold the warehouse (the package stays on disk)."""
    deadline = time.monotonic() + timeout_seconds
    delay = 0.2
    while True:
        if warehouse_path is not None:
            _wait_for_readers(warehouse_path, max(0.0, deadline - time.monotonic()))
        try:
            pipeline.load()
            return
        except PipelineStepFailed as exc:
            if warehouse_path is None or not _is_lock_conflict(exc) or time.monotonic() + delay > deadline:
                raise
            log.info("%s: a reader opened the warehouse; load retried", pipeline.pipeline_name)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def run_pipeline(
    pipeline: dlt.Pipeline,
    data: Any,
    what: str,
    warehouse_path: Path | None = None,
    lock_timeout_seconds: float = 600.0,
) -> None:
    """Load ``data`` with ``pipeline``; finish any package a killed run left first.

    The load step waits (up to ``lock_timeout_seconds``) while readers in other processes hold
    ``warehouse_path``, and is retried if one opens it in between; what was extracted stays in its
    package meanwhile, and if the wait runs out the package is kept for the next run to load first.
    On another failure the error names the step and the cause; if it came after extraction, the
    local working state is dropped so the next run restores it from the warehouse: a plan is never
    remembered as loaded unless its rows landed.
    """
    try:
        _repair_interrupted_normalize(pipeline)
        if pipeline.has_pending_data:
            log.warning("%s: finishing load packages a previous run left behind", pipeline.pipeline_name)
            pipeline.normalize()
            _load(pipeline, warehouse_path, lock_timeout_seconds)
        pipeline.extract(data)
        pipeline.normalize()
        _load(pipeline, warehouse_path, lock_timeout_seconds)
    except WarehouseBusy as exc:
        raise IngestError(
            f"ingest of {what}: readers kept the warehouse open for {lock_timeout_seconds:g} s ({exc}); "
            "what was read is kept and loads first on the next run",
            exc,
        ) from exc
    except PipelineStepFailed as exc:
        cause = _root_cause(exc)
        if _is_lock_conflict(exc):
            raise IngestError(
                f"ingest of {what}: readers kept the warehouse open for {lock_timeout_seconds:g} s; "
                "what was read is kept and loads first on the next run",
                cause,
            ) from cause
        if exc.step in ("normalize", "load"):
            pipeline.drop()
        raise IngestError(
            f"ingest of {what} failed during {exc.step}: {type(cause).__name__}: {cause}", cause
        ) from cause
    _drop_loaded_packages(pipeline)


def _repair_interrupted_normalize(pipeline: dlt.Pipeline) -> None:
    # dlt commits a normalized package (rename into load/normalized) before deleting its extracted
    # copy; a kill between the two leaves both, and normalizing the copy again would fail. The
    # committed package is complete, so the leftover copy is dropped.
    work = Path(pipeline.working_dir)
    for extracted in (work / "normalize" / "extracted").glob("*"):
        load_id = extracted.name
        if (work / "load" / "normalized" / load_id).exists() or (work / "load" / "loaded" / load_id).exists():
            log.warning(
                "%s: dropping the extracted copy of package %s, already normalized",
                pipeline.pipeline_name,
                load_id,
            )
            shutil.rmtree(work / "load" / "new" / load_id, ignore_errors=True)
            shutil.rmtree(extracted)


def _drop_loaded_packages(pipeline: dlt.Pipeline) -> None:
    # Completed packages are never read again; without this every poll would leave its files behind.
    for package in (Path(pipeline.working_dir) / "load" / "loaded").glob("*"):
        shutil.rmtree(package, ignore_errors=True)


def _record_quarantine(cfg: IngestConfig, counters: SourceCounters) -> tuple[int, int]:
    """Write this load's rejects and resolve the quarantined items it got right."""
    rejected = {r.key for r in counters.rejects}
    checked = counters.checked
    resolved = []
    for item in quarantine.open_items(cfg.warehouse_path, cfg.dataset):
        key = (item["source"], item["item_id"], item["field"])
        if key in rejected:
            continue
        source = item["source"]
        if source == "job_runs":
            ok = item["item_id"] in checked.get("job_runs", ()) or item["job_id"] in checked.get(
                "job_runs.job", ()
            )
        elif source == "job_streams":
            ok = item["item_id"] in checked.get("job_streams", ()) or item["plan_id"] in checked.get(
                "job_streams.plan", ()
            )
        else:
            ok = item["item_id"] in checked.get(source, ())
        if ok:
            resolved.append(key)
    # Called on every load, so the table exists (empty) once an ingest ran: its check can judge.
    return quarantine.record(
        cfg.warehouse_path,
        cfg.dataset,
        counters.rejects,
        resolved,
        dt.datetime.now(dt.UTC),
        backoff_base_seconds=cfg.quarantine_backoff_seconds,
        backoff_max_seconds=cfg.quarantine_backoff_max_seconds,
        lock_timeout_seconds=cfg.lock_timeout_seconds,
    )


def run_tws_ingest(
    settings: TwsSettings, cfg: IngestConfig, tables: Sequence[str] | None = None
) -> IngestReport:
    """Load TWS tables (default all of ``TWS_TABLES``) into ``cfg.warehouse_path`` and the lake.

    ``job_runs`` re-reads the current plan and every unclosed archived day (the whole backfill window
    on a first load) and merges only new or changed runs on ``run_id``; ``joblogs`` then fetches the
    joblog of every run that ended in ``cfg.joblog_statuses`` (plus the success sample) and has none
    yet. Re-running never duplicates or loses a row; a failure raises ``IngestError`` naming the cause
    and leaves the tables as the last completed step left them.
    """
    chosen = _tables(tables)
    started = time.perf_counter()
    counters = SourceCounters()
    report = IngestReport()
    with (
        write_lock(cfg.warehouse_path, cfg.lock_timeout_seconds, what="TWS ingest"),
        TwsClient(settings) as client,
    ):
        before = table_counts(cfg.warehouse_path, cfg.dataset, chosen)
        pipeline = make_pipeline(cfg)
        try:
            source_tables = [t for t in chosen if t != "joblogs"]
            if source_tables:
                source = tws_source(
                    client,
                    backfill_days=cfg.backfill_days,
                    archived_plan_id_format=cfg.archived_plan_id_format,
                    page_size=cfg.page_size,
                    plan_workers=cfg.plan_workers,
                    plan_processes=cfg.plan_processes,
                    baseline=DuckDbBaseline(cfg.warehouse_path, cfg.dataset, cfg.archived_plan_id_format),
                    counters=counters,
                ).with_resources(*source_tables)
                with gc_paused(collect_after=True):
                    run_pipeline(pipeline, source, "TWS plans", cfg.warehouse_path, cfg.lock_timeout_seconds)
            if "joblogs" in chosen:
                targets = joblog_targets(
                    cfg.warehouse_path,
                    cfg.dataset,
                    cfg.joblog_statuses,
                    cfg.joblog_success_sample_rate,
                    now=dt.datetime.now(dt.UTC),
                )
                for start in range(0, len(targets), cfg.joblog_chunk):
                    chunk = targets[start : start + cfg.joblog_chunk]
                    resource = tws_joblogs(
                        client,
                        chunk,
                        max_bytes=cfg.joblog_max_bytes,
                        workers=cfg.joblog_workers,
                        counters=counters,
                    )
                    run_pipeline(pipeline, resource, "joblogs", cfg.warehouse_path, cfg.lock_timeout_seconds)
        finally:
            stats = client.stats
            report.requests = int(stats.get("requests", 0))
            report.retries = int(stats.get("retries", 0))
            missing = missing_tables(cfg.warehouse_path, cfg.dataset, chosen)
            if missing:
                run_pipeline(
                    pipeline,
                    tws_empty_tables(missing),
                    "empty tables",
                    cfg.warehouse_path,
                    cfg.lock_timeout_seconds,
                )
            report.quarantined, report.quarantine_resolved = _record_quarantine(cfg, counters)
        after = table_counts(cfg.warehouse_path, cfg.dataset, chosen)
        if cfg.write_lake:
            export_lake(cfg.warehouse_path, cfg.dataset, cfg.lake_dir, chosen, cfg.duckdb_memory_limit)
    for table in chosen:
        added = max(0, after[table] - before[table])
        if table == "job_runs":
            updated = counters.runs_changed
        else:
            updated = max(0, counters.rows_emitted.get(table, 0) - added)
        report.tables[table] = TableStats(rows_added=added, rows_updated=updated, rows_total=after[table])
    report.runs_fetched = counters.runs_fetched
    report.joblogs_fetched = counters.joblogs_fetched
    report.joblogs_missing = counters.joblogs_missing
    report.joblog_bytes = counters.joblog_bytes
    report.joblogs_truncated = counters.joblogs_truncated
    report.joblogs_invalid_utf8 = counters.joblogs_invalid_utf8
    report.joblog_errors = counters.joblog_errors
    report.quarantine_open = len(quarantine.open_items(cfg.warehouse_path, cfg.dataset))
    report.plans_loaded = list(counters.plans_loaded)
    report.plans_closed = list(counters.plans_closed)
    report.elapsed_seconds = time.perf_counter() - started
    log.info("TWS ingest: %s", report.as_metadata())
    return report

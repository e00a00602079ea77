"""Configuration and report of the ingestion runner."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from resync_assets.lib.joblog.status import FAILED_INTERNAL_STATUSES
from resync_assets.lib.warehouse import DEFAULT_WAREHOUSE_PATH, WAREHOUSE_ENV

# The API cannot list plans, so a backfill asks for each day; beyond this it asks for plans no server keeps.
MAX_BACKFILL_DAYS = 3660


@dataclasses.dataclass(frozen=True)
class IngestConfig:
    """Where ingestion writes and how much it reads.

        ``warehouse_path`` is the DuckDB file (dataset/schema ``dataset``); ``lake_dir`` receives a Parquet
        copy of every raw table (``lake_dir/<dataset>/<table>/``, by plan day where the table has one; see
        ``warehouse.export_lake``); ``pipelines_dir`` holds
        dlt's working folders (load packages and state). ``backfill_days`` archived production days are
        read on a first load; a day is never read again once closed. Joblogs are fetched for runs whose
        internal status is in ``joblog_statuses`` plus a stable ``joblog_success_sample_rate`` share of
        successful runs. ``page_size`` None uses the client's. ``plan_workers`` plans are read at once, in
    worker processes when ``plan_processes`` and the load reads many plans (a backfill), else in threads.
        ``duckdb_memory_limit`` caps DuckDB's buffer pool in the ingesting process (it spills beyond).
        ``lock_timeout_seconds`` bounds the wait for another writer, or for readers holding the file.
        A joblog in quarantine is asked for again after ``quarantine_backoff_seconds`` doubling per
        failure, at most ``quarantine_backoff_max_seconds``.
    """

    warehouse_path: Path
    lake_dir: Path
    pipelines_dir: Path
    dataset: str = "tws_raw"
    backfill_days: int = 90
    archived_plan_id_format: str = "%Y-%m-%d"
    joblog_statuses: tuple[str, ...] = tuple(sorted(FAILED_INTERNAL_STATUSES))
    joblog_success_sample_rate: float = 0.0
    joblog_workers: int = 8
    joblog_max_bytes: int = 5_000_000
    joblog_chunk: int = 5_000
    page_size: int | None = None
    plan_workers: int = 2
    plan_processes: bool = True
    lock_timeout_seconds: float = 600.0
    quarantine_backoff_seconds: float = 300.0
    quarantine_backoff_max_seconds: float = 6 * 3600.0
    pipeline_name: str = "resync_tws"
    write_lake: bool = True
    duckdb_memory_limit: str = "512MB"

    def __post_init__(self) -> None:
        for name in ("warehouse_path", "lake_dir", "pipelines_dir"):
            value = getattr(self, name)
            if not isinstance(value, (str, os.PathLike)) or not str(value):
                raise ValueError(f"IngestConfig.{name} must be a path")
            object.__setattr__(self, name, Path(value))
        if not self.dataset.isidentifier():
            raise ValueError("IngestConfig.dataset must be a plain identifier, e.g. tws_raw")
        if not 0 <= self.backfill_days <= MAX_BACKFILL_DAYS:
            raise ValueError(
                f"IngestConfig.backfill_days must be within 0..{MAX_BACKFILL_DAYS} (about ten years of plans), "
                f"got {self.backfill_days}"
            )
        if not 0 < self.lock_timeout_seconds <= 86_400:
            raise ValueError("IngestConfig.lock_timeout_seconds must be within (0, 86400]")
        if not 0 <= self.quarantine_backoff_seconds <= self.quarantine_backoff_max_seconds <= 7 * 86_400:
            raise ValueError(
                "IngestConfig.quarantine_backoff_seconds must be >= 0 and <= quarantine_backoff_max_seconds "
                "<= 7 days"
            )
        if not 0.0 <= self.joblog_success_sample_rate <= 1.0:
            raise ValueError("IngestConfig.joblog_success_sample_rate must be within [0, 1]")
        for name in ("joblog_workers", "joblog_max_bytes", "joblog_chunk", "plan_workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"IngestConfig.{name} must be >= 1")
        if self.page_size is not None and self.page_size < 1:
            raise ValueError("IngestConfig.page_size must be >= 1")
        object.__setattr__(self, "joblog_statuses", tuple(str(s).upper() for s in self.joblog_statuses))
        try:
            import datetime as dt

            dt.date(2024, 2, 29).strftime(self.archived_plan_id_format)
        except (ValueError, TypeError):
            raise ValueError("IngestConfig.archived_plan_id_format is not a strftime format") from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> IngestConfig:
        """Build from ``RESYNC_*`` variables, read when called (never at import).

        ``RESYNC_WAREHOUSE_PATH`` (default ``data/warehouse.duckdb``), ``RESYNC_LAKE_DIR``
        (``data/lake``), ``RESYNC_PIPELINES_DIR`` (``data/pipelines``), ``RESYNC_BACKFILL_DAYS`` (90),
        ``RESYNC_JOBLOG_SUCCESS_SAMPLE_RATE`` (0), ``RESYNC_WAREHOUSE_LOCK_TIMEOUT_SECONDS`` (600),
        ``RESYNC_QUARANTINE_BACKOFF_SECONDS`` (300). Keyword ``overrides`` win.
        """
        env = os.environ if environ is None else environ

        def get(name: str, default: str) -> str:
            value = env.get(name)
            return value.strip() if value and value.strip() else default

        kwargs: dict[str, Any] = {
            "warehouse_path": Path(get(WAREHOUSE_ENV, str(DEFAULT_WAREHOUSE_PATH))),
            "lake_dir": Path(get("RESYNC_LAKE_DIR", "data/lake")),
            "pipelines_dir": Path(get("RESYNC_PIPELINES_DIR", "data/pipelines")),
        }
        for var, key, conv in (
            ("RESYNC_BACKFILL_DAYS", "backfill_days", int),
            ("RESYNC_JOBLOG_SUCCESS_SAMPLE_RATE", "joblog_success_sample_rate", float),
            ("RESYNC_WAREHOUSE_LOCK_TIMEOUT_SECONDS", "lock_timeout_seconds", float),
            ("RESYNC_QUARANTINE_BACKOFF_SECONDS", "quarantine_backoff_seconds", float),
        ):
            raw = env.get(var)
            if raw and raw.strip():
                try:
                    kwargs[key] = conv(raw.strip())
                except ValueError:
                    raise ValueError(f"{var} must be a number, got {raw.strip()!r}") from None
        kwargs.update(overrides)
        return cls(**kwargs)


@dataclasses.dataclass
class TableStats:
    """Rows a load added and updated in one table, and the table's size after it."""

    rows_added: int = 0
    rows_updated: int = 0
    rows_total: int = 0


@dataclasses.dataclass
class IngestReport:
    """What one ingestion did. ``as_metadata()`` gives plain values (never a secret)."""

    tables: dict[str, TableStats] = dataclasses.field(default_factory=dict)
    runs_fetched: int = 0
    joblogs_fetched: int = 0
    joblogs_missing: int = 0
    joblog_bytes: int = 0
    joblogs_truncated: int = 0
    joblogs_invalid_utf8: int = 0
    joblog_errors: int = 0
    quarantined: int = 0
    quarantine_resolved: int = 0
    quarantine_open: int = 0
    plans_loaded: list[str] = dataclasses.field(default_factory=list)
    plans_closed: list[str] = dataclasses.field(default_factory=list)
    files_read: int = 0
    requests: int = 0
    retries: int = 0
    elapsed_seconds: float = 0.0

    def table(self, name: str) -> TableStats:
        """The stats of ``name`` (zeros when the load did not touch it)."""
        return self.tables.get(name, TableStats())

    def as_metadata(self) -> dict[str, Any]:
        """Flat dict of plain values (``<table>.rows_added`` ...), e.g. for Dagster metadata."""
        out: dict[str, Any] = {}
        for name, stats in sorted(self.tables.items()):
            out[f"{name}.rows_added"] = stats.rows_added
            out[f"{name}.rows_updated"] = stats.rows_updated
            out[f"{name}.rows_total"] = stats.rows_total
        for key in (
            "runs_fetched",
            "joblogs_fetched",
            "joblogs_missing",
            "joblog_bytes",
            "joblogs_truncated",
            "joblogs_invalid_utf8",
            "joblog_errors",
            "quarantined",
            "quarantine_resolved",
            "quarantine_open",
            "files_read",
            "requests",
            "retries",
        ):
            out[key] = int(getattr(self, key))
        out["plans_loaded"] = list(self.plans_loaded)
        out["plans_closed"] = list(self.plans_closed)
        out["elapsed_seconds"] = round(float(self.elapsed_seconds), 3)
        return out

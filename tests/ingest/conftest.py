"""Helpers for ingestion tests: settings for a simulator, a temp warehouse, and the simulator's truth."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from resync_assets.lib.ingest import IngestConfig
from resync_assets.lib.tws import TwsSettings
from tests.conftest import SIM_PASSWORD, SIM_USER
from tests.tws.conftest import client, client_for, serve  # noqa: F401 (fixtures shared with tests/tws)


def settings_for(sim, **overrides) -> TwsSettings:
    """Client settings for a running simulator (fast backoff so fault tests stay short)."""
    overrides.setdefault("backoff_initial_seconds", 0.01)
    overrides.setdefault("backoff_max_seconds", 0.05)
    overrides.setdefault("max_retries", 8)
    overrides.setdefault("breaker_fail_max", 1000)
    overrides.setdefault("timeout_seconds", 10.0)
    return TwsSettings(base_url=sim.base_url, user=SIM_USER, password=SIM_PASSWORD, **overrides)


def make_cfg(root: Path, **overrides) -> IngestConfig:
    """An ingestion config writing under `root`."""
    overrides.setdefault("backfill_days", 10)
    return IngestConfig(
        warehouse_path=root / "warehouse.duckdb",
        lake_dir=root / "lake",
        pipelines_dir=root / "pipelines",
        **overrides,
    )


@pytest.fixture
def cfg(tmp_path) -> IngestConfig:
    """A fresh warehouse, lake and pipelines folder in tmp_path."""
    return make_cfg(tmp_path)


def truth_runs(sim) -> dict[str, dict]:
    """Every run of every plan the simulator serves, as its newest plan shows it now."""
    out: dict[str, dict] = {}
    for plan_id in sim.workload.plan_ids():  # oldest first: a carried-forward run ends in its newest plan
        for row in sim.workload.runs(plan_id):
            out[row["run_id"]] = row
    return out


def query(cfg: IngestConfig, sql: str, params=None) -> list[tuple]:
    """Rows of `sql` on the warehouse, read-only."""
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def loaded_runs(cfg: IngestConfig) -> dict[str, tuple]:
    """run_id -> (internal_status, plan_id, return_code, actual_end) as loaded."""
    return {
        r[0]: r[1:]
        for r in query(
            cfg, "select run_id, internal_status, plan_id, return_code, actual_end from tws_raw.job_runs"
        )
    }


def table_snapshot(cfg: IngestConfig, table: str) -> list[tuple]:
    """Every row of a table, sorted, for before/after comparisons."""
    return sorted(query(cfg, f"select * from tws_raw.{table}"), key=repr)


def api_rows(sim) -> dict[str, dict]:
    """Every run the API serves now as a ``job_runs`` row (newest plan wins), read with the real client."""
    from resync_assets.lib.tws import TwsClient
    from tests.reference_rows import job_run_rows

    out: dict[str, dict] = {}
    with TwsClient(settings_for(sim)) as tws:
        for plan_id in sim.workload.plan_ids():
            for page in tws.iter_job_pages(plan_id=plan_id):
                for job in page:
                    for row in job_run_rows(job):
                        out[row["run_id"]] = row
    return out

"""The quarantine is visible: the `tws_quarantine_is_empty` asset check and `resync status`."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from resync_assets.defs.checks import is_nothing_to_judge
from resync_assets.defs.ingest.checks import tws_quarantine_is_empty
from resync_assets.defs.resources import WarehouseReaderResource
from resync_assets.lib.health.status import collect_status
from resync_assets.lib.ingest.quarantine import Reject, record

NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)


def _check(path) -> dg.AssetCheckResult:
    return tws_quarantine_is_empty(duckdb=WarehouseReaderResource(database=str(path)))


@pytest.fixture
def wh(tmp_path):
    import duckdb

    path = tmp_path / "wh.duckdb"
    duckdb.connect(str(path)).close()
    return path


def test_nothing_to_judge_before_any_ingest(wh):
    assert is_nothing_to_judge(_check(wh))


@pytest.mark.check_fails("tws_quarantine_is_empty")
def test_an_open_item_warns_naming_it(wh):
    poisoned = Reject("joblogs", "RUN-1", "HTTP 500 Internal Server Error", job_id="J1")
    record(wh, "tws_raw", [poisoned], [], NOW)
    result = _check(wh)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert "joblogs RUN-1" in result.description and "HTTP 500" in result.description
    assert result.metadata["open.joblogs"].value == 1
    status = collect_status(wh, tws_settings=None, now=NOW, probe_host=False)
    (item,) = [i for i in status.items if i.name == "quarantine"]
    assert item.state == "WARN" and "RUN-1" in item.detail


@pytest.mark.check_passes("tws_quarantine_is_empty")
def test_resolved_items_pass(wh):
    record(wh, "tws_raw", [Reject("joblogs", "RUN-1", "HTTP 500")], [], NOW)
    record(wh, "tws_raw", [], [("joblogs", "RUN-1", "")], NOW + dt.timedelta(minutes=5))
    result = _check(wh)
    assert result.passed and result.metadata["resolved"].value == 1

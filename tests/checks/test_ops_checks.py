"""The operations checks (incident notification delivery, resync's own health) made to fail on what
they exist to catch and to pass when all is well (registered for the meta-test by the markers)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest

from resync_assets.defs.checks import nothing_to_judge_reason
from resync_assets.defs.health.checks import resync_parts_healthy
from resync_assets.defs.notify.checks import incident_notifications_delivered
from resync_assets.defs.resources import LakehouseResource, TwsResource
from resync_assets.lib.notify import deliveries
from tests.conftest import SIM_PASSWORD, SIM_USER


@pytest.fixture
def wh(tmp_path):
    path = tmp_path / "wh.duckdb"
    duckdb.connect(str(path)).close()
    return path


def notified(path, outcomes: list[tuple[str, bool]], age: dt.timedelta = dt.timedelta(minutes=5)) -> None:
    """One delivery attempt per (channel, ok), `age` ago (abandoned after 3 attempts)."""
    now = dt.datetime.now(dt.UTC) - age
    with duckdb.connect(str(path)) as con:
        for i, (channel, ok) in enumerate(outcomes):
            deliveries.record_incident_attempt(
                con,
                f"r{i}",
                channel,
                ok=ok,
                error=None if ok else "connection refused",
                now=now,
                max_attempts=3,
            )


def notification_check(path) -> dg.AssetCheckResult:
    return incident_notifications_delivered(lakehouse=LakehouseResource(warehouse_path=str(path)))


@pytest.mark.check_passes("incident_notifications_delivered")
def test_notifications_pass_when_every_channel_delivered(wh):
    notified(wh, [("email", True), ("webhook", True)])
    result = notification_check(wh)
    assert result.passed and nothing_to_judge_reason(result) is None
    assert result.metadata["attempted_24h"].value == 2


@pytest.mark.check_fails("incident_notifications_delivered")
def test_notifications_fail_while_a_channel_is_failing(wh):
    notified(wh, [("email", True), ("webhook", False)])
    result = notification_check(wh)
    assert not result.passed and nothing_to_judge_reason(result) is None
    assert result.metadata["failing"].value == {"webhook/failed": 1}
    assert "connection refused" in result.description


def test_notifications_have_nothing_to_judge_without_recent_attempts(wh):
    assert nothing_to_judge_reason(notification_check(wh)) == "no notification attempted yet"
    notified(wh, [("webhook", False)], age=dt.timedelta(days=2))
    assert nothing_to_judge_reason(notification_check(wh)) == "no notification attempted in the last 24 hours"


def healthy_warehouse(path) -> None:
    """A warehouse whose last poll just finished and that holds nothing needing attention."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema tws_raw")
        con.execute("create table tws_raw._dlt_loads (load_id varchar, inserted_at timestamptz)")
        con.execute("insert into tws_raw._dlt_loads values ('1', now())")


def health(path, sim, monkeypatch, host_percent: float = 20.0) -> dg.AssetCheckResult:
    from resync_assets.lib.health import status

    # This machine's own CPU, memory and disk are not the subject here (and vary with its load).
    def host_items():
        return [
            status.Item("host_cpu", status._percent_state(host_percent), f"{host_percent:.0f} %"),
            status.Item("host_memory", status.OK, "20 %"),
        ]

    monkeypatch.setattr(status, "_host_items", host_items)
    monkeypatch.setattr(status, "_disk_item", lambda p: status.Item("data_disk", status.OK, "plenty free"))
    tws = TwsResource(base_url=sim.base_url, user=SIM_USER, password=SIM_PASSWORD, token="")
    return resync_parts_healthy(lakehouse=LakehouseResource(warehouse_path=str(path)), tws=tws)


@pytest.mark.check_passes("resync_parts_healthy")
def test_health_passes_when_every_part_is_healthy(wh, simulator, monkeypatch):
    healthy_warehouse(wh)
    result = health(wh, simulator, monkeypatch)
    assert result.passed, result.description
    assert result.metadata["state"].value == "OK"


@pytest.mark.check_fails("resync_parts_healthy")
def test_health_fails_when_polls_stopped_or_the_host_is_saturated(wh, simulator, monkeypatch):
    never = health(wh, simulator, monkeypatch)  # no ingestion ever
    assert not never.passed and never.severity == dg.AssetCheckSeverity.WARN
    assert "last_poll: never" in never.description
    healthy_warehouse(wh)
    saturated = health(wh, simulator, monkeypatch, host_percent=99.0)
    assert not saturated.passed and saturated.severity == dg.AssetCheckSeverity.ERROR
    assert "host_cpu" in saturated.description

"""The `weekly_capacity_report` asset and its schedule: a re-materialization sends nothing more."""

import datetime as dt

import dagster as dg
import pytest

from resync_assets.defs.report.assets import weekly_capacity_report
from resync_assets.defs.report.schedules import build_schedule, report_timezone
from resync_assets.defs.resources import LakehouseResource, SmtpResource
from tests.report.conftest import PASSWORD, USER
from tests.report.warehouse_fixture import WEEK


def _materialize(warehouse, smtp, monkeypatch, tmp_path, **config):
    monkeypatch.setenv("RESYNC_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("RESYNC_REPORT_RECIPIENTS", "ops@example.net")
    return dg.materialize(
        [weekly_capacity_report],
        resources={"lakehouse": LakehouseResource(warehouse_path=str(warehouse)), "smtp": smtp},
        run_config={"ops": {"weekly_capacity_report": {"config": {"week": WEEK, **config}}}},
        raise_on_error=False,
    )


def _metadata(result):
    (mat,) = result.asset_materializations_for_node("weekly_capacity_report")
    return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}


def test_materializing_twice_sends_once(warehouse, smtp_server, monkeypatch, tmp_path):
    monkeypatch.delenv("RESYNC_SMTP_HOST", raising=False)
    smtp = SmtpResource(
        host=smtp_server.host, port=smtp_server.port, user=USER, password=PASSWORD, security="none",
        sender="resync@ops.example",
    )  # fmt: skip
    first = _materialize(warehouse, smtp, monkeypatch, tmp_path)
    second = _materialize(warehouse, smtp, monkeypatch, tmp_path)
    assert first.success and second.success
    assert _metadata(first)["delivery"] == "sent" and _metadata(second)["delivery"] == "already_sent"
    assert len(smtp_server.messages) == 1
    assert _metadata(first)["html"].endswith(f"weekly-capacity-report-{WEEK}.html")
    for result in (first, second):
        assert PASSWORD not in str(_metadata(result))


def test_without_smtp_the_asset_writes_the_eml(warehouse, monkeypatch, tmp_path):
    monkeypatch.delenv("RESYNC_SMTP_HOST", raising=False)
    result = _materialize(warehouse, SmtpResource(), monkeypatch, tmp_path)
    meta = _metadata(result)
    assert meta["delivery"] == "written" and meta["eml"].endswith(f"weekly-capacity-report-{WEEK}.eml")
    assert meta["charts"] == 6 and meta["sections_without_data"] == {}


def test_a_refused_smtp_server_fails_the_run_with_a_clear_message(warehouse, monkeypatch, tmp_path):
    from tests.report.conftest import free_port

    smtp = SmtpResource(host="127.0.0.1", port=free_port(), security="none", sender="r@x.test", user=USER,
                        password=PASSWORD)  # fmt: skip
    result = _materialize(warehouse, smtp, monkeypatch, tmp_path)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    text = str(failure.event_specific_data.error)
    assert (
        "weekly report 2026-W49 not sent: SMTP server 127.0.0.1:" in text and "refused the connection" in text
    )
    assert PASSWORD not in text


def test_the_schedule_reports_the_week_that_just_ended_once():
    schedule = build_schedule("Europe/Paris")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 7 * * 1", "Europe/Paris")
    when = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with dg.build_schedule_context(scheduled_execution_time=when) as context:
        request = schedule.evaluate_tick(context).run_requests[0]
    assert request.run_key == f"weekly-report-{WEEK}"
    assert request.run_config["ops"]["weekly_capacity_report"]["config"]["week"] == WEEK
    assert report_timezone({}) == "UTC"
    assert report_timezone({"RESYNC_REPORT_TIMEZONE": "America/New_York"}) == "America/New_York"
    with pytest.raises(ValueError, match="RESYNC_REPORT_TIMEZONE"):
        report_timezone({"RESYNC_REPORT_TIMEZONE": "Mars/Olympus"})

"""The operator's loop: failed runs analysed, then told by e-mail (aiosmtpd) and webhook (a loopback
HTTP receiver), once per failed run even when the run is retried; a failing channel is retried and
recorded and never fails the analysis."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import dagster as dg
import pytest

from resync_assets.defs.incidents.assets import incident_analyses
from resync_assets.defs.notify.assets import incident_deliveries
from resync_assets.defs.patterns.assets import joblog_pattern_clusters, joblog_templates
from resync_assets.defs.resources import LakehouseResource, LlmResource, SmtpResource, WebhookResource
from resync_assets.lib.notify import SmtpSettings, WebhookSettings
from resync_assets.lib.notify.incidents import channels_from, notify_new_incidents
from resync_assets.lib.warehouse import read_only, writer
from tests.rca.conftest import build_warehouse, make_workload
from tests.report.conftest import PASSWORD, USER

LONG = dt.timedelta(days=3650)


@pytest.fixture(scope="module")
def workload():
    return make_workload(days=3, jobs=60)


@pytest.fixture(autouse=True)
def recipients(monkeypatch):
    monkeypatch.setenv("RESYNC_INCIDENT_RECIPIENTS", "oncall@example.net")
    monkeypatch.delenv("RESYNC_SMTP_HOST", raising=False)
    monkeypatch.delenv("RESYNC_WEBHOOK_URL", raising=False)


@pytest.fixture
def warehouse(tmp_path, workload):
    path = tmp_path / "wh.duckdb"
    truth = build_warehouse(path, workload)
    assert 2 <= len(truth) <= 40, len(truth)
    return path, truth


def _resources(path, smtp_server, webhook_url):
    return {
        "lakehouse": LakehouseResource(warehouse_path=str(path)),
        "llm": LlmResource(enabled=False),
        "smtp": SmtpResource(
            host=smtp_server.host,
            port=smtp_server.port,
            user=USER,
            password=PASSWORD,
            security="none",
            sender="resync@ops.example",
        ),
        "webhook": WebhookResource(url=webhook_url),
    }


def _run(path, smtp_server, webhook_url, **config):
    return dg.materialize(
        [joblog_templates, joblog_pattern_clusters, incident_analyses, incident_deliveries],
        resources=_resources(path, smtp_server, webhook_url),
        run_config={"ops": {"incident_deliveries": {"config": {"max_age_hours": 1e7, **config}}}},
        raise_on_error=False,
    )


def test_each_failed_run_is_told_once_by_email_and_webhook(warehouse, smtp_server, webhook_receiver):
    path, truth = warehouse
    result = _run(path, smtp_server, webhook_receiver.url, batch=False)
    assert result.success
    assert len(smtp_server.messages) == len(truth) == len(webhook_receiver.posts)
    with read_only(path) as con:
        analyses = {
            r[0]: r[1:]
            for r in con.execute(
                "select run_id, job_name, error_line, cause from analytics.incident_analyses"
            ).fetchall()
        }
        statuses = con.execute(
            "select channel, status, count(*) from analytics.incident_deliveries group by 1, 2 order by 1"
        ).fetchall()
    assert statuses == [("email", "sent", len(truth)), ("webhook", "sent", len(truth))]
    by_run = {}
    for received in smtp_server.messages:
        assert received["to"] == ["oncall@example.net"]
        msg = email.message_from_bytes(received["data"], policy=email.policy.default)
        assert not msg.defects and msg.get_content_type() == "multipart/alternative"
        text = msg.get_body(("plain",)).get_content()
        run_id = msg["Message-ID"].removeprefix("<resync-incident-").split("@")[0]
        by_run[run_id] = (msg, text)
    assert set(by_run) == set(analyses)
    for run_id, (job, error_line, cause) in analyses.items():
        msg, text = by_run[run_id]
        assert job in msg["Subject"] and job in text
        assert f"run:        {run_id}" in text and cause in text
        if error_line:
            assert error_line[:60] in text
        assert "fix steps:" in text and "resync incidents show " + run_id in text
        assert msg.get_body(("html",)).get_content().count("<li>") >= 1
    post = webhook_receiver.posts[0]
    assert post["type"] == "application/json" and post["path"].endswith("secret-token-xyz")
    body = post["json"]
    assert (
        body["@type"] == "MessageCard" and body["text"].startswith("*") and body["title"] == body["summary"]
    )
    assert any(job in p["json"]["text"] for p in webhook_receiver.posts for job, *_ in analyses.values())

    # The run retried (or the next poll): nothing new is sent.
    again = _run(path, smtp_server, webhook_receiver.url, batch=False)
    assert again.success
    assert len(smtp_server.messages) == len(truth) == len(webhook_receiver.posts)
    meta = again.asset_materializations_for_node("incident_deliveries")[0].metadata
    assert meta["sent"].value == {} and meta["failed"].value == {}


def test_similar_past_incidents_are_in_the_message(warehouse, smtp_server, webhook_receiver):
    path, truth = warehouse
    assert _run(path, smtp_server, None, batch=True).success
    (received,) = smtp_server.messages  # batched: one e-mail for the poll
    text = (
        email.message_from_bytes(received["data"], policy=email.policy.default)
        .get_body(("plain",))
        .get_content()
    )
    assert text.startswith(f"{len(truth)} new failed runs.")
    with read_only(path) as con:
        with_similar = con.execute(
            "select count(*) from analytics.incident_analyses where similar_incidents not in ('[]', 'null')"
        ).fetchall()[0][0]
    if with_similar:
        assert "similar past incidents:" in text
    assert webhook_receiver.posts == []  # no URL: no webhook channel


def test_a_failing_channel_is_retried_and_recorded_and_never_fails_the_analysis(
    warehouse, smtp_server, webhook_receiver
):
    path, truth = warehouse
    webhook_receiver.failures = [500] * 100
    result = _run(path, smtp_server, webhook_receiver.url, batch=True)
    assert result.success  # the analysis and the e-mail are done
    meta = result.asset_materializations_for_node("incident_deliveries")[0].metadata
    assert meta["failed"].value == {"webhook": len(truth)} and meta["sent"].value == {"email": len(truth)}
    assert "webhook http://127.0.0.1:" in meta["errors"].value[0] and "HTTP 500" in meta["errors"].value[0]
    assert "secret-token-xyz" not in str(meta)
    with read_only(path) as con:
        rows = con.execute(
            "select status, attempts, last_error from analytics.incident_deliveries where channel = 'webhook'"
        ).fetchall()
        analysed = con.execute("select count(*) from analytics.incident_analyses").fetchall()[0][0]
    assert analysed == len(truth)
    assert {(s, a) for s, a, _ in rows} == {("failed", 3)}  # 3 attempts in the poll
    # the receiver is back: the next poll delivers the webhook, and mails nothing twice
    webhook_receiver.failures = []
    assert _run(path, smtp_server, webhook_receiver.url, batch=True).success
    assert len(webhook_receiver.posts) == 1 and len(smtp_server.messages) == 1


def test_backfilled_failures_are_not_sent_and_a_burst_is_batched(tmp_path, warehouse, webhook_receiver):
    path, truth = warehouse
    channels = channels_from(None, WebhookSettings(webhook_receiver.url), backoff_seconds=0.01)
    newest = max(t.end for t in truth)
    with writer(path) as con:
        from resync_assets.lib.rca import store

        store.analyse_failed_runs(con)
        out = notify_new_incidents(
            con, channels, now=newest + dt.timedelta(hours=2), max_age=dt.timedelta(hours=6)
        )
        recent = [t for t in truth if newest - t.end <= dt.timedelta(hours=4)]
        assert out.skipped == {"webhook": len(truth) - len(recent)}
        assert out.sent == {"webhook": len(recent)}
        # one message per incident up to 5, one for the poll above
        assert len(webhook_receiver.posts) == (1 if len(recent) > 5 else len(recent))
        assert notify_new_incidents(con, channels, now=newest + dt.timedelta(hours=3)).sent == {}


def test_abandoned_after_the_attempt_limit(tmp_path, warehouse):
    path, truth = warehouse
    channels = channels_from(
        SmtpSettings("127.0.0.1", 9, "r@x.test", ("a@x.test",), security="none", timeout_seconds=1),
        None, attempts=1,
    )  # fmt: skip
    newest = max(t.end for t in truth)
    with writer(path) as con:
        from resync_assets.lib.rca import store

        store.analyse_failed_runs(con)
        for _ in range(3):
            out = notify_new_incidents(con, channels, now=newest, batch=True, max_attempts=3, max_age=LONG)
        assert out.failed == {"email": len(truth)}
        assert "refused the connection" in out.errors[0]
        assert con.execute("select distinct status from analytics.incident_deliveries").fetchall() == [
            ("abandoned",)
        ]
        assert (
            notify_new_incidents(con, channels, now=newest, batch=True, max_attempts=3, max_age=LONG).failed
            == {}
        )


def test_the_sensor_starts_the_job_that_analyses_and_notifies():
    from resync_assets.definitions import defs

    repo = defs().get_repository_def()
    job = repo.get_job("incident_analysis_job")
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"incident_analyses", "incident_deliveries"} <= selected
    assert repo.get_sensor_def("incident_analysis_sensor").job_name == "incident_analysis_job"

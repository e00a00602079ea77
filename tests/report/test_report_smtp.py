"""Sending the weekly report to a real SMTP server on loopback (aiosmtpd): the MIME structure, one
delivery per ISO week, and clear, secret-free errors with nothing recorded as sent."""

import email
import email.policy
import re

import pytest

from resync_assets.lib.notify import DeliveryError, SmtpSettings
from resync_assets.lib.notify.deliveries import report_delivery
from resync_assets.lib.report import IsoWeek, send_report
from resync_assets.lib.warehouse import read_only
from tests.report.conftest import PASSWORD, USER, free_port
from tests.report.warehouse_fixture import WEEK


def settings(server, **over):
    values = {
        "host": server.host if server else "127.0.0.1", "port": server.port if server else free_port(),
        "sender": "resync@ops.example", "recipients": ("ops@example.net", "cap@example.net"), "user": USER,
        "password": PASSWORD, "security": "none", "timeout_seconds": 5,
    }  # fmt: skip
    values.update(over)
    return SmtpSettings(**values)


def _send(warehouse, tmp_path, smtp, **kw):
    return send_report(
        warehouse, IsoWeek.parse(WEEK), smtp=smtp, out_dir=tmp_path / "reports", attempts=2, backoff_seconds=0.01,
        **kw,
    )  # fmt: skip


def test_the_report_arrives_as_valid_mime_with_inline_charts_and_a_text_part(
    warehouse, tmp_path, smtp_server
):
    outcome = _send(warehouse, tmp_path, settings(smtp_server))
    assert outcome.status == "sent" and outcome.attempts == 1
    assert smtp_server.logins == [True]
    (received,) = smtp_server.messages
    assert received["from"] == "resync@ops.example"
    assert received["to"] == ["ops@example.net", "cap@example.net"]
    msg = email.message_from_bytes(received["data"], policy=email.policy.default)
    assert not msg.defects
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Message-ID"] == f"<resync-weekly-report-{WEEK}@ops.example>" == outcome.message_id
    assert msg["To"] == "ops@example.net, cap@example.net"
    text, related = msg.get_payload()
    assert text.get_content_type() == "text/plain"
    assert "RECOMMENDATIONS" in text.get_content() and "1,050" in text.get_content()
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    html = html_part.get_content()
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert len(cids) == 6 and "data:image" not in html
    by_cid = {p["Content-ID"].strip().strip("<>"): p for p in images}
    assert sorted(by_cid) == sorted(cids)
    for part in images:
        assert part.get_content_type() == "image/png"
        assert part.get_content_disposition() == "inline"
        assert part.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    with read_only(warehouse) as con:
        d = report_delivery(con, WEEK, "email")
    assert (d.status, d.recipients, d.message_id, d.attempts) == (
        "sent", "ops@example.net, cap@example.net", outcome.message_id, 1,
    )  # fmt: skip
    assert d.sent_at is not None
    assert PASSWORD not in received["data"].decode("utf-8", "replace")


def test_a_retried_run_sends_nothing_more(warehouse, tmp_path, smtp_server):
    first = _send(warehouse, tmp_path, settings(smtp_server))
    second = _send(warehouse, tmp_path, settings(smtp_server))
    assert (first.status, second.status) == ("sent", "already_sent")
    assert second.message_id == first.message_id
    assert len(smtp_server.messages) == 1
    with read_only(warehouse) as con:
        rows = con.execute("select iso_week, channel, status from analytics.report_deliveries").fetchall()
    assert rows == [(WEEK, "email", "sent")]


def _assert_nothing_sent(warehouse, error: DeliveryError):
    assert PASSWORD not in str(error) and PASSWORD not in repr(error)
    with read_only(warehouse) as con:
        d = report_delivery(con, WEEK, "email")
    assert d is not None and d.status == "failed" and d.sent_at is None
    assert PASSWORD not in (d.error or "")


def test_a_refused_connection_is_a_clear_error_and_nothing_is_recorded_as_sent(warehouse, tmp_path):
    smtp = settings(None)
    with pytest.raises(
        DeliveryError, match=rf"SMTP server 127\.0\.0\.1:{smtp.port} refused the connection"
    ) as err:
        _send(warehouse, tmp_path, smtp)
    assert err.value.attempts == 2  # transient: retried once
    _assert_nothing_sent(warehouse, err.value)


def test_an_auth_failure_is_a_clear_error_without_the_password(warehouse, tmp_path, smtp_server):
    with pytest.raises(DeliveryError, match=r"rejected the login of user 'resync-mailer': 535") as err:
        _send(warehouse, tmp_path, settings(smtp_server, password="wrong-" + PASSWORD))
    assert err.value.attempts == 1  # not transient: not retried
    assert smtp_server.messages == []
    _assert_nothing_sent(warehouse, err.value)
    assert "wrong-" not in str(err.value)


def test_a_5xx_answer_is_a_clear_error_and_nothing_is_recorded_as_sent(warehouse, tmp_path, smtp_server):
    smtp_server.reject_with = "554 5.7.1 Message rejected as spam"
    with pytest.raises(
        DeliveryError, match=r"rejected the message: 554 5\.7\.1 Message rejected as spam"
    ) as err:
        _send(warehouse, tmp_path, settings(smtp_server))
    _assert_nothing_sent(warehouse, err.value)
    # once the server accepts again, the week is sent (a failure does not block the retry)
    smtp_server.reject_with = None
    assert _send(warehouse, tmp_path, settings(smtp_server)).status == "sent"
    assert len(smtp_server.messages) == 1


def test_without_smtp_or_with_dry_run_the_eml_is_written_and_nothing_is_sent(
    warehouse, tmp_path, smtp_server
):
    dry = _send(warehouse, tmp_path, settings(smtp_server), dry_run=True)
    none = _send(warehouse, tmp_path, None)
    assert dry.status == none.status == "written" and smtp_server.messages == []
    msg = email.message_from_bytes(none.eml_path.read_bytes(), policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative" and not msg.defects
    assert none.eml_path.name == f"weekly-capacity-report-{WEEK}.eml"
    with read_only(warehouse) as con:
        assert report_delivery(con, WEEK, "email") is None
        assert report_delivery(con, WEEK, "eml").status == "written"
    # a dry run does not count as the week's delivery
    assert _send(warehouse, tmp_path, settings(smtp_server)).status == "sent"


def test_smtp_settings_from_the_environment_are_validated():
    env = {"RESYNC_SMTP_HOST": "mail.example", "RESYNC_SMTP_SENDER": "r@example", "RESYNC_SMTP_RECIPIENTS": "a@x; b@y",
           "RESYNC_SMTP_SECURITY": "SSL", "RESYNC_SMTP_PASSWORD": "pw", "RESYNC_SMTP_USER": "u"}  # fmt: skip
    s = SmtpSettings.from_env(env)
    assert (s.port, s.security, s.recipients, s.password) == (465, "ssl", ("a@x", "b@y"), "pw")
    assert "pw" not in repr(s)
    assert SmtpSettings.from_env({}) is None
    with pytest.raises(ValueError, match="RESYNC_SMTP_SECURITY"):
        SmtpSettings.from_env({**env, "RESYNC_SMTP_SECURITY": "tls13"})
    with pytest.raises(ValueError, match="RESYNC_SMTP_PORT"):
        SmtpSettings.from_env({**env, "RESYNC_SMTP_PORT": "smtp"})
    with pytest.raises(ValueError, match="no recipients"):
        SmtpSettings.from_env({**env, "RESYNC_SMTP_RECIPIENTS": ""})
    report = SmtpSettings.from_env(
        {**env, "RESYNC_REPORT_RECIPIENTS": "boss@x"}, recipients_var="RESYNC_REPORT_RECIPIENTS"
    )
    assert report.recipients == ("boss@x",)


def test_starttls_and_ssl_verify_the_server_certificate(warehouse, tmp_path, tls_smtp_server, tls_files):
    smtp = settings(tls_smtp_server, security=tls_smtp_server.security, ca_bundle=tls_files[0])
    assert _send(warehouse, tmp_path, smtp).status == "sent"
    assert len(tls_smtp_server.messages) == 1 and tls_smtp_server.logins == [True]


def test_an_untrusted_certificate_is_a_clear_error(bare_warehouse, tmp_path, tls_smtp_server):
    smtp = settings(tls_smtp_server, security=tls_smtp_server.security)  # system CAs only
    with pytest.raises(
        DeliveryError, match="TLS with SMTP server 127.0.0.1:.* failed: CERTIFICATE_VERIFY_FAILED"
    ):
        _send(bare_warehouse, tmp_path, smtp)
    assert tls_smtp_server.messages == []

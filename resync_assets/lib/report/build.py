"""Building the weekly capacity report's files and sending it once per ISO week.

* `build_report(con, week, out_dir)`: gather, chart and render; writes the standalone HTML file
  (charts as `data:` URIs, so it opens anywhere) to `out_dir/weekly-capacity-report-<week>.html`.
* `send_report(path, week, ...)`: under the warehouse's writer lock, skip a week already sent
  (`analytics.report_deliveries`), else build, send over SMTP and record the delivery; without SMTP
  settings, or with `dry_run`, write the `.eml` instead.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from resync_assets.lib.notify import deliveries
from resync_assets.lib.notify.settings import SmtpSettings
from resync_assets.lib.notify.smtp import DeliveryError, send_email
from resync_assets.lib.report.charts import Chart, build_charts
from resync_assets.lib.report.data import ReportData, gather
from resync_assets.lib.report.render import build_message, render_html, render_text
from resync_assets.lib.report.week import IsoWeek

REPORTS_DIR_ENV = "RESYNC_REPORTS_DIR"
DEFAULT_REPORTS_DIR = Path("data/reports")
DRY_RUN_SENDER = "resync@localhost"
DRY_RUN_RECIPIENTS = ("undisclosed-recipients:;",)


def reports_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Where reports are saved: `explicit`, else `RESYNC_REPORTS_DIR`, else `data/reports`."""
    if explicit is not None and str(explicit).strip():
        return Path(explicit)
    value = (os.environ.get(REPORTS_DIR_ENV) or "").strip()
    return Path(value) if value else DEFAULT_REPORTS_DIR


def report_stem(week: IsoWeek) -> str:
    return f"weekly-capacity-report-{week}"


@dataclass
class BuiltReport:
    """A rendered report and where its standalone HTML was saved."""

    data: ReportData
    charts: list[Chart]
    html_path: Path
    text: str
    warehouse: str

    def message(self, sender: str, recipients: Sequence[str]) -> EmailMessage:
        """The e-mail: plain text + HTML with the charts as inline `cid:` images."""
        return build_message(
            self.data, self.charts, sender=sender, recipients=recipients, warehouse=self.warehouse
        )

    def write_eml(self, sender: str = DRY_RUN_SENDER, recipients: Sequence[str] = DRY_RUN_RECIPIENTS) -> Path:
        """Save the e-mail as `<stem>.eml` next to the HTML file."""
        path = self.html_path.with_suffix(".eml")
        _atomic_write(path, self.message(sender, recipients).as_bytes())
        return path


def _atomic_write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def _data_uri(chart: Chart) -> str:
    return "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")


def build_report(
    con, week: IsoWeek, out_dir: Path, *, now: dt.datetime | None = None, warehouse: str = "the warehouse"
) -> BuiltReport:
    """Gather the week from `con`, draw the charts, save the standalone HTML; return the pieces."""
    data = gather(con, week, now=now)
    charts = build_charts(data)
    html = render_html(data, charts, _data_uri, warehouse)
    path = Path(out_dir) / f"{report_stem(week)}.html"
    _atomic_write(path, html.encode("utf-8"))
    return BuiltReport(data, charts, path, render_text(data, warehouse), warehouse)


@dataclass
class SendOutcome:
    """What `send_report` did: 'sent', 'already_sent' or 'written' (the .eml)."""

    week: str
    status: str
    html_path: Path | None = None
    eml_path: Path | None = None
    message_id: str | None = None
    recipients: list[str] = field(default_factory=list)
    attempts: int = 0
    sent_at: dt.datetime | None = None
    charts: int = 0
    missing: dict[str, str] = field(default_factory=dict)


def send_report(
    warehouse_path: Path,
    week: IsoWeek,
    *,
    smtp: SmtpSettings | None,
    dry_run: bool = False,
    out_dir: Path | None = None,
    now: dt.datetime | None = None,
    attempts: int = 3,
    backoff_seconds: float = 2.0,
) -> SendOutcome:
    """Send the week's report once. Held under the warehouse's writer lock from the check to the
    record, so two concurrent attempts cannot both send. A DeliveryError propagates after the
    failure is recorded (status 'failed'); nothing is recorded as sent."""
    from resync_assets.lib.warehouse import writer

    out_dir = out_dir or reports_dir()
    label = str(warehouse_path)
    with writer(warehouse_path, what=f"weekly report {week}") as con:
        deliveries.ensure_tables(con)
        if smtp is not None and not dry_run:
            prior = deliveries.report_delivery(con, str(week), "email")
            if prior is not None and prior.status == "sent":
                return SendOutcome(
                    str(week), "already_sent", message_id=prior.message_id,
                    recipients=(prior.recipients or "").split(", "), sent_at=prior.sent_at,
                )  # fmt: skip
        built = build_report(con, week, out_dir, now=now, warehouse=label)
        stamp = now or dt.datetime.now(dt.UTC)
        if smtp is None or dry_run:
            sender = smtp.sender if smtp else DRY_RUN_SENDER
            recipients = list(smtp.recipients) if smtp else list(DRY_RUN_RECIPIENTS)
            eml = built.write_eml(sender, recipients)
            deliveries.record_report_delivery(
                con,
                deliveries.ReportDelivery(str(week), "eml", ", ".join(recipients), None, stamp, "written", 0, None, str(eml)),
            )  # fmt: skip
            return SendOutcome(
                str(week), "written", built.html_path, eml, recipients=recipients, charts=len(built.charts),
                missing=dict(built.data.missing),
            )  # fmt: skip
        message = built.message(smtp.sender, smtp.recipients)
        recipients = ", ".join(smtp.recipients)
        try:
            used = send_email(smtp, message, attempts=attempts, backoff_seconds=backoff_seconds)
        except DeliveryError as exc:
            deliveries.record_report_delivery(
                con,
                deliveries.ReportDelivery(
                    str(week), "email", recipients, message["Message-ID"], None, "failed",
                    getattr(exc, "attempts", attempts), str(exc), str(built.html_path),
                ),
            )  # fmt: skip
            raise
        sent_at = dt.datetime.now(dt.UTC)
        deliveries.record_report_delivery(
            con,
            deliveries.ReportDelivery(
                str(week),
                "email",
                recipients,
                message["Message-ID"],
                sent_at,
                "sent",
                used,
                None,
                str(built.html_path),
            ),
        )
    return SendOutcome(
        str(week), "sent", built.html_path, None, message["Message-ID"], list(smtp.recipients), used, sent_at,
        len(built.charts), dict(built.data.missing),
    )  # fmt: skip

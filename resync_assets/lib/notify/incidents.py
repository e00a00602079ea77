"""Telling the operator about new incidents: one e-mail and / or webhook message per failed run, or one
per poll for a burst, each failed run told once per channel.

`notify_new_incidents(con, channels)` reads the analyses no channel has delivered yet
(`analytics.incident_analyses` minus `analytics.incident_deliveries`), sends them, and records every
attempt. A failing channel is retried (transient errors, within the call; then at the next polls
until `max_attempts`), recorded with its error, and never raises: the analysis is already stored.
Failures older than `max_age` when first seen (a backfill) are recorded as 'skipped', not sent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from resync_assets.lib.notify import deliveries
from resync_assets.lib.notify.settings import SmtpSettings, WebhookSettings
from resync_assets.lib.notify.smtp import DeliveryError, send_email
from resync_assets.lib.notify.webhook import chat_payload, send_webhook
from resync_assets.lib.warehouse import table_exists

DEFAULT_MAX_AGE = dt.timedelta(hours=24)
BATCH_OVER = 5
MAX_ATTEMPTS = 9
SIMILAR_SHOWN = 3
STEPS_SHOWN = 6


@dataclass
class Incident:
    """What the operator is told about one failed run."""

    run_id: str
    job_name: str | None
    workstation: str | None
    job_stream: str | None
    status: str | None
    ended_at: dt.datetime | None
    error_line_number: int | None
    error_line: str | None
    family: str | None
    cause: str | None
    confidence: float | None
    steps: list[dict[str, Any]] = field(default_factory=list)
    similar: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        where = f" on {self.workstation}" if self.workstation else ""
        return f"{self.status or 'FAILED'} {self.job_name or self.run_id}{where}: {self.cause or 'no cause found'}"[
            :200
        ]


def _json_list(text: str | None) -> list[dict[str, Any]]:
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


_INCIDENT_SQL = """
select a.run_id, a.job_name, a.workstation, a.job_stream, a.internal_status, a.ended_at, a.error_line_number,
       a.error_line, a.family, a.cause, a.confidence, a.steps, a.similar_incidents
from analytics.incident_analyses a
"""


def _incident(row) -> Incident:
    *head, steps, similar = row
    return Incident(*head, steps=_json_list(steps), similar=_json_list(similar))


def load_incident(con, run_id: str) -> Incident | None:
    """One analysed failed run, or None."""
    if not table_exists(con, "analytics", "incident_analyses"):
        return None
    rows = con.execute(_INCIDENT_SQL + " where a.run_id = ?", [run_id]).fetchall()
    return _incident(rows[0]) if rows else None


def pending(con, channel: str) -> list[Incident]:
    """Analyses not yet sent, skipped or abandoned on `channel`, oldest first."""
    if not table_exists(con, "analytics", "incident_analyses"):
        return []
    deliveries.ensure_tables(con)
    rows = con.execute(
        _INCIDENT_SQL
        + f""" where not exists (select 1 from {deliveries.SCHEMA}.{deliveries.INCIDENT_TABLE} d
               where d.run_id = a.run_id and d.channel = ? and d.status in ('sent', 'skipped', 'abandoned'))
           order by a.ended_at nulls last, a.run_id""",
        [channel],
    ).fetchall()
    return [_incident(r) for r in rows]


# ----------------------------------------------------------------------------------------- content


def _environment(autoescape: bool):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("resync_assets.lib.notify", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["stamp"] = lambda v: v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if v else "–"
    return env


def _context(incidents: Sequence[Incident]) -> dict[str, Any]:
    return {"incidents": incidents, "steps_shown": STEPS_SHOWN, "similar_shown": SIMILAR_SHOWN}


def render_text(incidents: Sequence[Incident]) -> str:
    """Plain text for one incident or a batch (the e-mail's text part)."""
    return _environment(False).get_template("incidents.txt.j2").render(**_context(incidents))


def render_markdown(incidents: Sequence[Incident]) -> str:
    """Chat markdown (Slack mrkdwn / Teams markdown) for the webhook."""
    return _environment(False).get_template("incidents.md.j2").render(**_context(incidents))


def subject(incidents: Sequence[Incident]) -> str:
    if len(incidents) == 1:
        return f"[resync] {incidents[0].title}"
    jobs = sorted({i.job_name or "?" for i in incidents})
    more = f" and {len(jobs) - 3} more" if len(jobs) > 3 else ""
    return f"[resync] {len(incidents)} new failed runs: {', '.join(jobs[:3])}{more}"


def build_email(incidents: Sequence[Incident], smtp: SmtpSettings) -> EmailMessage:
    """The e-mail for one incident or a batch: plain text and HTML alternatives."""
    import email.utils

    msg = EmailMessage()
    msg["Subject"] = subject(incidents)
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(smtp.recipients)
    msg["Date"] = email.utils.formatdate(localtime=False)
    domain = smtp.sender.rpartition("@")[2] or "resync.local"
    key = incidents[0].run_id if len(incidents) == 1 else f"batch-{incidents[0].run_id}-{len(incidents)}"
    msg["Message-ID"] = f"<resync-incident-{key}@{domain}>"
    msg.set_content(render_text(incidents))
    msg.add_alternative(
        _environment(True).get_template("incidents.html.j2").render(**_context(incidents)), subtype="html"
    )
    return msg


def build_webhook_payload(incidents: Sequence[Incident]) -> dict[str, Any]:
    """The JSON body for Slack / Teams incoming webhooks."""
    return chat_payload(subject(incidents).removeprefix("[resync] "), render_markdown(incidents))


# ------------------------------------------------------------------------------------------ sending


@dataclass
class Channel:
    """A configured channel: its name and how to send a batch of incidents on it."""

    name: str
    send: Callable[[Sequence[Incident]], int]
    target: str


def channels_from(
    smtp: SmtpSettings | None,
    webhook: WebhookSettings | None,
    *,
    attempts: int = 3,
    backoff_seconds: float = 1.0,
) -> list[Channel]:
    """The channels configured (e-mail, webhook), each sending with in-call retries."""
    out = []
    if smtp is not None:
        out.append(
            Channel(
                "email",
                lambda batch: send_email(smtp, build_email(batch, smtp), attempts=attempts, backoff_seconds=backoff_seconds),
                ", ".join(smtp.recipients),
            )
        )  # fmt: skip
    if webhook is not None:
        out.append(
            Channel(
                "webhook",
                lambda batch: send_webhook(
                    webhook, build_webhook_payload(batch), attempts=attempts, backoff_seconds=backoff_seconds
                ),
                webhook.display,
            )
        )
    return out


@dataclass
class NotifyOutcome:
    """What one poll did, per channel."""

    sent: dict[str, int] = field(default_factory=dict)
    messages: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def notify_new_incidents(
    con,
    channels: Sequence[Channel],
    *,
    now: dt.datetime | None = None,
    max_age: dt.timedelta = DEFAULT_MAX_AGE,
    batch: bool | None = None,
    batch_over: int = BATCH_OVER,
    max_attempts: int = MAX_ATTEMPTS,
) -> NotifyOutcome:
    """Send every pending incident on every channel and record the outcome (see the module doc).

    `batch`: True sends one message per channel per poll, False one per incident, None (default)
    one per incident unless more than `batch_over` are pending.
    """
    now = now or dt.datetime.now(dt.UTC)
    outcome = NotifyOutcome()
    deliveries.ensure_tables(con)
    for channel in channels:
        todo = pending(con, channel.name)
        old = [i.run_id for i in todo if i.ended_at is not None and now - i.ended_at > max_age]
        if old:
            deliveries.record_incident_skipped(
                con, old, channel.name, now, f"older than {max_age} when first seen"
            )
            outcome.skipped[channel.name] = len(old)
        todo = [i for i in todo if i.run_id not in set(old)]
        if not todo:
            continue
        batched = batch if batch is not None else len(todo) > batch_over
        groups = [todo] if batched else [[i] for i in todo]
        for group in groups:
            try:
                used = channel.send(group)
                ok, error = True, None
            except DeliveryError as exc:
                used, ok, error = getattr(exc, "attempts", 1), False, str(exc)
                outcome.errors.append(f"{channel.name}: {error}")
            for incident in group:
                deliveries.record_incident_attempt(
                    con, incident.run_id, channel.name, ok=ok, error=error, now=now, max_attempts=max_attempts,
                    batch_size=len(group), attempts=used,
                )  # fmt: skip
            bucket = outcome.sent if ok else outcome.failed
            bucket[channel.name] = bucket.get(channel.name, 0) + len(group)
            if ok:
                outcome.messages[channel.name] = outcome.messages.get(channel.name, 0) + 1
    return outcome

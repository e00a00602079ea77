"""Telling people: SMTP e-mail and incoming webhooks (Slack, Teams), with retries and delivery
records in the warehouse (`deliveries`)."""

from resync_assets.lib.notify.settings import SmtpSettings, WebhookSettings, split_addresses
from resync_assets.lib.notify.smtp import DeliveryError, send_email, send_once
from resync_assets.lib.notify.webhook import chat_payload, post_json, send_webhook

__all__ = [
    "DeliveryError",
    "SmtpSettings",
    "WebhookSettings",
    "chat_payload",
    "post_json",
    "send_email",
    "send_once",
    "send_webhook",
    "split_addresses",
]

"""Posting a JSON message to an incoming webhook (Slack, Microsoft Teams, or any JSON receiver)."""

from __future__ import annotations

from typing import Any

from resync_assets.lib.notify.settings import WebhookSettings
from resync_assets.lib.notify.smtp import DeliveryError, with_retries


def chat_payload(title: str, text: str) -> dict[str, Any]:
    """A body both Slack and Microsoft Teams incoming webhooks accept: Slack reads `text` (mrkdwn);
    a Teams connector reads it as a MessageCard (`@type`, `summary`, `title`, `text`)."""
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": title[:200],
        "title": title,
        "text": text,
    }


def post_json(settings: WebhookSettings, payload: dict[str, Any]) -> None:
    """One POST; DeliveryError unless the receiver answers 2xx. The URL (a secret) is never in the
    error, only its scheme and host."""
    import httpx

    where = f"webhook {settings.display}"
    try:
        with httpx.Client(
            timeout=settings.timeout_seconds, trust_env=False, follow_redirects=False
        ) as client:
            response = client.post(settings.url, json=payload)
    except httpx.TimeoutException:
        raise DeliveryError(
            f"{where} timed out after {settings.timeout_seconds:g} s", transient=True
        ) from None
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{where} unreachable: {type(exc).__name__}", transient=True) from None
    if not 200 <= response.status_code < 300:
        body = " ".join(response.text.split())[:200]
        body = body.replace(settings.url, "***")
        transient = response.status_code in (408, 429) or response.status_code >= 500
        raise DeliveryError(f"{where} answered HTTP {response.status_code}: {body}", transient=transient)


def send_webhook(
    settings: WebhookSettings, payload: dict[str, Any], *, attempts: int = 3, backoff_seconds: float = 1.0
) -> int:
    """`post_json`, retrying transient failures (unreachable, timeout, 429, 5xx); returns the attempts
    used. The last DeliveryError is raised."""
    return with_retries(lambda: post_json(settings, payload), attempts, backoff_seconds)

"""SMTP and webhook settings, from explicit values or the environment (read when asked, never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value.strip() if value and value.strip() else None


def split_addresses(text: str | Sequence[str] | None) -> list[str]:
    """'a@x, b@y;c@z' → ['a@x', 'b@y', 'c@z']."""
    if text is None:
        return []
    items = text.replace(";", ",").split(",") if isinstance(text, str) else list(text)
    return [a.strip() for a in items if a and a.strip()]


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send e-mail. The password never appears in repr, logs or errors."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "starttls"
    timeout_seconds: float = 30.0
    ca_bundle: str | None = None

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ValueError(
                f"SMTP security must be one of {', '.join(SECURITY_MODES)}, not {self.security!r}"
            )
        if not self.host:
            raise ValueError("SMTP host is empty")
        if not 0 < int(self.port) < 65536:
            raise ValueError(f"SMTP port out of range: {self.port}")
        if "@" not in self.sender:
            raise ValueError(f"SMTP sender is not an address: {self.sender!r}")
        if not self.recipients:
            raise ValueError("no recipients (RESYNC_SMTP_RECIPIENTS)")
        for r in self.recipients:
            if "@" not in r:
                raise ValueError(f"recipient is not an address: {r!r}")
        if self.password and not self.user:
            raise ValueError("an SMTP password needs a user (RESYNC_SMTP_USER)")

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        recipients_var: str = "RESYNC_SMTP_RECIPIENTS",
        **explicit,
    ) -> SmtpSettings | None:
        """Settings from `RESYNC_SMTP_*` (explicit keyword values win); None when no host is set.

        `recipients_var` names the list to use (e.g. `RESYNC_INCIDENT_RECIPIENTS`), falling back to
        `RESYNC_SMTP_RECIPIENTS`. A set but invalid value raises a ValueError naming the variable.
        """
        env = os.environ if environ is None else environ
        host = explicit.get("host") or _get(env, "RESYNC_SMTP_HOST")
        if not host:
            return None
        security = (explicit.get("security") or _get(env, "RESYNC_SMTP_SECURITY") or "starttls").lower()
        if security not in SECURITY_MODES:
            raise ValueError(
                f"RESYNC_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}"
            )
        raw_port = explicit.get("port") or _get(env, "RESYNC_SMTP_PORT")
        try:
            port = int(raw_port) if raw_port else DEFAULT_PORTS[security]
        except ValueError:
            raise ValueError(f"RESYNC_SMTP_PORT must be a port number, not {raw_port!r}") from None
        raw_timeout = explicit.get("timeout_seconds") or _get(env, "RESYNC_SMTP_TIMEOUT_SECONDS")
        try:
            timeout = float(raw_timeout) if raw_timeout else 30.0
        except ValueError:
            raise ValueError("RESYNC_SMTP_TIMEOUT_SECONDS must be a number of seconds") from None
        recipients = split_addresses(
            explicit.get("recipients") or _get(env, recipients_var) or _get(env, "RESYNC_SMTP_RECIPIENTS")
        )
        user = explicit.get("user") or _get(env, "RESYNC_SMTP_USER")
        sender = (
            explicit.get("sender")
            or _get(env, "RESYNC_SMTP_SENDER")
            or (user if user and "@" in user else None)
        )
        if not sender:
            raise ValueError("RESYNC_SMTP_SENDER is not set (the From address)")
        password = explicit.get("password")
        if password is None:
            password = env.get("RESYNC_SMTP_PASSWORD") or None
        ca_bundle = explicit.get("ca_bundle") or _get(env, "RESYNC_SMTP_CA_BUNDLE")
        if ca_bundle and not os.path.isfile(ca_bundle):
            raise ValueError(f"RESYNC_SMTP_CA_BUNDLE is not a file: {ca_bundle}")
        return cls(
            host=host,
            port=port,
            sender=sender,
            recipients=tuple(recipients),
            user=user,
            password=password,
            security=security,
            timeout_seconds=timeout,
            ca_bundle=ca_bundle,
        )


@dataclass(frozen=True)
class WebhookSettings:
    """An incoming-webhook URL (Slack, Microsoft Teams, or any JSON receiver). The URL is a secret
    (it carries the token): only `display` (scheme and host) is ever shown."""

    url: str = field(repr=False)
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("RESYNC_WEBHOOK_URL must be an http(s) URL")

    @property
    def display(self) -> str:
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}/…"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, url: str | None = None
    ) -> WebhookSettings | None:
        """From `RESYNC_WEBHOOK_URL` (None when unset)."""
        env = os.environ if environ is None else environ
        url = url or _get(env, "RESYNC_WEBHOOK_URL")
        if not url:
            return None
        raw_timeout = _get(env, "RESYNC_WEBHOOK_TIMEOUT_SECONDS")
        try:
            timeout = float(raw_timeout) if raw_timeout else 10.0
        except ValueError:
            raise ValueError("RESYNC_WEBHOOK_TIMEOUT_SECONDS must be a number of seconds") from None
        return cls(url=url, timeout_seconds=timeout)

"""Sending one e-mail over SMTP (STARTTLS, implicit TLS or plain), with clear, secret-free errors."""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage

from resync_assets.lib.notify.settings import SmtpSettings


class DeliveryError(RuntimeError):
    """A channel could not deliver. `transient` errors are worth retrying; the text never holds a secret."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def _redact(text: str, settings: SmtpSettings) -> str:
    if settings.password:
        text = text.replace(settings.password, "***")
    return text


def _server_reply(exc: smtplib.SMTPResponseException) -> str:
    detail = (
        exc.smtp_error.decode("utf-8", "replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {' '.join(detail.split())}"[:300]


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    # The server certificate is always verified: the system's CAs, or an internal CA's bundle.
    context = ssl.create_default_context(cafile=settings.ca_bundle)
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout_seconds, context=context
        )
    client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    if settings.security == "starttls":
        client.ehlo()
        if not client.has_extn("starttls"):
            client.close()
            raise DeliveryError(
                f"SMTP server {settings.host}:{settings.port} does not offer STARTTLS "
                "(set RESYNC_SMTP_SECURITY=ssl or none if that is intended)"
            )
        client.starttls(context=context)
        client.ehlo()
    return client


def send_once(settings: SmtpSettings, message: EmailMessage) -> None:
    """Deliver `message` to its recipients (`settings.recipients` when it has no To) in one SMTP
    session; DeliveryError with a clear cause otherwise."""
    where = f"SMTP server {settings.host}:{settings.port}"
    try:
        client = _connect(settings)
    except DeliveryError:
        raise
    except ConnectionRefusedError:
        raise DeliveryError(f"{where} refused the connection", transient=True) from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"TLS with {where} failed: {exc.reason or type(exc).__name__}") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"{where} answered {_server_reply(exc)}", transient=400 <= exc.smtp_code < 500
        ) from None
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        reason = _redact(str(exc) or type(exc).__name__, settings)
        raise DeliveryError(f"could not connect to {where}: {reason}", transient=True) from None
    try:
        if settings.user:
            try:
                client.login(settings.user, settings.password or "")
            except smtplib.SMTPAuthenticationError as exc:
                raise DeliveryError(
                    f"{where} rejected the login of user {settings.user!r}: {_redact(_server_reply(exc), settings)}"
                ) from None
            except smtplib.SMTPNotSupportedError:
                raise DeliveryError(
                    f"{where} does not offer authentication (AUTH) on this connection"
                ) from None
        try:
            refused = client.send_message(
                message, from_addr=settings.sender, to_addrs=list(settings.recipients)
            )
        except smtplib.SMTPRecipientsRefused as exc:
            who = ", ".join(f"{r} ({code})" for r, (code, _) in exc.recipients.items())
            raise DeliveryError(f"{where} refused every recipient: {who}") from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"{where} rejected the message: {_redact(_server_reply(exc), settings)}",
                transient=400 <= exc.smtp_code < 500,
            ) from None
        if refused:
            who = ", ".join(f"{r} ({code})" for r, (code, _) in refused.items())
            raise DeliveryError(f"{where} refused some recipients: {who}")
    except (TimeoutError, OSError, smtplib.SMTPServerDisconnected) as exc:
        reason = _redact(str(exc) or type(exc).__name__, settings)
        raise DeliveryError(f"connection to {where} lost: {reason}", transient=True) from None
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def with_retries(send: Callable[[], object], attempts: int, backoff_seconds: float) -> int:
    """Call `send`, retrying a transient DeliveryError up to `attempts` times with doubling waits;
    returns the attempts used. The last DeliveryError is raised, carrying `attempts`."""
    for attempt in range(1, attempts + 1):
        try:
            send()
            return attempt
        except DeliveryError as exc:
            if not exc.transient or attempt == attempts:
                exc.attempts = attempt  # type: ignore[attr-defined]
                raise
            time.sleep(backoff_seconds * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def send_email(
    settings: SmtpSettings, message: EmailMessage, *, attempts: int = 3, backoff_seconds: float = 2.0
) -> int:
    """`send_once`, retrying transient failures (refused connection, 4xx) up to `attempts` times with
    doubling waits; returns the attempts used. The last DeliveryError is raised."""
    return with_retries(lambda: send_once(settings, message), attempts, backoff_seconds)

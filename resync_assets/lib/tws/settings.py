"""Connection settings of the TWS client."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclasses.dataclass(frozen=True)
class TwsSettings:
    """Where and how to reach a TWS REST API v2 server.

    ``token`` (bearer) takes precedence over ``user``/``password`` (basic). TLS verification is on
    unless ``verify_tls`` is false; ``ca_bundle`` points to a PEM file for an internal CA.
    Secrets are excluded from ``repr`` so settings can be logged.
    """

    base_url: str
    user: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    token: str | None = dataclasses.field(default=None, repr=False)
    verify_tls: bool = True
    ca_bundle: str | None = None
    timeout_seconds: float = 30.0
    max_retries: int = 5
    backoff_max_seconds: float = 30.0
    page_size: int = 1000
    breaker_fail_max: int = 5
    breaker_reset_seconds: float = 30.0
    joblog_max_bytes: int = 5_000_000
    backoff_initial_seconds: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.base_url, str) or not self.base_url.strip():
            raise ValueError("TwsSettings.base_url is required, e.g. https://tws.example:31116")
        parts = urlsplit(self.base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "TwsSettings.base_url must be an http(s) URL with a host, e.g. https://tws.example:31116"
            )
        if parts.username is not None or parts.password is not None:
            # Credentials in the URL would leak wherever the URL is printed: move them to fields.
            user, password = unquote(parts.username or ""), unquote(parts.password or "")
            object.__setattr__(self, "user", self.user or user or None)
            object.__setattr__(self, "password", self.password or password or None)
            netloc = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
            parts = parts._replace(netloc=netloc)
        object.__setattr__(self, "base_url", urlunsplit(parts._replace(query="", fragment="")).rstrip("/"))
        for name in ("timeout_seconds", "backoff_max_seconds", "breaker_reset_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"TwsSettings.{name} must be > 0")
        if self.backoff_initial_seconds < 0:
            raise ValueError("TwsSettings.backoff_initial_seconds must be >= 0")
        if self.max_retries < 0:
            raise ValueError("TwsSettings.max_retries must be >= 0")
        for name in ("page_size", "breaker_fail_max", "joblog_max_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"TwsSettings.{name} must be >= 1")
        if self.page_size > 2**31 - 1:
            raise ValueError("TwsSettings.page_size must fit an int32")
        for name, most in (
            ("timeout_seconds", 3600.0),
            ("backoff_max_seconds", 3600.0),
            ("breaker_reset_seconds", 86_400.0),
            ("backoff_initial_seconds", 3600.0),
            ("max_retries", 100),
            ("breaker_fail_max", 1_000_000),
        ):
            if getattr(self, name) > most:
                raise ValueError(f"TwsSettings.{name} must be at most {most:g}, got {getattr(self, name)!r}")
        if self.verify_tls and self.ca_bundle and not os.path.isfile(self.ca_bundle):
            raise ValueError(
                f"TwsSettings.ca_bundle (RESYNC_TWS_CA_BUNDLE): no such file {self.ca_bundle!r}; "
                "give the PEM file of the CA that signed the server's certificate"
            )
        if self.user and not self.password and not self.token:
            raise ValueError("TwsSettings.password is required when user is set (or give a token)")

    @property
    def auth_kind(self) -> str:
        """``"bearer"``, ``"basic"`` or ``"none"``: which credentials the client will send."""
        if self.token:
            return "bearer"
        if self.user:
            return "basic"
        return "none"

    @property
    def verify(self) -> bool | str:
        """The value for httpx's ``verify``: False, True, or the CA-bundle path."""
        if not self.verify_tls:
            return False
        return self.ca_bundle or True

    def secrets(self) -> tuple[str, ...]:
        """The secret strings this configuration holds (to redact them from any text)."""
        return tuple(s for s in (self.password, self.token) if s)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> TwsSettings:
        """Build settings from ``RESYNC_TWS_*`` variables, read when called (never at import).

        Variables: ``RESYNC_TWS_BASE_URL`` (required), ``RESYNC_TWS_USER``, ``RESYNC_TWS_PASSWORD``,
        ``RESYNC_TWS_TOKEN``, ``RESYNC_TWS_CA_BUNDLE``, ``RESYNC_TWS_VERIFY_TLS`` (default true),
        ``RESYNC_TWS_TIMEOUT_SECONDS`` (default 30). Empty values count as unset. Keyword
        ``overrides`` win over the environment.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"RESYNC_TWS_{name}")
            return value.strip() if value and value.strip() else None

        base_url = get("BASE_URL")
        if base_url is None and "base_url" not in overrides:
            raise ValueError("RESYNC_TWS_BASE_URL is not set (see .env.example)")
        kwargs: dict = {
            "base_url": base_url,
            "user": get("USER"),
            "password": env.get("RESYNC_TWS_PASSWORD") or None,
            "token": get("TOKEN"),
            "ca_bundle": get("CA_BUNDLE"),
        }
        verify = get("VERIFY_TLS")
        if verify is not None:
            if verify.lower() in _TRUE:
                kwargs["verify_tls"] = True
            elif verify.lower() in _FALSE:
                kwargs["verify_tls"] = False
            else:
                raise ValueError("RESYNC_TWS_VERIFY_TLS must be true or false")
        timeout = get("TIMEOUT_SECONDS")
        if timeout is not None:
            try:
                kwargs["timeout_seconds"] = float(timeout)
            except ValueError:
                raise ValueError("RESYNC_TWS_TIMEOUT_SECONDS must be a number of seconds") from None
        kwargs.update(overrides)
        return cls(**kwargs)

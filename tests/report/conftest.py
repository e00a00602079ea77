"""Fixtures of the report tests: a warehouse with known values, a loopback SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

import pytest

from tests.report.warehouse_fixture import make_warehouse


@pytest.fixture
def warehouse(tmp_path):
    """A warehouse with the marts, incidents and every forecaster table (known values)."""
    return make_warehouse(tmp_path / "warehouse.duckdb")


@pytest.fixture
def bare_warehouse(tmp_path):
    """The same without any of the forecaster's tables."""
    return make_warehouse(tmp_path / "warehouse.duckdb", forecasts=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list = field(default_factory=list)
    reject_with: str | None = None
    logins: list = field(default_factory=list)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, srv, session, envelope):
        if self.server.reject_with:
            return self.server.reject_with
        self.server.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.content}
        )
        return "250 Message accepted for delivery"


USER, PASSWORD = "resync-mailer", "s3cret-Pa55-word"


@pytest.fixture
def smtp_server():
    """An aiosmtpd server on loopback that accepts USER / PASSWORD (AUTH PLAIN / LOGIN without TLS)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    server = SmtpServer("127.0.0.1", free_port())

    def authenticator(srv, session, envelope, mechanism, auth_data):
        ok = getattr(auth_data, "login", None) == USER.encode() and auth_data.password == PASSWORD.encode()
        server.logins.append(ok)
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        _Handler(server), hostname=server.host, port=server.port, authenticator=authenticator,
        auth_require_tls=False, auth_required=True,
    )  # fmt: skip
    controller.start()
    try:
        yield server
    finally:
        controller.stop()

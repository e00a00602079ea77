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


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 / localhost: (cert.pem, key.pem), made with `cryptography`."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


@pytest.fixture(params=["starttls", "ssl"])
def tls_smtp_server(request, tls_files):
    """aiosmtpd with STARTTLS required (param 'starttls') or implicit TLS ('ssl'); AUTH only over TLS."""
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    server = SmtpServer("127.0.0.1", free_port())

    def authenticator(srv, session, envelope, mechanism, auth_data):
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        server.logins.append(ok)
        return AuthResult(success=ok, handled=False)

    # aiosmtpd's auth_require_tls knows STARTTLS only; with implicit TLS the whole session is encrypted.
    kwargs = (
        {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        if request.param == "starttls"
        else {"ssl_context": context, "auth_require_tls": False}
    )
    controller = Controller(
        _Handler(server), hostname=server.host, port=server.port, authenticator=authenticator, **kwargs
    )
    controller.start()
    server.security = request.param
    try:
        yield server
    finally:
        controller.stop()

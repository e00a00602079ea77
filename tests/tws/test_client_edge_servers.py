"""Server behaviours the simulator does not show, served for real on loopback by tiny handlers."""

from __future__ import annotations

import orjson
import pytest

from resync_assets.lib.tws import TwsApiError, TwsClient, TwsProtocolError, TwsSettings
from tests.shared_data import missing

SECRET = "pw-that-must-not-leak-81x"


def _client(base_url: str) -> TwsClient:
    return TwsClient(
        TwsSettings(
            base_url,
            user="u",
            password=SECRET,
            max_retries=2,
            backoff_max_seconds=0.01,
            backoff_initial_seconds=0.001,
        )
    )


JSON = {"Content-Type": "application/json"}
ITEMS = [{"id": f"j{i:03d}"} for i in range(25)]


def test_full_page_without_next_link_continues_while_count_says_more(serve):
    def handle(path, query):
        offset, limit = int(query["offset"]), int(query["limit"])
        return 200, JSON, orjson.dumps({"count": len(ITEMS), "results": ITEMS[offset : offset + limit]})

    with _client(serve(handle)) as client:
        assert [j["id"] for j in client.iter_jobs(page_size=10)] == [j["id"] for j in ITEMS]


def test_without_next_and_count_paging_stops_per_the_safe_loop(serve):
    def handle(path, query):
        offset, limit = int(query["offset"]), int(query["limit"])
        return 200, JSON, orjson.dumps({"results": ITEMS[offset : offset + limit]})

    with _client(serve(handle)) as client:
        assert len(list(client.iter_jobs(page_size=10))) == 10


def test_a_server_that_ignores_offset_is_a_protocol_error_not_a_loop(serve):
    def handle(path, query):
        return 200, JSON, orjson.dumps({"count": 1000, "next": "x", "results": ITEMS[:10]})

    with _client(serve(handle)) as client, pytest.raises(TwsProtocolError, match="ignore 'offset'"):
        list(client.iter_jobs(page_size=10))


def test_server_echoing_the_password_is_redacted(serve):
    def handle(path, query):
        return 400, JSON, orjson.dumps({"message": f"AWSJSY100E bad login {SECRET} for u"})

    with _client(serve(handle)) as client, pytest.raises(TwsApiError) as info:
        client.engine_info()
    assert SECRET not in str(info.value) and SECRET not in (info.value.tws_message or "")
    assert "AWSJSY100E bad login *** for u" in str(info.value)


def test_redirect_is_an_error_not_followed(serve):
    def handle(path, query):
        return 302, {"Location": "http://127.0.0.1:9/elsewhere"}, b""

    with _client(serve(handle)) as client, pytest.raises(TwsApiError, match="unexpected redirect") as info:
        client.engine_info()
    assert info.value.status == 302 and client.stats["requests"] == 1


def test_non_json_body_is_a_protocol_error_after_retries(serve):
    def handle(path, query):
        return 200, JSON, b"<html>login page</html>"

    with _client(serve(handle)) as client, pytest.raises(TwsProtocolError, match="not valid JSON"):
        client.engine_info()
    assert client.stats["requests"] == 3


def test_wrong_shape_is_a_protocol_error(serve):
    def handle(path, query):
        return 200, JSON, b"[1, 2]"

    with (
        _client(serve(handle)) as client,
        pytest.raises(TwsProtocolError, match="expected a paginated object"),
    ):
        list(client.iter_jobs())


@pytest.fixture
def tls_server(tmp_path, serve):
    """A loopback HTTPS server with a fresh self-signed certificate: (base_url, ca_file)."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        missing("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    body = orjson.dumps({"timezone": "UTC"})
    return serve(lambda path, query: (200, JSON, body), ssl_context=context), str(cert)


def test_tls_is_verified_by_default_and_a_ca_bundle_makes_it_trusted(tls_server):
    from resync_assets.lib.tws import TwsConnectionError

    base_url, ca_file = tls_server
    settings = {"token": "t", "max_retries": 3, "backoff_max_seconds": 0.01}
    with TwsClient(TwsSettings(base_url, **settings)) as client:
        with pytest.raises(
            TwsConnectionError, match="TLS handshake failed: CERTIFICATE_VERIFY_FAILED.*CA_BUNDLE"
        ):
            client.engine_info()
        assert client.stats["requests"] == 1, "a certificate failure is not retried"
    with TwsClient(TwsSettings(base_url, ca_bundle=ca_file, **settings)) as client:
        assert client.engine_info() == {"timezone": "UTC"}
    with TwsClient(TwsSettings(base_url, verify_tls=False, **settings)) as client:
        assert client.engine_info() == {"timezone": "UTC"}

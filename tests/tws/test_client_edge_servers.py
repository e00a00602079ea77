"""Server behaviours the simulator does not show, served for real on loopback by tiny handlers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from resync_assets.lib.tws import TwsApiError, TwsClient, TwsProtocolError, TwsSettings

SECRET = "pw-that-must-not-leak-81x"


@pytest.fixture
def serve():
    """Factory: ``serve(handler)`` where handler(path, query) -> (status, headers, body); returns base URL."""
    servers = []

    def start(handle: Callable[[str, dict], tuple[int, dict, bytes]]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                split = urlsplit(self.path)
                status, headers, body = handle(split.path, {k: v[0] for k, v in parse_qs(split.query).items()})
                self.send_response(status)
                for key, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _client(base_url: str) -> TwsClient:
    return TwsClient(TwsSettings(base_url, user="u", password=SECRET, max_retries=2, backoff_max_seconds=0.01,
                                 backoff_initial_seconds=0.001))


JSON = {"Content-Type": "application/json"}
ITEMS = [{"id": f"j{i:03d}"} for i in range(25)]


def test_full_page_without_next_link_continues_while_count_says_more(serve):
    def handle(path, query):
        offset, limit = int(query["offset"]), int(query["limit"])
        return 200, JSON, orjson.dumps({"count": len(ITEMS), "results": ITEMS[offset:offset + limit]})

    with _client(serve(handle)) as client:
        assert [j["id"] for j in client.iter_jobs(page_size=10)] == [j["id"] for j in ITEMS]


def test_without_next_and_count_paging_stops_per_the_safe_loop(serve):
    def handle(path, query):
        offset, limit = int(query["offset"]), int(query["limit"])
        return 200, JSON, orjson.dumps({"results": ITEMS[offset:offset + limit]})

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

    with _client(serve(handle)) as client, pytest.raises(TwsProtocolError, match="expected a paginated object"):
        list(client.iter_jobs())

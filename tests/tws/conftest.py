"""Clients for the simulators of tests/conftest.py, with tiny backoffs so retries cost milliseconds."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from resync_assets.lib.tws import TwsClient, TwsSettings

FAST = {"backoff_max_seconds": 0.02, "backoff_initial_seconds": 0.001, "timeout_seconds": 5.0}


@pytest.fixture
def client_for(sim_auth, sim_token):
    """Factory: ``client_for(sim, auth="basic"|"token"|"none", event_hooks=None, **settings)`` → an open TwsClient (closed after)."""
    opened: list[TwsClient] = []

    def factory(sim, auth: str = "basic", event_hooks=None, **overrides) -> TwsClient:
        kwargs = {**FAST, **overrides}
        if auth == "basic":
            kwargs.setdefault("user", sim_auth[0])
            kwargs.setdefault("password", sim_auth[1])
        elif auth == "token":
            kwargs.setdefault("token", sim_token)
        client = TwsClient(TwsSettings(sim.base_url, **kwargs), event_hooks=event_hooks)
        opened.append(client)
        return client

    yield factory
    for client in opened:
        client.close()


@pytest.fixture
def client(simulator, client_for) -> TwsClient:
    """A basic-auth client on the shared, fault-free simulator."""
    return client_for(simulator)


@pytest.fixture
def serve():
    """Factory for server behaviours the simulator does not show: ``serve(handle, ssl_context=None)``
    starts a loopback server whose GETs are answered by ``handle(path, query) -> (status, headers,
    body)`` and returns its base URL (https with an ``ssl_context``); stopped after the test."""
    servers = []

    def start(
        handle: Callable[[str, dict], tuple[int, dict, bytes]], ssl_context: ssl.SSLContext | None = None
    ) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                split = urlsplit(self.path)
                status, headers, body = handle(
                    split.path, {k: v[0] for k, v in parse_qs(split.query).items()}
                )
                self.send_response(status)
                for key, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if ssl_context is not None:
            server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"{'https' if ssl_context else 'http'}://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()

"""Loopback receivers for the notification tests: aiosmtpd (from the report tests) and an HTTP
webhook receiver that records JSON POSTs and can answer with errors."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.report.conftest import smtp_server  # noqa: F401 - a fixture shared with the report tests


class WebhookReceiver:
    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.failures: list[int] = []  # statuses to answer next, one per request, before accepting
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/services/T000/B000/secret-token-xyz"


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if receiver.failures:
                status = receiver.failures.pop(0)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"upstream broken")
                return
            receiver.posts.append(
                {"path": self.path, "type": self.headers.get("Content-Type"), "json": json.loads(body)}
            )
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()

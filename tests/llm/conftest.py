"""A tiny OpenAI-compatible chat-completions server on loopback, started by the tests.

`fake_llm.answers` is a list consumed one per request: a dict (sent as the JSON content), a string
(sent as raw content), ("status", 500) for an HTTP error, ("body", text) for a 200 answer whose body
is `text` instead of a chat completion, or ("sleep", seconds) to time out the client;
when the list is empty, `fake_llm.default` is used (the raw content "{}" unless set, e.g. to
("sleep", 5) for an endpoint that hangs on every request). `fake_llm.on_request`, when set, is called
with the request number (1, 2, ...) before the answer is sent, while the client waits.
Every request body and Authorization header is kept in `fake_llm.requests`.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class FakeLlm:
    """Server state shared with the handler."""

    def __init__(self) -> None:
        self.answers: list = []
        self.default = "{}"
        self.on_request = None
        self.requests: list[dict] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"


def _handler(state: FakeLlm):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            answer = state.answers.pop(0) if state.answers else state.default
            if state.on_request is not None:
                state.on_request(len(state.requests))
            if isinstance(answer, tuple) and answer[0] == "sleep":
                time.sleep(answer[1])
                answer = "{}"
            if isinstance(answer, tuple) and answer[0] == "status":
                payload = json.dumps({"error": {"message": "boom", "type": "server_error"}}).encode()
                self.send_response(answer[1])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            if isinstance(answer, tuple) and answer[0] == "body":
                payload = answer[1].encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            content = answer if isinstance(answer, str) else json.dumps(answer)
            payload = json.dumps(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@pytest.fixture
def fake_llm():
    """A started fake server (stopped after the test)."""
    state = FakeLlm()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()

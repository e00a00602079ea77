"""Headless Chromium, the one place the tests and benchmarks start a browser.

Uses the system's `chromium` (Debian's package; `.ci/run` installs it when missing): no browser is
downloaded. `Chromium` drives a page over the DevTools protocol (CDP) with the `websockets` client:
`open_page(path)` loads a file at the viewport width and returns what the DOM says about its images
and overflow, and a full-page PNG screenshot (the e-mailed report's browser tests). `screenshot(url,
path)` saves a PNG of a live page after some page time (the Dagster UI's asset graph).
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Self

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

PAGE_PROBE = """
(() => {
  const width = document.documentElement.clientWidth;
  const images = [...document.images].map(img => ({
    src: img.getAttribute('src').slice(0, 30), complete: img.complete, naturalWidth: img.naturalWidth,
    naturalHeight: img.naturalHeight, left: img.getBoundingClientRect().left,
    right: img.getBoundingClientRect().right, top: img.getBoundingClientRect().top + window.scrollY,
    bottom: img.getBoundingClientRect().bottom + window.scrollY, alt: img.alt,
  }));
  const overflowing = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 0.5 && el.getClientRects().length)
    .map(el => el.tagName + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''))
    .slice(0, 20);
  return JSON.stringify({
    clientWidth: width, scrollWidth: document.documentElement.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth, height: document.documentElement.scrollHeight,
    images, overflowing, title: document.title,
    sections: [...document.querySelectorAll('h2')].map(h => h.textContent.trim()),
    text: document.body.innerText,
  });
})()
"""


# Chromium's own background work off, so a headless run does only what it is asked.
HEADLESS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
)  # fmt: skip


def _profile() -> tempfile.TemporaryDirectory:
    # Chromium's helper processes can outlive the browser by a moment and still write here.
    return tempfile.TemporaryDirectory(prefix="resync-chromium-", ignore_cleanup_errors=True)


def find_chromium() -> str | None:
    """The Chromium binary on PATH, if any."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """A headless Chromium process and a CDP session with its first page."""

    def __init__(self, binary: str, width: int = 700, height: int = 900) -> None:
        self.binary = binary
        self.width = width
        self.height = height
        self._ids = itertools.count(1)

    def __enter__(self) -> Self:
        from websockets.sync.client import connect

        self._profile = _profile()
        self.proc = subprocess.Popen(
            [
                self.binary, *HEADLESS, "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={self._profile.name}", f"--window-size={self.width},{self.height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode("utf-8", "replace")[-2000:] if self.proc.stderr else ""
                self.__exit__(None, None, None)
                raise RuntimeError(f"chromium did not start: {err}")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.load(resp)
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        return self

    def __exit__(self, *exc) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._profile.cleanup()

    def call(self, method: str, params: dict | None = None, timeout: float = 30.0) -> dict:
        """Send one CDP command and wait for its answer (events in between are skipped)."""
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == msg_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_event(self, method: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("method") == method:
                return message.get("params", {})

    def open_page(self, path: Path) -> tuple[dict, bytes]:
        """Load `path`; return the DOM probe (images, overflow, text) and a full-page screenshot."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.call("Page.enable")
        self.call("Page.navigate", {"url": Path(path).resolve().as_uri()})
        self.wait_event("Page.loadEventFired")
        probe = json.loads(
            self.call("Runtime.evaluate", {"expression": PAGE_PROBE, "returnByValue": True})["result"][
                "value"
            ]
        )
        shot = self.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True,
             "clip": {"x": 0, "y": 0, "width": self.width, "height": probe["height"], "scale": 1}},
        )  # fmt: skip
        return probe, base64.b64decode(shot["data"])


def screenshot(url: str, path: Path, width: int = 1600, height: int = 1000, wait_ms: int = 20000) -> Path:
    """Save a PNG of ``url`` as headless Chromium renders it after ``wait_ms`` of page time."""
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _profile() as profile:
        subprocess.run(
            [browser, *HEADLESS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
             f"--virtual-time-budget={wait_ms}", f"--screenshot={path}", url],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    return path

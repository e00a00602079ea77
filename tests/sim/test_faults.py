"""Injected faults: syntax, determinism, and each kind observed over raw HTTP."""

from __future__ import annotations

import socket

import httpx
import pytest

from resync_assets.sim.faults import FaultConfig, FaultInjector

AUTH = ("resync", "resync-pw")


def test_parse_full_syntax():
    cfg = FaultConfig.parse(
        "500=0.02,503=0.01,429=0.02,latency=0.05:0.2,timeout=0.01,truncate=0.01,reset=0.01"
    )
    assert (cfg.error_500, cfg.error_503, cfg.error_429) == (0.02, 0.01, 0.02)
    assert (cfg.latency_min, cfg.latency_max) == (0.05, 0.2)
    assert (cfg.timeout, cfg.truncate, cfg.reset) == (0.01, 0.01, 0.01)
    assert FaultConfig.parse(cfg.describe()) == cfg
    assert FaultConfig.parse("") == FaultConfig() and not FaultConfig().enabled
    assert FaultConfig.parse("stall=2,retry_after=3,seed=9") == FaultConfig(
        stall_seconds=2, retry_after=3, seed=9
    )


@pytest.mark.parametrize(
    "bad",
    ["500", "500=x", "404=0.1", "500=1.5", "500=0.6,503=0.6", "latency=0.3:0.1", "stall=1000", "seed=abc"],
)
def test_parse_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        FaultConfig.parse(bad)


def test_verdicts_are_deterministic_for_a_seed():
    cfg = FaultConfig.parse("500=0.2,503=0.2,429=0.2,seed=4")
    urls = [f"/twsd/api/v2/plan/job?offset={k}" for k in range(50)] * 2
    first = [FaultInjector(cfg).decide("GET", u).kind for u in urls]
    injector = FaultInjector(cfg)
    again = [injector.decide("GET", u).kind for u in urls]
    assert [FaultInjector(cfg).decide("GET", u).kind for u in urls] == first
    assert again[:50] == first[:50]
    assert again[50:] != again[:50]  # a retry of the same URL gets a fresh draw
    other = FaultInjector(cfg.with_seed(5))
    assert [other.decide("GET", u).kind for u in urls] != again
    shares = {k: again.count(k) for k in ("500", "503", "429", None)}
    assert all(10 <= v <= 40 for v in shares.values()), shares


def test_latency_is_within_bounds():
    injector = FaultInjector(FaultConfig.parse("latency=0.05:0.2"))
    values = [injector.decide("GET", f"/x?{k}").latency for k in range(100)]
    assert all(0.05 <= v <= 0.2 for v in values) and len(set(values)) > 50


@pytest.fixture
def faulty(make_simulator):
    return make_simulator(faults=FaultConfig.parse("stall=2"))


def _get(sim, path="/plan/job?limit=2", **kwargs):
    return httpx.get(sim.api_url + path.replace("/twsd/api/v2", ""), auth=AUTH, **kwargs)


@pytest.mark.parametrize("code", [500, 503])
def test_server_errors(faulty, code):
    faulty.set_faults(FaultConfig.parse(f"{code}=1"))
    r = _get(faulty)
    assert r.status_code == code and r.json()["code"] == code


def test_429_carries_retry_after(faulty):
    faulty.set_faults(FaultConfig.parse("429=1,retry_after=7"))
    r = _get(faulty)
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"


def test_timeout_holds_the_response_beyond_the_client_timeout(faulty):
    faulty.set_faults(FaultConfig.parse("timeout=1,stall=3"))
    with pytest.raises(httpx.ReadTimeout):
        _get(faulty, timeout=0.3)


def test_latency_delays_responses(faulty):
    faulty.set_faults(FaultConfig.parse("latency=3:3"))
    with pytest.raises(httpx.ReadTimeout):
        _get(faulty, timeout=0.3)
    faulty.set_faults(FaultConfig())
    assert _get(faulty, timeout=10).status_code == 200


def _raw_get(sim, path: str) -> tuple[bytes, bytes]:
    """Send a request on a raw socket; return (headers, body bytes received before the close)."""
    sock = socket.create_connection((sim.host, sim.port), timeout=10)
    try:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer resync-token\r\n\r\n".encode())
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def test_truncate_promises_more_than_it_sends(faulty):
    faulty.set_faults(FaultConfig.parse("truncate=1"))
    head, body = _raw_get(faulty, "/twsd/api/v2/plan/job?limit=5")
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    assert 0 < len(body) < length
    with pytest.raises(httpx.RemoteProtocolError):
        _get(faulty, "/plan/job?limit=5")


def test_reset_closes_without_a_response(faulty):
    faulty.set_faults(FaultConfig.parse("reset=1"))
    head, body = _raw_get(faulty, "/twsd/api/v2/plan/job")
    assert head == b"" and body == b""
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        _get(faulty)


def test_faults_only_hit_api_routes(faulty):
    faulty.set_faults(FaultConfig.parse("500=1"))
    assert httpx.get(faulty.base_url + "/health").status_code == 200
    assert _get(faulty, "/engine/info").status_code == 500


def test_server_recovers_when_faults_are_cleared(faulty):
    faulty.set_faults(FaultConfig.parse("reset=0.5,503=0.5"))
    faulty.set_faults(FaultConfig())
    assert _get(faulty).status_code == 200

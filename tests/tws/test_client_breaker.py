"""The circuit breaker opens after repeated failures, half-opens after the reset timeout, closes on success."""

import time

import pytest

from resync_assets.lib.tws import TwsApiError, TwsCircuitOpenError, TwsClient, TwsNotFoundError, TwsSettings
from resync_assets.sim.server import FaultConfig
from resync_assets.sim.workload import WorkloadConfig

# Wide enough that a loaded machine cannot let the window pass between two statements that expect
# the breaker still open; the half-open waits below take this long.
RESET = 3.0


def _wait_for_state(client, state, limit=10.0):
    deadline = time.monotonic() + limit
    while client.stats["breaker_state"] != state:
        assert time.monotonic() < deadline, f"breaker never reached {state}"
        time.sleep(0.02)


@pytest.fixture
def failing(make_simulator, sim_auth):
    sim = make_simulator(WorkloadConfig(seed=5, days=1, jobs=20), faults=FaultConfig.parse("500=1.0"))
    settings = TwsSettings(
        sim.base_url,
        user=sim_auth[0],
        password=sim_auth[1],
        max_retries=0,
        breaker_fail_max=2,
        breaker_reset_seconds=RESET,
    )
    with TwsClient(settings) as client:
        yield sim, client


def test_open_half_open_closed(failing):
    sim, client = failing
    assert client.stats["breaker_state"] == "closed"
    for _ in range(2):
        with pytest.raises(TwsApiError):
            client.engine_info()
    assert client.stats["breaker_state"] == "open"

    sent = client.stats["requests"]
    with pytest.raises(TwsCircuitOpenError, match="circuit breaker is open") as info:
        client.engine_info()
    assert info.value.endpoint == "GET /twsd/api/v2/engine/info"
    assert client.stats["requests"] == sent, "an open breaker must not send the request"
    assert client.stats["calls_rejected_by_breaker"] == 1

    sim.set_faults(FaultConfig())
    _wait_for_state(client, "half-open")
    assert client.engine_info()["timezone"] == "UTC"
    assert client.stats["breaker_state"] == "closed"
    assert client.stats["breaker_failures"] == 0


def test_failed_trial_call_reopens(failing):
    _sim, client = failing
    for _ in range(2):
        with pytest.raises(TwsApiError):
            client.engine_info()
    _wait_for_state(client, "half-open")
    with pytest.raises(TwsApiError):
        client.engine_info()
    assert client.stats["breaker_state"] == "open"
    with pytest.raises(TwsCircuitOpenError):
        client.engine_info()


def test_client_errors_do_not_open_the_breaker(make_simulator, sim_auth):
    sim = make_simulator(WorkloadConfig(seed=5, days=1, jobs=20))
    settings = TwsSettings(sim.base_url, user=sim_auth[0], password=sim_auth[1], breaker_fail_max=2)
    with TwsClient(settings) as client:
        for _ in range(5):
            with pytest.raises(TwsNotFoundError):
                client.get_job("no-such-job")
        assert client.stats["breaker_state"] == "closed"
        assert client.engine_info()


def test_retries_happen_inside_one_breaker_call(make_simulator, sim_auth):
    # Four failed attempts of one call are one breaker failure, not four.
    sim = make_simulator(WorkloadConfig(seed=5, days=1, jobs=20), faults=FaultConfig.parse("500=1.0"))
    settings = TwsSettings(
        sim.base_url,
        user=sim_auth[0],
        password=sim_auth[1],
        max_retries=3,
        backoff_max_seconds=0.01,
        backoff_initial_seconds=0.001,
        breaker_fail_max=2,
    )
    with TwsClient(settings) as client:
        with pytest.raises(TwsApiError):
            client.engine_info()
        assert client.stats["requests"] == 4
        assert client.stats["breaker_state"] == "closed" and client.stats["breaker_failures"] == 1

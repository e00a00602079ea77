"""Clients for the simulators of tests/conftest.py, with tiny backoffs so retries cost milliseconds."""

from __future__ import annotations

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

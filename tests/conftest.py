"""Shared fixtures: the embedded TWS simulator on loopback.

`simulator` is one session-wide server (small workload, ManualClock frozen at SIM_NOW, no faults):
read from it, never move its clock or change its faults. Tests that need their own clock, faults or
workload use `make_simulator(**kwargs)`, which stops what it started at the end of the test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from resync_assets.sim.clock import ManualClock
from resync_assets.sim.server import FaultConfig, SimulatorServer
from resync_assets.sim.workload import WorkloadConfig

# In CI a session that skipped any test fails (tests/ci_no_skips.py).
pytest_plugins = ["tests.ci_no_skips"]

SIM_USER = "resync"
SIM_PASSWORD = "resync-pw"
SIM_TOKEN = "resync-token"
# A Friday mid-morning: the current plan has finished, running and waiting jobs.
SIM_NOW = datetime(2025, 3, 14, 10, 0, tzinfo=UTC)
SIM_CONFIG = WorkloadConfig(seed=7, days=5, jobs=60)


@pytest.fixture(scope="session")
def simulator():
    """A running simulator shared by the whole session (read-only use)."""
    with SimulatorServer(
        SIM_CONFIG,
        host="127.0.0.1",
        port=0,
        user=SIM_USER,
        password=SIM_PASSWORD,
        token=SIM_TOKEN,
        faults=FaultConfig(),
        clock=ManualClock(SIM_NOW),
    ) as sim:
        yield sim


@pytest.fixture
def make_simulator():
    """Factory: `make_simulator(config=None, clock=None, faults=None, **server_kwargs)` → started server.

    Defaults: the session workload config, a fresh ManualClock at SIM_NOW, no faults, the SIM_* credentials.
    """
    started: list[SimulatorServer] = []

    def factory(config: WorkloadConfig | None = None, **kwargs) -> SimulatorServer:
        kwargs.setdefault("clock", ManualClock(SIM_NOW))
        kwargs.setdefault("faults", FaultConfig())
        kwargs.setdefault("user", SIM_USER)
        kwargs.setdefault("password", SIM_PASSWORD)
        kwargs.setdefault("token", SIM_TOKEN)
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", 0)
        sim = SimulatorServer(config or SIM_CONFIG, **kwargs).start()
        started.append(sim)
        return sim

    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture
def sim_auth() -> tuple[str, str]:
    """Basic-auth credentials of the simulators started by these fixtures."""
    return (SIM_USER, SIM_PASSWORD)


@pytest.fixture
def sim_token() -> str:
    """Bearer token of the simulators started by these fixtures."""
    return SIM_TOKEN

"""The simulator writes its failures from its own table, apart from the analyser's knowledge."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from resync_assets.lib.catalogue import load_catalogue
from resync_assets.sim.clock import ManualClock
from resync_assets.sim.failures import load_failures
from resync_assets.sim.workload import Workload, WorkloadConfig

SIM = Path(__file__).resolve().parents[2] / "resync_assets" / "sim"


@pytest.fixture(scope="module")
def truth():
    now = datetime(2025, 3, 15, tzinfo=UTC)
    return Workload(WorkloadConfig(seed=5, days=30, jobs=150), ManualClock(now)).failure_truth()


def test_the_simulator_does_not_import_the_analysers_catalogue():
    for path in SIM.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                assert not name.startswith(("resync_assets.lib.catalogue", "resync_assets.lib.rca")), path


def test_a_large_share_of_planted_failures_is_unknown_to_the_analyser(truth):
    catalogue = load_catalogue()
    unknown = [t for t in truth if catalogue.match_line(t.error_line) is None]
    assert 0.2 <= len(unknown) / len(truth) <= 0.8
    # Unknown failures span several families, not one corner of the table.
    assert len({t.family for t in unknown}) >= 4


def test_every_family_a_job_can_hit_has_abend_kinds_and_launch_failures_exist():
    from resync_assets.sim.topology import _FAMILY_WEIGHTS

    table = load_failures()
    for weights in _FAMILY_WEIGHTS.values():
        for family in weights:
            assert any(k.outcome == "ABEND" for k in table.in_family(family)), family
    assert any(k.outcome == "FAIL" for k in table)

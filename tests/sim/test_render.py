"""JSON rendering helpers and the fast run serializer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pytest

from resync_assets.sim.clock import ManualClock
from resync_assets.sim.render import Renderer, duration, iso
from resync_assets.sim.state import run_view
from resync_assets.sim.workload import Workload, WorkloadConfig


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1741991400.0, "2025-03-14T22:30:00.000Z"),
        (1741991400.1234, "2025-03-14T22:30:00.123Z"),
        (1741991400.9996, "2025-03-14T22:30:01.000Z"),
        (1741996799.9999, "2025-03-15T00:00:00.000Z"),
    ],
)
def test_iso_instants_have_milliseconds(ts, expected):
    assert iso(ts) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "PT0S"),
        (59.6, "PT1M"),
        (1057, "PT17M37S"),
        (3600, "PT1H"),
        (90061, "P1DT1H1M1S"),
        (86400, "P1D"),
    ],
)
def test_iso_durations(seconds, expected):
    assert duration(seconds) == expected


def test_fast_run_json_equals_the_reference_dict():
    # Regression: run_json writes JSON by hand for speed; it must say exactly what run() says.
    w = Workload(WorkloadConfig(seed=3, days=3, jobs=200), ManualClock(datetime(2025, 3, 14, 22, tzinfo=UTC)))
    r = Renderer(w.topology, 3)
    checked = 0
    for d in (date(2025, 3, 13), date(2025, 3, 14)):
        for t in (w.as_of(d), w.as_of(d) - 5 * 3600, w.as_of(d) - 13 * 3600):
            for s in w.plan_streams(d):
                for j in s.jobs:
                    for k, run in enumerate(j.runs):
                        view = run_view(run, t)
                        if view is None:
                            break
                        last = k == len(j.runs) - 1
                        fast = orjson.loads(r.run_json(run, view, "PT1M", last))
                        assert fast == orjson.loads(orjson.dumps(r.run(run, view, "PT1M", last)))
                        checked += 1
    assert checked > 500

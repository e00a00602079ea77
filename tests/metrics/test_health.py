"""Health states at and around the 85 % and 95 % thresholds."""

import pytest

from resync_assets.lib.metrics import DEGRADED, HEALTHY, UNHEALTHY, health_state


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        (0.0, HEALTHY),
        (50.0, HEALTHY),
        (84.99, HEALTHY),
        (84.999999, HEALTHY),
        (85.0, DEGRADED),
        (90.0, DEGRADED),
        (94.99, DEGRADED),
        (95.0, UNHEALTHY),
        (99.5, UNHEALTHY),
        (100.0, UNHEALTHY),
    ],
)
def test_health_state_boundaries(percent, expected):
    assert health_state(percent) == expected


@pytest.mark.parametrize("percent", [None, float("nan")])
def test_unknown_percent_has_no_health_state_rather_than_healthy(percent):
    assert health_state(percent) is None

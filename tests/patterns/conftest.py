"""The Loghub-2k data for accuracy tests: `<repo>/../shared/benchmarks/loghub` or `RESYNC_LOGHUB_DIR`.

Without the data a test that needs it is skipped on a developer machine and fails in CI (`CI=true`),
where the shared folder is always laid beside the clone: a missing data set there is a defect, not a
reason to pass.
"""

from __future__ import annotations

import pytest

from benchmarks.loghub_data import DATASETS, available_datasets, loghub_dir, redrawn_lines
from tests.shared_data import missing as missing_data


@pytest.fixture(scope="session")
def loghub_datasets() -> list[str]:
    """Names of the eight Loghub-2k data sets (all present, or skip/fail)."""
    present = available_datasets()
    if len(present) < len(DATASETS):
        missing = sorted(set(DATASETS) - set(present))
        missing_data(
            f"Loghub-2k data sets {missing} not found under {loghub_dir()} "
            "(set RESYNC_SHARED_DIR or RESYNC_LOGHUB_DIR)"
        )
    return present


@pytest.fixture(scope="session")
def redrawn(loghub_datasets) -> list[str]:
    """20,000 re-drawn Loghub lines (the speed benchmark's input, smaller)."""
    return redrawn_lines(20_000, seed=3)

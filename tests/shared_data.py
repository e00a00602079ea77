"""Tests that need data from outside the repository (the shared reference folder, a browser binary).

`benchmarks/loghub_data.shared_dir()` finds the shared folder (`RESYNC_SHARED_DIR`, else
`<repo>/../shared`). Without what it needs, such a test is skipped on a developer's machine and FAILS
in CI (`CI=true`), where the shared folder is always laid beside the clone and `.ci/run` installs the
tools: a missing input there is a defect, never a reason to pass. `tests/conftest.py` also fails a
CI session that skipped any test.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    """True when running under CI (`CI` set to 1/true/yes)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing(message: str) -> None:
    """Skip the calling test locally, fail it in CI, saying what is missing and how to provide it."""
    if in_ci():
        pytest.fail(f"{message} (required in CI)", pytrace=False)
    pytest.skip(message)

"""The resync Dagster code location.

Thin on purpose: every domain under `resync_assets/defs/` contributes its assets, checks, schedules and
sensors, and `defs/resources.py` binds the resources once. Project-wide policy is applied here.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    """Load every definition from the `defs/` folder."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)

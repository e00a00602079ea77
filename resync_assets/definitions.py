"""The resync Dagster code location.

Thin on purpose: every domain under `resync_assets/defs/` contributes its assets, checks, schedules and
sensors, and `defs/resources.py` binds the resources once. Project-wide policy is applied here:

* every job runs its steps in one process (`in_process_executor`): the definitions load once per
  run, not once per step (11-14 s each), and steps that only read share the run's process. Steps
  still run in dependency order; the warehouse's single writer is ensured by the `duckdb_writer`
  pool across runs and by the warehouse lock (`lib/warehouse`) across processes.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    """Load every definition from the `defs/` folder; run every job in-process."""
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=dg.in_process_executor),
    )

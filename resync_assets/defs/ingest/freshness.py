"""Freshness of `tws_raw/job_runs`: the 10-minute poll must have landed within the last 30 minutes."""

import datetime as dt

import dagster as dg

from resync_assets.defs.keys import JOB_RUNS

# Three missed polls in a row: the server, the credentials or the daemon need a look.
FRESHNESS_WINDOW = dt.timedelta(minutes=30)


@dg.definitions
def job_runs_freshness() -> dg.Definitions:
    """A last-update freshness check on `tws_raw/job_runs` and the sensor that evaluates it."""
    checks = dg.build_last_update_freshness_checks(assets=[JOB_RUNS], lower_bound_delta=FRESHNESS_WINDOW)
    sensor = dg.build_sensor_for_freshness_checks(
        freshness_checks=checks,
        name="tws_raw_freshness_checks_sensor",
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    return dg.Definitions(asset_checks=checks, sensors=[sensor])

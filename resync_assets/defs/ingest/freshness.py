"""Freshness of `tws_raw/job_runs`: the 10-minute poll must have landed within the last 30 minutes.

The check has a stable name (`job_runs_freshness`, also its step's name), passes (green) while the
last materialization is recent and fails (red, severity ERROR) when it is not. Ingestion runs it
after each load; the sensor re-evaluates it when the verdict would change, so the UI turns red when
polls stop.
"""

import datetime as dt

import dagster as dg

from resync_assets.defs.keys import JOB_RUNS

# Three missed polls in a row: the server, the credentials or the daemon need a look.
FRESHNESS_WINDOW = dt.timedelta(minutes=30)


def _now() -> dt.datetime:
    # One clock for the check and the sensor; tests replace it to age the last update.
    return dt.datetime.now(dt.UTC)


def _last_update(instance: dg.DagsterInstance) -> dt.datetime | None:
    event = instance.get_latest_materialization_event(JOB_RUNS)
    return dt.datetime.fromtimestamp(event.timestamp, dt.UTC) if event else None


@dg.asset_check(
    asset=JOB_RUNS,
    name="job_runs_freshness",
    description=f"`tws_raw/job_runs` was materialized within the last "
    f"{FRESHNESS_WINDOW.total_seconds() / 60:g} minutes (the 10-minute poll is running).",
)
def job_runs_freshness(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """Compare the last materialization of `tws_raw/job_runs` with the freshness window."""
    from resync_assets.lib.ingest.freshness import freshness

    last = _last_update(context.instance)
    verdict = freshness(last, _now(), FRESHNESS_WINDOW)
    metadata = {"window_minutes": dg.MetadataValue.float(FRESHNESS_WINDOW.total_seconds() / 60)}
    if last is not None:
        metadata["last_updated"] = dg.MetadataValue.timestamp(last)
        metadata["lag_minutes"] = dg.MetadataValue.float(round(verdict.lag_seconds / 60, 2))
    return dg.AssetCheckResult(
        passed=verdict.fresh,
        severity=dg.AssetCheckSeverity.ERROR,
        description=verdict.description,
        metadata=metadata,
    )


job_runs_freshness_job = dg.define_asset_job(
    name="job_runs_freshness_job",
    selection=dg.AssetSelection.checks(job_runs_freshness),
    description="Evaluate the freshness check of `tws_raw/job_runs` (no asset is materialized).",
)


@dg.sensor(
    name="tws_raw_freshness_sensor",
    job=job_runs_freshness_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 5 minutes, run `job_runs_freshness` when its verdict (fresh or stale) differs "
    "from the last one this sensor saw, so the check turns red when polls stop and green again.",
)
def tws_raw_freshness_sensor(context: dg.SensorEvaluationContext):
    """One check run per change of verdict (the cursor remembers the last verdict and update)."""
    from resync_assets.lib.ingest.freshness import freshness

    last = _last_update(context.instance)
    if last is None:
        return dg.SkipReason("tws_raw/job_runs has never been materialized")
    verdict = "fresh" if freshness(last, _now(), FRESHNESS_WINDOW).fresh else "stale"
    state = f"{verdict}:{last.isoformat()}"
    if context.cursor and context.cursor.split(":", 1)[0] == verdict:
        return dg.SkipReason(f"still {verdict}")
    context.update_cursor(state)
    return dg.RunRequest(run_key=state, tags={"resync/trigger": "freshness"})

"""Capacity forecasting assets: weekly forecasts and ETAs, daily alerts and recommendations."""

import dagster as dg

from resync_assets.defs.keys import (
    AGG_HOST_METRICS_HOURLY,
    AGG_JOB_RUNS_DAILY,
    CAPACITY_FORECAST_MODELS,
    CAPACITY_FORECASTS,
    CAPACITY_THRESHOLD_ETA,
    DIM_JOBS,
    DUCKDB_WRITER_POOL,
    FCT_JOB_RUNS,
    JOBLOG_PATTERN_CLUSTERS,
    LLM_WRITER_POOL,
    MAINTENANCE_ALERTS,
)
from resync_assets.defs.resources import LakehouseResource, LlmResource

GROUP = "forecast"
MARTS = [AGG_JOB_RUNS_DAILY, DIM_JOBS, FCT_JOB_RUNS, AGG_HOST_METRICS_HOURLY]


def _result(outcome, key=None) -> dg.MaterializeResult:
    metadata = {
        k: dg.MetadataValue.json(v) if isinstance(v, dict | list) else v
        for k, v in outcome.metadata.items()
        if v is not None
    }
    if outcome.note:
        metadata["note"] = dg.MetadataValue.text(outcome.note)
    rows = outcome.rows.get(key.path[-1]) if key else next(iter(outcome.rows.values()), 0)
    metadata["dagster/row_count"] = dg.MetadataValue.int(int(rows or 0))
    return (
        dg.MaterializeResult(asset_key=key, metadata=metadata)
        if key
        else dg.MaterializeResult(metadata=metadata)
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            CAPACITY_FORECASTS,
            group_name=GROUP,
            deps=MARTS,
            kinds={"python", "duckdb"},
            description="12-week daily forecasts with calibrated 80 % / 95 % intervals "
            "(`analytics.capacity_forecasts`, one row per series and future day): job volume overall and "
            "per workstation, runtime of the key jobs, CPU / memory / disk daily p95 per host.",
        ),
        dg.AssetSpec(
            CAPACITY_FORECAST_MODELS,
            group_name=GROUP,
            deps=MARTS,
            kinds={"python", "duckdb"},
            description="One row per forecast series (`analytics.capacity_forecast_models`): the model used, "
            "its backtest MASE and seasonal naive's, whether it beats the baseline, backtest coverage.",
        ),
    ],
    pool=DUCKDB_WRITER_POOL,
)
def capacity_forecasts(context: dg.AssetExecutionContext, lakehouse: LakehouseResource):
    """Forecast every capacity series of the marts (Prophet or a fast model, chosen by backtest)."""
    from resync_assets.lib.forecast.pipeline import run_capacity_forecasts

    outcome = run_capacity_forecasts(lakehouse.resolved_warehouse_path())
    context.log.info("capacity forecasts: %s", outcome.metadata)
    yield _result(outcome, CAPACITY_FORECASTS)
    yield _result(outcome, CAPACITY_FORECAST_MODELS)


@dg.asset(
    group_name=GROUP,
    deps=[AGG_HOST_METRICS_HOURLY, CAPACITY_FORECASTS, CAPACITY_FORECAST_MODELS],
    pool=DUCKDB_WRITER_POOL,
    kinds={"python", "duckdb"},
)
def capacity_threshold_eta(lakehouse: LakehouseResource) -> dg.MaterializeResult:
    """Per host, resource and future week: the probability of having crossed the threshold (CPU 95 %,
    memory 95 %, disk 90 %) and the first weeks at 50 % and 10 % (`analytics.capacity_threshold_eta`).
    The ETA comes from each host series' own piecewise-linear trend (break, level and slope
    uncertainty sampled), not from the forecast's intervals; series too short for a trend use the
    host rows of `capacity_forecasts`."""
    from resync_assets.lib.forecast.pipeline import run_threshold_eta

    return _result(run_threshold_eta(lakehouse.resolved_warehouse_path()))


@dg.asset(
    group_name=GROUP,
    deps=[FCT_JOB_RUNS, CAPACITY_FORECAST_MODELS, JOBLOG_PATTERN_CLUSTERS],
    pool=DUCKDB_WRITER_POOL,
    kinds={"python", "duckdb"},
)
def maintenance_alerts(lakehouse: LakehouseResource) -> dg.MaterializeResult:
    """Jobs whose runtime, failure rate or error pattern grows and will cross its band or limit within
    weeks, linked to a growing resource of the same host (`analytics.maintenance_alerts`)."""
    from resync_assets.lib.forecast.pipeline import run_maintenance_alerts

    return _result(run_maintenance_alerts(lakehouse.resolved_warehouse_path()))


@dg.asset(
    group_name=GROUP,
    deps=[CAPACITY_THRESHOLD_ETA, CAPACITY_FORECASTS, MAINTENANCE_ALERTS],
    # Waits for the LLM (when configured) with no writer lock held; writes under the lock at the end.
    pool=LLM_WRITER_POOL,
    kinds={"python", "duckdb"},
)
def capacity_recommendations(lakehouse: LakehouseResource, llm: LlmResource) -> dg.MaterializeResult:
    """Priority, action, deadline and evidence per host resource and alert, from deterministic rules,
    and a `wording` sentence: the action, or its rephrasing by the LLM when one is configured
    (`worded_by`, `wording_reason`) (`analytics.capacity_recommendations`)."""
    from resync_assets.lib.forecast.pipeline import run_recommendations

    return _result(run_recommendations(lakehouse.resolved_warehouse_path(), llm.analyst()))

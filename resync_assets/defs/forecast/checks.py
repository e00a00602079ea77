"""Checks on the forecasting tables (logic in `lib/forecast/checks`)."""

import dagster as dg

from resync_assets.defs.checks import nothing_to_judge
from resync_assets.defs.keys import (
    CAPACITY_FORECASTS,
    CAPACITY_RECOMMENDATIONS,
    CAPACITY_THRESHOLD_ETA,
    MAINTENANCE_ALERTS,
)
from resync_assets.defs.resources import WarehouseReaderResource


def _check(duckdb: WarehouseReaderResource, name: str) -> dg.AssetCheckResult:
    from resync_assets.lib.forecast.checks import CHECKS

    with duckdb.get_connection() as con:
        problems, checked = CHECKS[name](con)
    if checked == 0 and not problems:
        return nothing_to_judge(f"analytics.{name} is missing or has no rows")
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={"checked": dg.MetadataValue.int(checked), "problems": dg.MetadataValue.json(problems[:10])},
    )


@dg.asset_check(
    asset=CAPACITY_FORECASTS,
    description="Future dates only; lower 95 ≤ lower 80 ≤ yhat ≤ upper 80 ≤ upper 95, no NaN; "
    "one model row per series (with its backtest MASE and the baseline's, NULL only for a series "
    "without seasonal variation).",
)
def capacity_forecasts_are_consistent(duckdb: WarehouseReaderResource) -> dg.AssetCheckResult:
    """Intervals nested and finite, dates in the future, every series recorded with its MASE."""
    return _check(duckdb, "capacity_forecasts")


@dg.asset_check(
    asset=CAPACITY_THRESHOLD_ETA,
    description="Crossing probabilities in [0, 1] and not decreasing week over week; the 50 % ETA is "
    "never before the 10 % ETA.",
)
def capacity_threshold_eta_is_monotone(duckdb: WarehouseReaderResource) -> dg.AssetCheckResult:
    """Cumulative probabilities behave like cumulative probabilities."""
    return _check(duckdb, "capacity_threshold_eta")


@dg.asset_check(
    asset=MAINTENANCE_ALERTS,
    description="Known kinds; the expected crossing is never before detection; ids unique.",
)
def maintenance_alerts_are_well_formed(duckdb: WarehouseReaderResource) -> dg.AssetCheckResult:
    """Alert rows are well formed."""
    return _check(duckdb, "maintenance_alerts")


@dg.asset_check(
    asset=CAPACITY_RECOMMENDATIONS,
    description="Priority P1-P3, a deadline and an action on every row, evidence is JSON.",
)
def capacity_recommendations_are_well_formed(duckdb: WarehouseReaderResource) -> dg.AssetCheckResult:
    """Recommendation rows are well formed."""
    return _check(duckdb, "capacity_recommendations")

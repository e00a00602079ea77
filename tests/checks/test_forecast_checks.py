"""The forecasting and drift checks made to fail on the broken rows they exist to catch, made to pass
on good rows, and shown to have nothing to judge on missing or empty tables (registered for the
meta-test by the `check_fails` / `check_passes` markers)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest

from resync_assets.defs.checks import nothing_to_judge_reason
from resync_assets.defs.drift.checks import drift_reports_no_drift
from resync_assets.defs.forecast.checks import (
    capacity_forecasts_are_consistent,
    capacity_recommendations_are_well_formed,
    capacity_threshold_eta_is_monotone,
    maintenance_alerts_are_well_formed,
)
from resync_assets.defs.resources import WarehouseReaderResource
from resync_assets.lib.forecast.pipeline import DDL

DAY = dt.date(2026, 11, 30)


@pytest.fixture
def wh(tmp_path):
    path = tmp_path / "wh.duckdb"
    duckdb.connect(str(path)).close()
    return path


def table(path, name: str, rows: list[dict]) -> None:
    """`analytics.<name>` with the producer's columns (lib/forecast/pipeline.DDL) and these rows."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists analytics")
        con.execute(f"create or replace table analytics.{name} ({DDL[name]})")
        for row in rows:
            cols = ", ".join(row)
            con.execute(
                f"insert into analytics.{name} ({cols}) values ({', '.join('?' * len(row))})",
                list(row.values()),
            )


def run(check, wh) -> dg.AssetCheckResult:
    return check(duckdb=WarehouseReaderResource(database=str(wh)))


def assert_fails(result: dg.AssetCheckResult) -> None:
    assert not result.passed and nothing_to_judge_reason(result) is None
    assert result.severity == dg.AssetCheckSeverity.ERROR


def assert_passes(result: dg.AssetCheckResult) -> None:
    assert result.passed and nothing_to_judge_reason(result) is None
    assert result.metadata["checked"].value > 0


def forecast(ds: dt.date, lo95=1.0, lo80=2.0, yhat=3.0, hi80=4.0, hi95=5.0) -> dict:
    return {
        "series_id": "volume:ALL",
        "ds": ds,
        "yhat": yhat,
        "yhat_lower_80": lo80,
        "yhat_upper_80": hi80,
        "yhat_lower_95": lo95,
        "yhat_upper_95": hi95,
    }


MODEL = {
    "series_id": "volume:ALL",
    "model": "seasonal_naive",
    "last_observed": DAY,
    "mase_baseline": 1.0,
    "history_days": 90,
}


@pytest.mark.check_passes("capacity_forecasts_are_consistent")
def test_forecasts_pass_with_nested_intervals_in_the_future(wh):
    table(wh, "capacity_forecasts", [forecast(DAY + dt.timedelta(days=d)) for d in (1, 2)])
    table(wh, "capacity_forecast_models", [MODEL])
    assert_passes(run(capacity_forecasts_are_consistent, wh))


@pytest.mark.check_fails("capacity_forecasts_are_consistent")
@pytest.mark.parametrize(
    "row",
    [
        forecast(DAY + dt.timedelta(days=1), yhat=9.0),  # outside its own 80 % interval
        forecast(DAY + dt.timedelta(days=1), lo80=0.5),  # 80 % wider than 95 %
        forecast(DAY + dt.timedelta(days=1), yhat=float("nan")),
        forecast(DAY),  # not in the future
    ],
    ids=["yhat-outside", "80-wider-than-95", "nan", "past"],
)
def test_forecasts_fail_on_a_broken_row(wh, row):
    table(wh, "capacity_forecasts", [forecast(DAY + dt.timedelta(days=2)), row])
    table(wh, "capacity_forecast_models", [MODEL])
    result = run(capacity_forecasts_are_consistent, wh)
    assert_fails(result)
    assert len(result.metadata["problems"].value) == 1


@pytest.mark.check_fails("capacity_forecasts_are_consistent")
def test_forecasts_fail_on_a_series_without_its_model_row(wh):
    table(wh, "capacity_forecasts", [forecast(DAY + dt.timedelta(days=1))])
    table(wh, "capacity_forecast_models", [])
    assert_fails(run(capacity_forecasts_are_consistent, wh))


def eta(week: int, prob: float, eta50=None, eta10=None) -> dict:
    return {
        "host": "H1",
        "resource": "cpu",
        "week": week,
        "prob_cross": prob,
        "eta_week_50": eta50,
        "eta_week_10": eta10,
    }


@pytest.mark.check_passes("capacity_threshold_eta_is_monotone")
def test_eta_passes_on_non_decreasing_probabilities(wh):
    table(wh, "capacity_threshold_eta", [eta(1, 0.1), eta(2, 0.1), eta(3, 0.6, DAY + dt.timedelta(21), DAY)])
    assert_passes(run(capacity_threshold_eta_is_monotone, wh))


@pytest.mark.check_fails("capacity_threshold_eta_is_monotone")
@pytest.mark.parametrize(
    "rows",
    [
        [eta(1, 0.5), eta(2, 0.3)],
        [eta(1, 1.2)],
        [eta(1, 0.6, eta50=DAY, eta10=DAY + dt.timedelta(7))],
    ],
    ids=["decreasing", "above-one", "50-before-10"],
)
def test_eta_fails_on_probabilities_that_are_not_cumulative(wh, rows):
    table(wh, "capacity_threshold_eta", rows)
    assert_fails(run(capacity_threshold_eta_is_monotone, wh))


def alert(alert_id="a1", kind="runtime_trend", detected=DAY, cross=DAY + dt.timedelta(14)) -> dict:
    return {"alert_id": alert_id, "kind": kind, "detected_on": detected, "expected_cross": cross}


@pytest.mark.check_passes("maintenance_alerts_are_well_formed")
def test_alerts_pass_when_well_formed(wh):
    table(wh, "maintenance_alerts", [alert(), alert("a2", "host_growth", cross=None)])
    assert_passes(run(maintenance_alerts_are_well_formed, wh))


@pytest.mark.check_fails("maintenance_alerts_are_well_formed")
@pytest.mark.parametrize(
    "rows",
    [[alert(kind="vibes")], [alert(cross=DAY - dt.timedelta(1))], [alert(), alert()]],
    ids=["unknown-kind", "crosses-before-detected", "duplicate-id"],
)
def test_alerts_fail_on_a_malformed_row(wh, rows):
    table(wh, "maintenance_alerts", rows)
    assert_fails(run(maintenance_alerts_are_well_formed, wh))


def recommendation(priority="P1", action="add a CPU", deadline=DAY, evidence='{"eta": "2026-12-14"}') -> dict:
    return {"priority": priority, "action": action, "deadline": deadline, "evidence": evidence}


@pytest.mark.check_passes("capacity_recommendations_are_well_formed")
def test_recommendations_pass_when_well_formed(wh):
    table(wh, "capacity_recommendations", [recommendation(), recommendation("P3", evidence="[]")])
    assert_passes(run(capacity_recommendations_are_well_formed, wh))


@pytest.mark.check_fails("capacity_recommendations_are_well_formed")
@pytest.mark.parametrize(
    "row",
    [
        recommendation(priority="P9"),
        recommendation(action=""),
        recommendation(deadline=None),
        recommendation(evidence="{"),
    ],
    ids=["priority", "no-action", "no-deadline", "evidence-not-json"],
)
def test_recommendations_fail_on_a_malformed_row(wh, row):
    table(wh, "capacity_recommendations", [recommendation(), row])
    assert_fails(run(capacity_recommendations_are_well_formed, wh))


def drift(day: dt.date, check: str, drifted: bool) -> dict:
    return {"report_date": day, "check_name": check, "drift_detected": drifted}


@pytest.mark.check_passes("drift_reports_no_drift")
def test_drift_passes_when_the_latest_day_found_none(wh):
    old = DAY - dt.timedelta(1)
    table(
        wh,
        "drift_reports",
        [
            drift(old, "job_duration", True),
            drift(DAY, "job_duration", False),
            drift(DAY, "status_mix", False),
        ],
    )
    result = run(drift_reports_no_drift, wh)
    assert result.passed and nothing_to_judge_reason(result) is None
    assert result.metadata["checks"].value == 2


@pytest.mark.check_fails("drift_reports_no_drift")
def test_drift_fails_when_the_latest_day_found_drift(wh):
    table(wh, "drift_reports", [drift(DAY, "job_duration", False), drift(DAY, "status_mix", True)])
    result = run(drift_reports_no_drift, wh)
    assert_fails(result)
    assert result.metadata["drifted"].value == ["status_mix"]


@pytest.mark.parametrize(
    "check,name",
    [
        (capacity_forecasts_are_consistent, "capacity_forecasts"),
        (capacity_threshold_eta_is_monotone, "capacity_threshold_eta"),
        (maintenance_alerts_are_well_formed, "maintenance_alerts"),
        (capacity_recommendations_are_well_formed, "capacity_recommendations"),
        (drift_reports_no_drift, "drift_reports"),
    ],
)
def test_missing_or_empty_tables_leave_nothing_to_judge(wh, check, name):
    assert nothing_to_judge_reason(run(check, wh))
    table(wh, name, [])
    if name == "capacity_forecasts":
        table(wh, "capacity_forecast_models", [])
    result = run(check, wh)
    assert nothing_to_judge_reason(result), name
    assert result.severity == dg.AssetCheckSeverity.WARN

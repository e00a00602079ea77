"""Floors of the maintenance-alert figures, through the grading code of `benchmarks/forecasting.py`
(evaluated every day against the simulator's truth) on a smaller planted estate than the benchmark's.
The figures are detection quality, not speed (benchmarks/RESULTS.md has the full run)."""

from __future__ import annotations

from datetime import date

import pytest

from benchmarks.forecasting import grade_alerts, simulate, summarize_alerts


@pytest.fixture(scope="module")
def figures():
    sim = simulate(42, 180, 200, date(2026, 11, 30), 14, plant_job_share=0.25)
    a = grade_alerts(sim)
    return summarize_alerts(
        a["cases"].assign(seed=42), a["clean_jobs"], len(a["false_alert_jobs"]), a["false_alert_kinds"]
    )


def test_enough_planted_cases_and_clean_jobs_to_grade(figures):
    assert figures["creeping_runtime"]["gradable"] >= 8
    assert figures["alerts_steps"] >= 8
    assert figures["clean_jobs"] >= 100


def test_creeping_runtime_is_flagged_two_weeks_ahead_with_few_false_alerts(figures):
    c = figures["creeping_runtime"]
    assert c["ge_14_days_early"] / c["gradable"] >= FLOOR_CREEPING
    assert figures["false_alert_share"] < 0.05
    assert figures["alerts_before_onset"] <= 1


def test_runtime_steps_are_found_within_a_week(figures):
    assert figures["alerts_steps_found"] == figures["alerts_steps"]
    assert figures["steps_median_delay_days"] <= 7


FLOOR_CREEPING = 0.3

"""Floors of the maintenance-alert figures, through the grading code of `benchmarks/forecasting.py`
(rules evaluated every day against the simulator's truth) on smaller planted estates than the
benchmark's (300 jobs, a larger planted share). The figures are detection quality, not speed;
benchmarks/RESULTS.md has the full run. Measured here: creeping runtime flagged 14+ days before its
crossing 9/49, steps 60/60 found (median 4 days after), false alerts 3/359 clean jobs."""

from __future__ import annotations

from datetime import date

import pytest

from benchmarks.forecasting import grade_alerts, pool_alerts, simulate


@pytest.fixture(scope="module")
def figures():
    graded = [
        (seed, grade_alerts(simulate(seed, 180, 300, date(2026, 11, 30), 14, plant_job_share=0.3)))
        for seed in (42, 7)
    ]
    return pool_alerts(graded)[1]


def test_enough_planted_cases_and_clean_jobs_to_grade(figures):
    assert figures["creeping_runtime"]["gradable"] >= 40
    assert figures["rising_failure"]["gradable"] >= 30
    assert figures["alerts_steps"] >= 40
    assert figures["clean_jobs"] >= 300


def test_creeping_runtime_is_flagged_two_weeks_ahead_with_few_false_alerts(figures):
    c = figures["creeping_runtime"]
    assert c["ge_14_days_early"] / c["gradable"] >= 0.15
    assert figures["false_alert_share"] < 0.03
    assert figures["alerts_before_onset"] <= 1


def test_runtime_steps_are_found_within_a_week(figures):
    assert figures["alerts_steps_found"] == figures["alerts_steps"]
    assert figures["steps_median_delay_days"] <= 7

"""Threshold ETA, maintenance alert rules and the drift monitor on data with known answers."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from resync_assets.lib.drift.monitor import DriftConfig, run_checks
from resync_assets.lib.forecast.alerts import AlertConfig, JobMatrix, job_alerts, link_hosts
from resync_assets.lib.forecast.eta import eta_sentence, series_eta


def test_eta_of_a_linear_ramp():
    days = [date(2026, 1, 5) + timedelta(days=k) for k in range(84)]
    yhat = 60 + np.arange(84) * 0.5  # reaches 95 on day 70 (week 11)
    eta = series_eta(days, yhat, yhat - 2, yhat + 2, 95.0, last_value=60)
    assert eta["eta_day_50"] == days[70] and eta["weeks_to_50"] == 11
    assert eta["weeks_to_10"] == 11 or eta["weeks_to_10"] == 10
    probs = [p for _, p in eta["weeks"]]
    assert probs == sorted(probs) and probs[0] < 0.01 and probs[-1] > 0.5
    assert eta_sentence("LNXPRD3", "cpu", 95.0, 6) == "CPU of LNXPRD3 will hit 95 % in ~6 weeks"


def test_eta_already_over_and_never():
    days = [date(2026, 1, 5) + timedelta(days=k) for k in range(28)]
    flat = np.full(28, 40.0)
    assert series_eta(days, flat, flat - 3, flat + 3, 90.0, last_value=40)["weeks_to_50"] is None
    assert series_eta(days, flat, flat - 3, flat + 3, 30.0, last_value=40)["weeks_to_50"] == 0


def _daily(jobs: dict, n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-05")
    rows = []
    for key, (mult, fail_p) in jobs.items():
        for k in range(n):
            rows.append(
                {
                    "job_key": key,
                    "job": key,
                    "host": "h1",
                    "day": start + pd.Timedelta(days=k),
                    "runs": 1,
                    "failures": int(rng.random() < fail_p(k)),
                    "median_duration": 600 * mult(k) * float(np.exp(rng.normal(0, 0.1))),
                }
            )
    return pd.DataFrame(rows)


def test_alerts_find_creeping_runtime_and_rising_failures_but_not_stable_jobs():
    onset = 60
    jobs = {f"stable{i}": (lambda k: 1.0, lambda k: 0.02) for i in range(30)}
    jobs["creep"] = (lambda k: 1.09 ** max(0, (k - onset) / 7), lambda k: 0.02)
    jobs["step"] = (lambda k: 1.8 if k >= 105 else 1.0, lambda k: 0.02)  # a recent step
    jobs["fail"] = (lambda k: 1.0, lambda k: 0.02 + 0.06 * max(0, (k - onset) / 7))
    mat = JobMatrix.from_daily(_daily(jobs))
    alerts = job_alerts(mat, None, AlertConfig())
    kinds = dict(zip(alerts["job_key"], alerts["kind"], strict=False))
    assert kinds.get("creep") == "runtime_trend" and kinds.get("step") == "runtime_trend"
    assert kinds.get("fail") == "failure_rate"
    assert not [k for k in kinds if k.startswith("stable")]
    creep = alerts[alerts["job_key"] == "creep"].iloc[0]
    assert creep["expected_cross"] >= creep["detected_on"] and 0.04 < creep["weekly_growth"] < 0.2


def test_runtime_alert_links_the_growing_host():
    alerts = pd.DataFrame(
        [
            {
                "alert_id": "a1",
                "job_key": "k",
                "job": "BACKUP_FULL",
                "host": "h1",
                "kind": "runtime_trend",
                "severity": "medium",
                "detected_on": date(2026, 3, 1),
                "expected_cross": date(2026, 3, 20),
                "weekly_growth": 0.05,
                "related": None,
                "message": "m",
                "evidence": "{}",
            }
        ]
    )
    models = pd.DataFrame(
        {"series_id": ["host:h1:disk", "host:h1:cpu"], "entity": ["h1", "h1"], "weekly_growth": [0.05, 0.0]}
    )
    out = link_hosts(alerts, models)
    assert out.loc[0, "related"] == "h1:disk"
    linked = out[out["kind"] == "host_growth"].iloc[0]
    assert linked["message"] == "BACKUP_FULL +5%/week and disk +5%/week on the same host: related"


def _runs(days: int, shift_from: int | None, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-05")
    rows = []
    for j in range(150):
        base = rng.uniform(60, 3000)
        for k in range(days):
            d = start + pd.Timedelta(days=k)
            f = 1.3 if shift_from is not None and k >= shift_from else 1.0
            rows.append((f"job{j}", d, base * f * float(np.exp(rng.normal(0, 0.2))), True, True, "SUCC", 0))
    return pd.DataFrame(
        rows,
        columns=[
            "job_key",
            "day",
            "duration_seconds",
            "is_success",
            "is_terminal",
            "common_status",
            "return_code",
        ],
    )


@pytest.mark.parametrize(("shift_from", "expected"), [(None, False), (70, True)])
def test_drift_finds_a_30_percent_runtime_shift_on_its_first_day(shift_from, expected):
    runs = _runs(71, shift_from)
    res = {
        r.check_name: r
        for r in run_checks({"runs": runs}, date(2026, 1, 5) + timedelta(days=70), DriftConfig())
    }
    assert res["job_duration"].drift_detected is expected
    assert res["status_mix"].drift_detected is False
    assert res["template_mix"].details["template_id"]["skipped"].startswith("too few rows")


def test_leave_one_out_medians_match_the_plain_definition():
    from resync_assets.lib.drift.monitor import loo_medians

    rng = np.random.default_rng(0)
    keys = rng.integers(0, 40, 600).astype(str)
    values = rng.normal(size=600)
    got = loo_medians(keys, values)
    for i in rng.integers(0, 600, 50):
        others = values[(keys == keys[i]) & (np.arange(600) != i)]
        expected = np.median(others) if len(others) else np.nan
        assert np.isclose(got[i], expected, equal_nan=True)


def test_an_alert_recommendation_names_the_job_and_keeps_its_key_as_subject():
    from resync_assets.lib.forecast.recommend import recommendations

    onset = 60
    jobs = {f"stable{i}": (lambda k: 1.0, lambda k: 0.02) for i in range(10)}
    jobs["creep"] = (lambda k: 1.09 ** max(0, (k - onset) / 7), lambda k: 0.02)
    daily = _daily(jobs)
    # In the warehouse a job key is a hash; the job's readable name travels beside it.
    daily["job"] = daily["job_key"].map(lambda k: f"LNXAGT01#/FIN/AP_DAILY.{k.upper()}")
    alerts = job_alerts(JobMatrix.from_daily(daily), None, AlertConfig())
    assert list(alerts["job_key"]) == ["creep"]
    recs = recommendations(pd.DataFrame(), pd.DataFrame(), alerts.assign(generated_at=None))
    rec = recs.iloc[0]
    assert rec["subject"] == "creep"
    assert rec["action"].startswith("Investigate runtime trend of LNXAGT01#/FIN/AP_DAILY.CREEP before ")


def test_alerts_on_a_week_of_history_are_none_rather_than_an_error():
    # A first load of a few days (the demo's smallest world, a new estate): no ramp can be judged.
    jobs = {f"job{i}": (lambda k: 1.0 + 0.1 * k, lambda k: 0.02) for i in range(5)}
    alerts = job_alerts(JobMatrix.from_daily(_daily(jobs, n=7)), None, AlertConfig())
    assert alerts.empty

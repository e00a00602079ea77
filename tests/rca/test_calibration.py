"""Calibration: isotonic map, ECE, learning from recorded outcomes, the calibration check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import numpy as np
import pytest

from resync_assets.lib.rca import resolutions, store
from resync_assets.lib.rca.calibration import Calibration, ece, pav


def test_pav_is_the_isotonic_fit():
    fitted = pav(np.array([0.1, 0.5, 0.3, 0.9]), np.array([1.0, 1.0, 1.0, 1.0]))
    assert fitted.tolist() == pytest.approx([0.1, 0.4, 0.4, 0.9])


def test_calibrated_confidence_matches_the_observed_rate():
    rng = np.random.default_rng(1)
    scores = rng.uniform(0, 1, 5000)
    truth = rng.uniform(0, 1, 5000) < scores**2  # raw score overstates: P(right) = score²
    cal = Calibration.fit(scores, truth)
    assert cal(0.9) == pytest.approx(0.81, abs=0.06)
    assert cal(0.5) == pytest.approx(0.25, abs=0.06)
    assert ece([cal(s) for s in scores], truth) < 0.03
    assert ece(scores, truth) > 0.1
    assert Calibration.from_json(cal.to_json())(0.9) == cal(0.9)


def test_recorded_outcomes_teach_the_stored_map(tmp_path):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    store.ensure_tables(con)
    base = Calibration.fit([0.95] * 20, [True] * 20, source="test")
    store.save_calibration(con, base)
    assert store.learned_calibration(con)(0.95) > 0.95
    for i in range(40):
        resolutions.record(
            con,
            resolutions.Resolution(run_id=f"r{i}", cause="c", fix="f", outcome="incorrect", raw_score=0.95),
        )
    learned = store.learned_calibration(con)
    assert learned(0.95) == pytest.approx(20 / 60, abs=0.02)
    assert "40 resolutions" in learned.source
    con.close()


@pytest.mark.check_fails("incident_confidence_is_calibrated")
def test_calibration_check_fails_when_outcomes_contradict_the_confidence(tmp_path):
    from resync_assets.defs.incidents.checks import incident_confidence_is_calibrated
    from resync_assets.defs.resources import WarehouseReaderResource

    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    store.ensure_tables(con)
    now = datetime(2025, 3, 14, tzinfo=UTC)
    for i in range(60):
        con.execute(
            "insert into analytics.incident_analyses (run_id, confidence, ended_at) values (?, 0.95, ?)",
            [f"r{i}", now - timedelta(hours=i)],
        )
        resolutions.record(
            con,
            resolutions.Resolution(
                run_id=f"r{i}", cause="c", fix="f", outcome="correct" if i < 30 else "incorrect"
            ),
        )
    con.close()
    result = incident_confidence_is_calibrated(duckdb=WarehouseReaderResource(database=str(path)))
    assert isinstance(result, dg.AssetCheckResult)
    assert result.passed is False
    assert result.metadata["ece"].value == pytest.approx(0.45, abs=0.01)

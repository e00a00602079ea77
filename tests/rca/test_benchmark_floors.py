"""Quality floors, slightly below what `benchmarks/incident_analysis.py` measures (benchmarks/RESULTS.md).

A smaller workload than the benchmark's (same generator, same time split) keeps this quick; the
figures are quality, not speed.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from benchmarks.incident_analysis import evaluate_real, evaluate_sim, real_cases, sim_cases
from benchmarks.loghub_data import loghub_dir
from resync_assets.lib.rca.calibration import default_calibration
from tests.shared_data import missing


@pytest.fixture(scope="module")
def sim_figures():
    figures, _ = evaluate_sim(sim_cases(seed=42, days=60, jobs=300))
    return figures


def test_simulator_figures_stay_above_the_floors(sim_figures):
    assert sim_figures["failed_runs"] >= 200
    assert len(sim_figures["families"]) >= 8
    assert sim_figures["error_line_hit_at_1"] >= 0.95
    assert sim_figures["family_macro_f1"] >= 0.90
    assert sim_figures["similar_recall_at_5_recurring"] >= 0.80
    assert sim_figures["ece"] <= 0.05


def test_known_and_unknown_signatures_are_measured_apart(sim_figures):
    # A large share of what the simulator writes has no rule in the analyser's catalogue.
    assert 0.2 <= 1 - sim_figures["known_share"] <= 0.8
    for part in ("known", "unknown"):
        figures = sim_figures["parts"][part]
        assert figures["runs"] >= 50, part
        assert figures["error_line_hit_at_1"] >= 0.95, part
        assert figures["family_accuracy"] >= 0.90, part
        assert figures["ece"] <= 0.05, part


def test_entities_have_no_false_friends(sim_figures):
    for kind in ("files", "hosts", "db_objects"):
        e = sim_figures["entities"][kind]
        assert e["truth"] >= 10, kind
        assert e["precision"] >= 0.95, kind
        assert e["recall"] >= 0.90, kind


def test_the_benchmark_exits_non_zero_without_cases(monkeypatch):
    import benchmarks.incident_analysis as bench

    monkeypatch.setattr(bench, "sim_cases", lambda *a, **k: [])
    assert bench.main(["--days", "1", "--jobs", "1"]) == 1


def test_real_log_lines_outside_the_catalogue():
    if not loghub_dir().exists():
        missing(f"Loghub-2k data not found at {loghub_dir()} (set RESYNC_SHARED_DIR or RESYNC_LOGHUB_DIR)")
    cases = real_cases()
    assert len(cases) >= 40
    figures, _, _ = evaluate_real(cases, default_calibration())
    assert figures["error_line_hit_at_1"] >= 0.90
    assert figures["family_sensible"] >= 0.90


def test_packaged_calibration_is_monotone_and_fitted():
    cal = default_calibration()
    assert cal.n >= 500
    _, curve = cal.curve()
    assert all(a <= b + 1e-12 for a, b in pairwise(curve))

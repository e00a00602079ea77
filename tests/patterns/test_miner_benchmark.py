"""`benchmarks/miner_speed.py` runs end to end on a small input and says when drain3 is missing."""

from __future__ import annotations

import json

from benchmarks import miner_speed
from benchmarks.loghub_data import redrawn_lines


def test_redrawn_lines_vary_numbers_and_are_reproducible(loghub_datasets):
    a = redrawn_lines(3000, seed=9)
    assert a == redrawn_lines(3000, seed=9)
    assert a != redrawn_lines(3000, seed=10)
    # Lines with numbers are re-drawn: few exact repeats remain (short numbers), where 3,000 plain
    # draws from the 16,000 lines give 39% repeats among lines with digits.
    with_digits = [line for line in a if any(ch.isdigit() for ch in line)]
    assert len(set(with_digits)) > 0.85 * len(with_digits)


def test_benchmark_reports_speed_memory_and_says_drain3_is_missing(
    loghub_datasets, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(miner_speed, "drain3_available", lambda: False)
    out = tmp_path / "r.json"
    assert miner_speed.main(["--lines", "3000", "--skip-lodo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "drain3: NOT INSTALLED" in printed
    result = json.loads(out.read_text())
    resync = result["speed"]["resync"]
    assert resync["output_lines"] == 3000
    assert resync["lines_per_s"] > 0 and resync["peak_rss_mb"] > 0
    assert 10 < resync["templates"] < 3000
    assert "drain3" not in result["speed"]

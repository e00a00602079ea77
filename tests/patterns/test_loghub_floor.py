"""Accuracy floor on Loghub-2k data sets (in-process, same configuration for every data set).

Needs the shared reference folder next to the repository (`../shared`); skipped without it. The
floors sit slightly below the measured figures (benchmarks/loghub.py) to catch regressions.
"""

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from resync_assets.lib.patterns.miner import mine_templates

LOGHUB = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "loghub"

# Measured GA: HDFS 1.000, BGL 0.9865, Linux 0.8105 (drain3 with generic masks: 0.998, 0.969, 0.684).
FLOORS = {"HDFS": 0.99, "BGL": 0.97, "Linux": 0.79}


def _grouping_accuracy(truth: list[str], predicted: list[str]) -> float:
    """Messages whose predicted group equals their ground-truth group, as message sets."""
    members = defaultdict(list)
    for i, label in enumerate(truth):
        members[label].append(i)
    sizes = Counter(predicted)
    correct = 0
    for idx in members.values():
        first = predicted[idx[0]]
        if sizes[first] == len(idx) and all(predicted[i] == first for i in idx):
            correct += len(idx)
    return correct / len(truth)


@pytest.mark.parametrize("dataset", sorted(FLOORS))
def test_grouping_accuracy_floor(dataset):
    path = LOGHUB / dataset / f"{dataset}_2k.log_structured.csv"
    if not path.exists():
        pytest.skip(f"Loghub data not found at {path} (the shared reference folder is absent)")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    contents = [" ".join(r["Content"].splitlines()) for r in rows]
    predicted = mine_templates(contents)
    assert _grouping_accuracy([r["EventId"] for r in rows], predicted) >= FLOORS[dataset]

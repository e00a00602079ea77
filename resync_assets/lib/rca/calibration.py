"""Confidence calibration: map a raw evidence score to the probability that the analysis is right.

The map is a histogram over score bins (correct / total per bin, with a weak prior) made monotone by
isotonic regression (pool-adjacent-violators, numpy only), interpolated between bin centres. It is
fitted on labelled analyses (the simulator's ground truth: right error line and right family) and
keeps learning: every recorded resolution with an outcome adds a (score, correct) pair to its bin.
"Stated 0.9" then means "right about 9 times in 10" on that record; the expected calibration error
(`ece`) measures how far that holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

N_BINS = 20
# A bin with no data reads as this (a deliberately modest "don't know").
PRIOR_P = 0.5
# Small on purpose: a sparse bin should say what its few observations say, only never exactly 0 or 1.
PRIOR_WEIGHT = 0.25


def pav(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Isotonic (non-decreasing) least-squares fit of `y` with weights `w` (pool adjacent violators)."""
    values: list[float] = []
    weights: list[float] = []
    sizes: list[int] = []
    for yi, wi in zip(y.astype(float), w.astype(float)):
        values.append(yi)
        weights.append(wi)
        sizes.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            w2 = weights[-2] + weights[-1]
            v2 = (values[-2] * weights[-2] + values[-1] * weights[-1]) / w2 if w2 > 0 else values[-1]
            s2 = sizes[-2] + sizes[-1]
            del values[-2:], weights[-2:], sizes[-2:]
            values.append(v2)
            weights.append(w2)
            sizes.append(s2)
    return np.repeat(np.array(values), sizes)


@dataclass
class Calibration:
    """Binned, isotonic calibration map from raw score (0..1) to probability of being right."""

    correct: list[float] = field(default_factory=lambda: [0.0] * N_BINS)
    total: list[float] = field(default_factory=lambda: [0.0] * N_BINS)
    source: str = "prior"

    @staticmethod
    def bin_of(score: float) -> int:
        """Bin index of a raw score."""
        return int(min(N_BINS - 1, max(0, np.floor(float(score) * N_BINS))))

    def update(self, pairs: Iterable[tuple[float, bool]], weight: float = 1.0) -> Calibration:
        """Add (score, correct) observations; returns self."""
        for score, ok in pairs:
            b = self.bin_of(score)
            self.total[b] += weight
            self.correct[b] += weight * (1.0 if ok else 0.0)
        return self

    @classmethod
    def fit(cls, scores: Iterable[float], correct: Iterable[bool], source: str = "fit") -> Calibration:
        """A fresh map from labelled scores."""
        cal = cls(source=source)
        return cal.update(zip(scores, correct))

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(bin centres, calibrated probability per bin), monotone in the score.

        Isotonic regression over the bins that hold observations (weighted by their counts); empty
        bins take the value interpolated between their populated neighbours (and towards 0 at score 0
        below the lowest populated bin).
        """
        total = np.array(self.total, dtype=float)
        correct = np.array(self.correct, dtype=float)
        centres = (np.arange(N_BINS) + 0.5) / N_BINS
        filled = total > 0
        if not filled.any():
            return centres, np.full(N_BINS, PRIOR_P)
        rate = (correct[filled] + PRIOR_P * PRIOR_WEIGHT) / (total[filled] + PRIOR_WEIGHT)
        fitted = pav(rate, total[filled])
        # Below the lowest observed score the map falls towards 0 at score 0: evidence weaker than
        # anything seen is not worth the confidence of the weakest bin that was seen.
        return centres, np.interp(centres, np.r_[0.0, centres[filled]], np.r_[0.0, fitted])

    def __call__(self, score: float) -> float:
        """Calibrated probability for a raw score (step per bin, so it agrees with the record)."""
        _, fitted = self.curve()
        return float(np.clip(fitted[self.bin_of(score)], 0.0, 1.0))

    @property
    def n(self) -> float:
        """Observations behind the map."""
        return float(sum(self.total))

    def to_json(self) -> str:
        """Serialise (stored in DuckDB and in the packaged default)."""
        return json.dumps(
            {"bins": N_BINS, "correct": self.correct, "total": self.total, "source": self.source}
        )

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        """Inverse of `to_json`."""
        data = json.loads(text)
        if int(data.get("bins", N_BINS)) != N_BINS:
            raise ValueError("calibration has a different number of bins")
        return cls(
            [float(x) for x in data["correct"]],
            [float(x) for x in data["total"]],
            str(data.get("source", "stored")),
        )


def ece(confidence: Iterable[float], correct: Iterable[bool], bins: int = 10) -> float:
    """Expected calibration error: mean |accuracy - confidence| over equal-width bins, weighted by size."""
    conf = np.asarray(list(confidence), dtype=float)
    ok = np.asarray(list(correct), dtype=float)
    if conf.size == 0:
        return 0.0
    idx = np.minimum(bins - 1, np.floor(conf * bins).astype(int))
    err = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            err += mask.sum() / conf.size * abs(ok[mask].mean() - conf[mask].mean())
    return float(err)


def default_calibration() -> Calibration:
    """The map shipped with resync (fitted by `benchmarks/incident_analysis.py` on simulator truth)."""
    from importlib import resources

    try:
        text = resources.files("resync_assets.lib.rca").joinpath("default_calibration.json").read_text()
        return Calibration.from_json(text)
    except (FileNotFoundError, ValueError, KeyError):
        return Calibration(source="prior")

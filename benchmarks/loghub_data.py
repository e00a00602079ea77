"""The Loghub-2k data sets for the template-miner benchmarks and tests: finding, loading, scoring.

The data (2,000 real log lines per system with a ground-truth group for every line) is the shared
reference folder's copy: `<shared>/benchmarks/loghub`, where `<shared>` is `RESYNC_SHARED_DIR`, else
`<repo>/../shared`; or the folder named by the setting `RESYNC_LOGHUB_DIR`. :func:`redrawn_lines` builds the realistic speed input: lines of all data sets
mixed, with every number, hex string and address re-drawn by a seeded RNG, so that lines are not
exact repeats of each other (as in real logs, where counters, ids and addresses vary).
"""

from __future__ import annotations

import csv
import os
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATASETS = ("HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "HPC", "Thunderbird", "Linux")


def shared_dir() -> Path:
    """The shared reference folder outside the repository: `RESYNC_SHARED_DIR`, else `<repo>/../shared`
    (where CI lays it beside the clone; a git worktree elsewhere sets the variable)."""
    configured = (os.environ.get("RESYNC_SHARED_DIR") or "").strip()
    return Path(configured) if configured else REPO.parent / "shared"


def loghub_dir() -> Path:
    """The Loghub-2k folder: `RESYNC_LOGHUB_DIR`, else `<shared>/benchmarks/loghub` (see :func:`shared_dir`)."""
    configured = (os.environ.get("RESYNC_LOGHUB_DIR") or "").strip()
    return Path(configured) if configured else shared_dir() / "benchmarks" / "loghub"


def available_datasets(root: Path | None = None) -> list[str]:
    """The data sets of :data:`DATASETS` present under `root` (default :func:`loghub_dir`)."""
    root = root or loghub_dir()
    return [name for name in DATASETS if (root / name / f"{name}_2k.log_structured.csv").is_file()]


def load_dataset(name: str, root: Path | None = None) -> tuple[list[str], list[str]]:
    """(messages, ground-truth group ids) of data set `name`; newlines inside a message become spaces."""
    path = (root or loghub_dir()) / name / f"{name}_2k.log_structured.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"Loghub data set {name!r} not found at {path}; set RESYNC_LOGHUB_DIR to the folder "
            "holding <name>/<name>_2k.log_structured.csv"
        )
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [" ".join(r["Content"].splitlines()) for r in rows], [r["EventId"] for r in rows]


def grouping_accuracy(truth: list[str], predicted: list) -> float:
    """GA: share of messages whose predicted group is exactly their ground-truth group (as sets)."""
    members: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(truth):
        members[label].append(i)
    sizes = Counter(predicted)
    correct = 0
    for idx in members.values():
        first = predicted[idx[0]]
        if sizes[first] == len(idx) and all(predicted[i] == first for i in idx):
            correct += len(idx)
    return correct / len(truth)


def f1_group_accuracy(truth: list[str], predicted: list) -> float:
    """FGA (Loghub-2.0): F1 of the share of predicted and of true groups that match exactly."""
    true_sets = defaultdict(set)
    pred_sets = defaultdict(set)
    for i, (t, p) in enumerate(zip(truth, predicted)):
        true_sets[t].add(i)
        pred_sets[p].add(i)
    exact = {frozenset(s) for s in true_sets.values()}
    correct = sum(1 for s in pred_sets.values() if frozenset(s) in exact)
    if correct == 0:
        return 0.0
    precision, recall = correct / len(pred_sets), correct / len(true_sets)
    return 2 * precision * recall / (precision + recall)


def leave_one_dataset_out(
    data: dict[str, tuple[list[str], list[str]]],
    candidates: list[dict],
    mine: Callable[[list[str], dict], list],
) -> dict[str, dict]:
    """Leave-one-dataset-out: pick the candidate settings best on the other sets, score the held-out one.

    `mine(lines, settings)` returns one group label per line. For each held-out data set the chosen
    settings are those with the highest mean GA over the remaining data sets (ties: the earlier
    candidate), so no figure reported for a data set was tuned on it.
    """
    scores: dict[int, dict[str, tuple[float, float]]] = {}
    for index, settings in enumerate(candidates):
        scores[index] = {}
        for name, (lines, truth) in data.items():
            predicted = mine(lines, settings)
            scores[index][name] = (grouping_accuracy(truth, predicted), f1_group_accuracy(truth, predicted))
    result = {}
    for held_out in data:
        others = [n for n in data if n != held_out]

        def train_ga(i: int, others: list[str] = others) -> float:
            return sum(scores[i][n][0] for n in others) / len(others)

        best = max(range(len(candidates)), key=lambda i: (train_ga(i), -i))
        ga, fga = scores[best][held_out]
        result[held_out] = {"settings": candidates[best], "train_GA": train_ga(best), "GA": ga, "FGA": fga}
    return result


# One alternation, earliest alternative first: an IPv4 address, a 0x hex number, a hex string of 8+
# characters mixing digits and letters, then any other run of digits.
_VARIABLE = re.compile(
    r"(?P<ip>(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.]))"
    r"|(?P<hex0x>0[xX][0-9a-fA-F]+)"
    r"|(?P<hex>(?<![0-9A-Za-z])(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}(?![0-9A-Za-z]))"
    r"|(?P<num>\d+)"
)
_HEX = "0123456789abcdef"


def _redraw(rng: random.Random) -> Callable[[re.Match[str]], str]:
    def number(length: int) -> str:
        if length == 1:
            return str(rng.randrange(10))
        return str(rng.randrange(10 ** (length - 1), 10**length))

    def replace(match: re.Match[str]) -> str:
        kind = match.lastgroup
        text = match.group()
        if kind == "ip":
            return ".".join(str(rng.randrange(256)) for _ in range(4))
        if kind == "hex0x":
            return text[:2] + "".join(rng.choice(_HEX) for _ in range(len(text) - 2))
        if kind == "hex":
            return "".join(rng.choice(_HEX) for _ in range(len(text)))
        # Short fields (hours, minutes, days) keep their width; longer numbers (counters, ids, sizes,
        # durations) also vary in length, as they do in real logs.
        length = len(text)
        if length >= 3:
            length += rng.choice((-1, 0, 0, 1))
        return number(length)

    return replace


def redrawn_lines(n: int, seed: int = 12, root: Path | None = None) -> list[str]:
    """`n` lines drawn at random from all data sets present, each number/hex/IP token re-drawn.

    Deterministic for a given `seed` and data. Raises FileNotFoundError when no data set is found.
    """
    names = available_datasets(root)
    if not names:
        raise FileNotFoundError(f"no Loghub-2k data set under {root or loghub_dir()}; set RESYNC_LOGHUB_DIR")
    pool = [line for name in names for line in load_dataset(name, root)[0]]
    rng = random.Random(seed)
    replace = _redraw(rng)
    sub = _VARIABLE.sub
    return [sub(replace, pool[rng.randrange(len(pool))]) for _ in range(n)]

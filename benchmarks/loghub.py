"""Loghub-2k benchmark of the joblog template miner (`resync patterns templates`).

Runs the evaluator (`benchmarks/vendor/loghub_eval.py`) twice with the same command and no per-dataset
settings: once on the 2,000-line inputs for accuracy (GA, FGA, PA) and once with `--repeat 50`
(100,000 lines per data set, process start-up included) for speed. It also times the miner
in-process on the 2,000 distinct lines of each data set, where exact repeats do not help, and
prints all figures per data set with averages. Results go to benchmarks/results/loghub.json.
Exact repeats flatter the speed figures: benchmarks/miner_speed.py measures re-drawn input (numbers
varying) with drain3 side by side.

    .venv/bin/python -m benchmarks.loghub [--loghub-dir DIR] [--runs 3] [--datasets HDFS,BGL]

The Loghub-2k data is found as `benchmarks/loghub_data.py` says (`RESYNC_LOGHUB_DIR`, else
`<repo>/../shared/benchmarks/loghub`).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.loghub_data import loghub_dir

REPO = Path(__file__).resolve().parent.parent
EVALUATOR = REPO / "benchmarks" / "vendor" / "loghub_eval.py"


def _parser_command() -> str:
    script = Path(sys.executable).with_name("resync")
    if script.exists():
        return shlex.quote(str(script)) + " patterns templates"
    return shlex.quote(sys.executable) + " -m resync_assets.cli patterns templates"


def _evaluate(data: Path, extra: list[str], out_json: Path) -> dict:
    cmd = [
        sys.executable,
        str(EVALUATOR),
        "--data-dir",
        str(data),
        "--parser-cmd",
        _parser_command(),
        "--out-json",
        str(out_json),
        *extra,
    ]
    proc = subprocess.run(cmd, check=False, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"loghub_eval.py failed with status {proc.returncode}")
    return json.loads(out_json.read_text())


def _unique_line_speed(data: Path, datasets: list[str]) -> dict[str, float]:
    """Messages per second of the in-process miner on each data set's 2,000 distinct lines."""
    from resync_assets.lib.patterns.miner import mine_templates

    speeds = {}
    for name in datasets:
        path = data / name / f"{name}_2k.log_structured.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            lines = [row["Content"] for row in csv.DictReader(fh)]
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            mine_templates(lines)
            best = min(best, time.perf_counter() - t0)
        speeds[name] = len(lines) / best
    return speeds


def _cpu_speed(data: Path, datasets: list[str], repeat: int, runs: int) -> dict[str, float]:
    """Messages per CPU second (user + sys of the parser process) on the repeated inputs.

    Wall-clock rates swing with whatever else runs on a shared machine; CPU time much less.
    """
    import resource

    cmd = _parser_command()
    speeds = {}
    for name in datasets:
        path = data / name / f"{name}_2k.log_structured.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            lines = [" ".join(row["Content"].splitlines()) for row in csv.DictReader(fh)]
        payload = ("\n".join(lines) + "\n").encode("utf-8") * repeat
        best = float("inf")
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(cmd, shell=True, input=payload, capture_output=True, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best = min(best, cpu)
        speeds[name] = len(lines) * repeat / best
    return speeds


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--loghub-dir", type=Path, default=None, help="Loghub-2k folder (default: see loghub_data)"
    )
    ap.add_argument(
        "--runs", type=int, default=3, help="parser calls per data set for the speed run (median)"
    )
    ap.add_argument("--repeat", type=int, default=50, help="input repetition for the speed run")
    ap.add_argument("--datasets", default="", help="comma-separated subset (default: all present)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "loghub.json")
    args = ap.parse_args(argv)

    data = (args.loghub_dir or loghub_dir()).resolve()
    if not data.is_dir():
        ap.error(f"no Loghub-2k data at {data}; pass --loghub-dir DIR or set RESYNC_LOGHUB_DIR")
    subset = ["--datasets", args.datasets] if args.datasets else []

    with tempfile.TemporaryDirectory() as tmp:
        accuracy = _evaluate(data, subset, Path(tmp) / "acc.json")
        speed = _evaluate(
            data,
            [*subset, "--repeat", str(args.repeat), "--runs", str(args.runs)],
            Path(tmp) / "speed.json",
        )
    names = [d["dataset"] for d in accuracy["datasets"]]
    unique = _unique_line_speed(data, names)
    cpu = _cpu_speed(data, names, args.repeat, args.runs)
    speed_by = {d["dataset"]: d for d in speed["datasets"]}

    rows = []
    for d in accuracy["datasets"]:
        s = speed_by[d["dataset"]]
        rows.append(
            {
                "dataset": d["dataset"],
                "GA": d["GA"],
                "FGA": d["FGA"],
                "PA": d["PA"],
                "pred_groups": d["n_pred_groups"],
                "gt_groups": d["n_gt_groups"],
                "msgs_per_s_repeat": s["msgs_per_s"],
                "repeat_messages": s["n_messages"],
                "msgs_per_s_unique_inprocess": unique[d["dataset"]],
                "msgs_per_cpu_s_repeat": cpu[d["dataset"]],
            }
        )
    n = len(rows)
    avg = {
        key: sum(r[key] for r in rows) / n
        for key in (
            "GA",
            "FGA",
            "PA",
            "msgs_per_s_repeat",
            "msgs_per_cpu_s_repeat",
            "msgs_per_s_unique_inprocess",
        )
    }
    header = (
        f"{'Dataset':<12} {'GA':>7} {'FGA':>7} {'PA':>7} {'groups':>9} "
        f"{'msgs/s x' + str(args.repeat):>12} {'msgs/CPU-s':>11} {'unique/s':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['dataset']:<12} {r['GA']:7.4f} {r['FGA']:7.4f} {r['PA']:7.4f} "
            f"{str(r['pred_groups']) + '/' + str(r['gt_groups']):>9} "
            f"{r['msgs_per_s_repeat']:12,.0f} {r['msgs_per_cpu_s_repeat']:11,.0f} "
            f"{r['msgs_per_s_unique_inprocess']:10,.0f}"
        )
    print("-" * len(header))
    print(
        f"{'Average':<12} {avg['GA']:7.4f} {avg['FGA']:7.4f} {avg['PA']:7.4f} {'':>9} "
        f"{avg['msgs_per_s_repeat']:12,.0f} {avg['msgs_per_cpu_s_repeat']:11,.0f} "
        f"{avg['msgs_per_s_unique_inprocess']:10,.0f}"
    )
    print(
        f"\nmsgs/s x{args.repeat}: evaluator, {args.repeat}x input, process start-up included, median of "
        f"{args.runs}; msgs/CPU-s: the same inputs per CPU second of the parser process (best of "
        f"{args.runs}; insensitive to other load); unique/s: in-process miner on the distinct 2k lines "
        "(best of 3)."
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average during the run: {load:.1f} on {os.cpu_count()} CPUs")
    result = {
        "command": _parser_command(),
        "created_utc": accuracy["created_utc"],
        "host": accuracy.get("host"),
        "cpu_count": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "repeat": args.repeat,
        "runs": args.runs,
        "datasets": rows,
        "average": avg,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Template miner: speed and peak memory on re-drawn real log lines, drain3 side by side, and
leave-one-dataset-out (LODO) grouping accuracy on the eight Loghub-2k data sets.

    .venv/bin/python -m benchmarks.miner_speed [--lines 320000] [--runs 1] [--seed 12]

Speed input: `--lines` lines drawn at random from the eight Loghub-2k data sets (found at
`<repo>/../shared/benchmarks/loghub` or `RESYNC_LOGHUB_DIR`), every number, hex string and IP
address re-drawn by a seeded RNG (numbers of 3+ digits also change length), so lines are not exact
repeats. Both miners run as their own process on the same file on stdin and print one template per
input line after reading everything: `resync patterns templates`, and drain3 0.9.11 (its default
settings plus the generic masks for IPs, hex and numbers from its example configuration; a
benchmark baseline only, install it with `.venv/bin/uv pip install drain3` -- it is not a
dependency of resync because it pins a vulnerable jsonpickle). Figures: lines per wall-clock second
(process start-up included; best of `--runs`), and peak resident memory of the process (`ru_maxrss`
from `wait4`). The machine is shared, so wall-clock figures are noisy; CPU seconds are printed too.

Accuracy: for each data set, the miner settings (similarity threshold, prefix depth) are chosen
from a small grid by mean grouping accuracy (GA) on the other seven data sets and scored on the
held-out one; the per-data-set GA and FGA and the settings chosen are printed, with the scores of
the default settings beside them. Results also go to benchmarks/results/miner_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from array import array
from pathlib import Path

from benchmarks.loghub_data import (
    REPO,
    available_datasets,
    f1_group_accuracy,
    grouping_accuracy,
    leave_one_dataset_out,
    load_dataset,
    loghub_dir,
    redrawn_lines,
)

# Candidate settings for LODO: a small grid, the same for every data set.
GRID = [
    {"similarity": s, "prefix_depth": d} for d in (1, 2, 3) for s in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
]


def _resync_command() -> list[str]:
    script = Path(sys.executable).with_name("resync")
    if script.exists():
        return [str(script), "patterns", "templates"]
    return [sys.executable, "-m", "resync_assets.cli", "patterns", "templates"]


def _drain3_command() -> list[str]:
    return [sys.executable, "-m", "benchmarks.miner_speed", "--drain3-worker"]


def drain3_available() -> bool:
    """True when drain3 can be imported by this interpreter."""
    try:
        import drain3  # noqa: F401
    except ImportError:
        return False
    return True


def _drain3_worker() -> int:
    """Stream stdin through drain3, keep one cluster id a line, print each line's final template."""
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    # drain3's example masks (drain3.ini) for addresses, hex and numbers; no data-set-specific ones.
    edge_l, edge_r = r"((?<=[^A-Za-z0-9])|^)", r"((?=[^A-Za-z0-9])|$)"
    config.masking_instructions = [
        MaskingInstruction(edge_l + r"(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})" + edge_r, "IP"),
        MaskingInstruction(edge_l + r"(0x[a-f0-9A-F]+)" + edge_r, "HEX"),
        MaskingInstruction(edge_l + r"([\-\+]?\d+)" + edge_r, "NUM"),
    ]
    miner = TemplateMiner(config=config)
    ids = array("l")
    stdin = sys.stdin.buffer
    for raw in stdin:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        ids.append(miner.add_log_message(line)["cluster_id"])
    templates = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    out = sys.stdout
    for start in range(0, len(ids), 10_000):
        out.write("".join(templates[i] + "\n" for i in ids[start : start + 10_000]))
    out.flush()
    return 0


# Runs the measured command from a fresh, small interpreter: Linux's peak RSS of a child counts the
# memory of the process it was forked from, which would be this benchmark (it held the input lines).
_LAUNCHER = """
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
print(os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, file=sys.stderr)
"""


def _measure(cmd: list[str], input_path: Path, runs: int) -> dict:
    """Run `cmd` with the input on stdin; wall seconds, CPU seconds, peak RSS and output lines."""
    best: dict | None = None
    for _ in range(runs):
        with input_path.open("rb") as stdin, tempfile.TemporaryFile() as stdout:
            proc = subprocess.run(
                [sys.executable, "-c", _LAUNCHER, *cmd],
                stdin=stdin,
                stdout=stdout,
                capture_output=False,
                stderr=subprocess.PIPE,
                cwd=REPO,
                check=False,
            )
            err = proc.stderr.decode(errors="replace").strip().splitlines()
            code, wall, cpu, maxrss_kb = err[-1].split() if err else ("1", "0", "0", "0")
            if proc.returncode != 0 or int(code) != 0:
                raise SystemExit(f"{shlex.join(cmd)} failed ({code}):\n" + "\n".join(err[-20:]))
            stdout.seek(0)
            outputs = stdout.read().decode("utf-8", errors="replace").splitlines()
        run = {
            "wall_s": float(wall),
            "cpu_s": float(cpu),
            "peak_rss_mb": int(maxrss_kb) / 1024,
            "output_lines": len(outputs),
            "templates": len(set(outputs)),
        }
        if best is None or run["wall_s"] < best["wall_s"]:
            best = run
    assert best is not None
    return best


def _mine_labels(lines: list[str], settings: dict) -> list[int]:
    from resync_assets.lib.patterns.miner import MinerConfig, TemplateMiner

    miner = TemplateMiner(MinerConfig(**settings))
    ids = miner.add_many(lines)
    # Predicted groups are the printed templates (two clusters printing the same text are one group).
    rendered = {cid: c.template for cid, c in miner.clusters.items()}
    return [rendered[i] for i in ids]


def lodo_accuracy(names: list[str] | None = None) -> dict:
    """LODO figures per data set plus the default settings' GA/FGA, and their means."""
    from resync_assets.lib.patterns.miner import MinerConfig

    names = names or available_datasets()
    data = {name: load_dataset(name) for name in names}
    lodo = leave_one_dataset_out(data, GRID, _mine_labels)
    default = MinerConfig().as_dict()
    default_settings = {k: default[k] for k in GRID[0]}
    for name, (lines, truth) in data.items():
        predicted = _mine_labels(lines, default_settings)
        lodo[name]["default_GA"] = grouping_accuracy(truth, predicted)
        lodo[name]["default_FGA"] = f1_group_accuracy(truth, predicted)
    n = len(lodo)
    mean = {key: sum(r[key] for r in lodo.values()) / n for key in ("GA", "FGA", "default_GA", "default_FGA")}
    return {"datasets": lodo, "mean": mean, "default_settings": default_settings}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=320_000, help="lines of re-drawn input (default 320000)")
    ap.add_argument("--runs", type=int, default=1, help="runs per miner; the fastest is reported")
    ap.add_argument("--seed", type=int, default=12, help="RNG seed of the re-drawn input")
    ap.add_argument("--skip-drain3", action="store_true", help="measure resync only")
    ap.add_argument("--skip-lodo", action="store_true", help="speed only")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "miner_speed.json")
    ap.add_argument("--drain3-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.drain3_worker:
        return _drain3_worker()

    names = available_datasets()
    if not names:
        ap.error(f"no Loghub-2k data under {loghub_dir()}; set RESYNC_LOGHUB_DIR")
    result: dict = {
        "lines": args.lines,
        "seed": args.seed,
        "datasets_mixed": names,
        "cpu_count": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        input_path = Path(tmp) / "redrawn.log"
        lines = redrawn_lines(args.lines, seed=args.seed)
        input_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        distinct = len(set(lines))
        size_mb = input_path.stat().st_size / 1e6
        del lines
        print(
            f"input: {args.lines:,} lines ({distinct:,} distinct, {size_mb:.1f} MB) mixed from "
            f"{len(names)} Loghub-2k data sets, numbers/hex/IPs re-drawn (seed {args.seed})"
        )
        sides = {"resync": _resync_command()}
        if args.skip_drain3:
            print("drain3: skipped (--skip-drain3)")
        elif drain3_available():
            sides["drain3"] = _drain3_command()
        else:
            print(
                "drain3: NOT INSTALLED -- no side-by-side figure; install it with `.venv/bin/uv pip install drain3`"
            )
        speed = {}
        for side, cmd in sides.items():
            speed[side] = run = _measure(cmd, input_path, args.runs)
            if run["output_lines"] != args.lines:
                raise SystemExit(f"{side} printed {run['output_lines']} lines for {args.lines} input lines")
            run["lines_per_s"] = args.lines / run["wall_s"]
            run["lines_per_cpu_s"] = args.lines / run["cpu_s"]
    result["speed"] = speed
    print(
        f"\n{'miner':<8} {'lines/s':>10} {'lines/CPU-s':>12} {'wall s':>8} {'peak RSS MB':>12} {'templates':>10}"
    )
    for side, run in speed.items():
        print(
            f"{side:<8} {run['lines_per_s']:10,.0f} {run['lines_per_cpu_s']:12,.0f} {run['wall_s']:8.2f} "
            f"{run['peak_rss_mb']:12.0f} {run['templates']:10,}"
        )
    if "drain3" in speed:
        ratio = speed["resync"]["lines_per_s"] / speed["drain3"]["lines_per_s"]
        result["speed_ratio_vs_drain3"] = ratio
        print(f"resync / drain3 lines/s: {ratio:.2f}x")
    load = os.getloadavg()[0]
    result["load_average_1m"] = load
    print(f"load average: {load:.1f} on {os.cpu_count()} CPUs (shared machine: wall-clock figures are noisy)")

    if not args.skip_lodo:
        acc = lodo_accuracy(names)
        result["accuracy"] = acc
        print("\nLeave-one-dataset-out grouping accuracy (settings chosen on the other data sets):")
        print(
            f"{'dataset':<12} {'GA':>7} {'FGA':>7} {'sim':>5} {'depth':>5} {'train GA':>9} {'default GA':>11} {'FGA':>7}"
        )
        for name, r in acc["datasets"].items():
            s = r["settings"]
            print(
                f"{name:<12} {r['GA']:7.4f} {r['FGA']:7.4f} {s['similarity']:5.2f} {s['prefix_depth']:5d} "
                f"{r['train_GA']:9.4f} {r['default_GA']:11.4f} {r['default_FGA']:7.4f}"
            )
        m = acc["mean"]
        print(
            f"{'mean':<12} {m['GA']:7.4f} {m['FGA']:7.4f} {'':>5} {'':>5} {'':>9} {m['default_GA']:11.4f} {m['default_FGA']:7.4f}"
        )
        print(f"default settings: {acc['default_settings']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

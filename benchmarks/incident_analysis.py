"""Incident-analysis benchmark: error line, family, entities, similar incidents, calibration.

Two parts, printed as one table and written to benchmarks/results/incident_analysis.json:

1. **Simulator ground truth** (seed 42, 90 days, 500 jobs by default: ~1,100 failed runs across
   every family). The simulator writes its failures from its own table (`sim/failure_texts.csv`),
   not from the analyser's catalogue: a run counts as *known* when the analyser's catalogue has a
   rule matching its planted error line, else *unknown*; every figure is given for both parts.
   Honest time split: calibration and the similar-incident record are built from the EARLIER 60 %
   of failed runs (by end time); figures are measured on the LATER 40 %, each analysed with only the
   incidents that ended before it in the record. No LLM. Entities: files, hosts and DB objects
   against the run's truth (what the planted line names, plus the job's script), micro precision
   and recall.
2. **Real public log lines** not in any catalogue: ERROR / FATAL / SEVERE lines (and failure lines of
   level-less syslogs) from the loghub 2k datasets, each wrapped in the TWS joblog layout with the
   real lines that preceded it in its log, the lines that followed, and a wrapper "step failed" line.
   Error-line hit@1 and whether the family fallback is sensible (hand-written acceptable categories).
   Skipped (and said so) when the Loghub data is not available (benchmarks/loghub_data.py).

    .venv/bin/python -m benchmarks.incident_analysis [--days 90] [--jobs 500] [--seed 42]
        [--write-default-calibration]

Exits 1 when there is nothing to measure (no failed run). `--write-default-calibration` stores the
calibration fitted here as the packaged default (`resync_assets/lib/rca/default_calibration.json`).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchmarks.loghub_data import loghub_dir

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results" / "incident_analysis.json"
DEFAULT_CAL = REPO / "resync_assets" / "lib" / "rca" / "default_calibration.json"
END_DATE = date(2025, 3, 14)
PARTS = ("known", "unknown")


@dataclass
class Case:
    """One labelled failed run."""

    run_id: str
    job: str
    data: bytes
    ended_at: datetime
    error_line_number: int
    family: str
    signature_id: str
    files: tuple[str, ...]
    incident_id: str
    is_recurring: bool
    hosts: tuple[str, ...] = ()
    db_objects: tuple[str, ...] = ()
    script: str | None = None
    error_line: str = ""
    known: bool = False


def sim_cases(seed: int = 42, days: int = 90, jobs: int = 500) -> list[Case]:
    """Every failed run of a simulated workload with its ground truth, oldest first. `known` says
    whether the analyser's catalogue has a rule matching the planted line."""
    from resync_assets.lib.catalogue import load_catalogue
    from resync_assets.sim.clock import ManualClock
    from resync_assets.sim.workload import Workload, WorkloadConfig

    catalogue = load_catalogue()
    clock = ManualClock(datetime.combine(END_DATE + timedelta(days=1), datetime.min.time(), tzinfo=UTC))
    w = Workload(WorkloadConfig(seed=seed, days=days, jobs=jobs, end_date=END_DATE), clock=clock)
    out = []
    for t in w.failure_truth():
        run = w.find_run(t.run_id)
        log = w.joblog(run)
        out.append(
            Case(
                t.run_id,
                t.job_name,
                b"\n".join(log.lines) + b"\n",
                t.end,
                t.error_line_number,
                t.family,
                t.signature_id,
                tuple(t.files),
                t.incident_id,
                t.is_recurring,
                hosts=tuple(t.hosts),
                db_objects=tuple(t.db_objects),
                script=run.job.jd.script.split()[0],
                error_line=t.error_line,
                known=catalogue.match_line(t.error_line) is not None,
            )
        )
    out.sort(key=lambda c: (c.ended_at, c.run_id))
    return out


def path_recalled(truth: str, found: list[str]) -> bool:
    """A true path counts as found when extracted as is, as a longer name (`x.dat` in `x.dat.gz`),
    or as the directory holding an extracted file."""
    # Prefix covers all three: the same path, a longer name, a file inside the true directory.
    return any(f.startswith(truth) for f in found)


def path_correct(found: str, truth: set[str]) -> bool:
    """An extracted path is right when it is a true path, a longer name of one, or a directory
    holding one (the analyser adds the directory of a file for filesystem errors)."""
    return any(found.startswith(t) or t.startswith(found.rstrip("/") + "/") for t in truth)


def entity_counts(case: Case, a) -> dict[str, list[int]]:
    """Per entity kind: [true positives, extracted, truth found, truth total] for one run."""
    truth_files = set(case.files) | ({case.script} if case.script else set())
    out = {}
    f = list(a.files)
    out["files"] = [
        sum(path_correct(x, truth_files) for x in f),
        len(f),
        sum(path_recalled(t, f) for t in truth_files),
        len(truth_files),
    ]
    for kind, truth, found in (("hosts", case.hosts, a.hosts), ("db_objects", case.db_objects, a.db_objects)):
        t = {x.lower() for x in truth}
        p = {x.lower() for x in found}
        out[kind] = [len(p & t), len(p), len(t & p), len(t)]
    return out


def macro_f1(truth: list[str], pred: list[str]) -> tuple[float, dict[str, float]]:
    """Macro-averaged F1 over the true labels."""
    per = {}
    for label in sorted(set(truth)):
        tp = sum(1 for t, p in zip(truth, pred) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, pred) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, pred) if t == label and p != label)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        per[label] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return (sum(per.values()) / len(per) if per else 0.0), per


def spread(values: list[float]) -> dict[str, float]:
    """Quantiles of a list of confidences (min, p10, median, p90, max)."""
    import numpy as np

    if not values:
        return {}
    q = np.quantile(np.asarray(values, dtype=float), [0.0, 0.1, 0.5, 0.9, 1.0])
    return {k: round(float(v), 4) for k, v in zip(("min", "p10", "median", "p90", "max"), q)}


def part_figures(rows: list[dict]) -> dict:
    """Figures of one part (known / unknown / all) from per-run rows of the test set."""
    from resync_assets.lib.rca.calibration import ece

    n = len(rows)
    if not n:
        return {"runs": 0}
    confs = [r["confidence"] for r in rows]
    oks = [r["correct"] for r in rows]
    ent: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        for kind, counts in r["entities"].items():
            ent[kind] = [a + b for a, b in zip(ent[kind], counts)]
    entities = {
        kind: {
            "precision": c[0] / c[1] if c[1] else None,
            "recall": c[2] / c[3] if c[3] else None,
            "extracted": c[1],
            "truth": c[3],
        }
        for kind, c in sorted(ent.items())
    }
    return {
        "runs": n,
        "signatures": len({r["signature_id"] for r in rows}),
        "error_line_hit_at_1": sum(r["hit"] for r in rows) / n,
        "family_accuracy": sum(r["family_ok"] for r in rows) / n,
        "accuracy": sum(oks) / n,
        "ece": ece(confs, oks),
        "mean_confidence": sum(confs) / n,
        "confidence_spread": spread(confs),
        "entities": entities,
    }


def evaluate_sim(cases: list[Case], train_share: float = 0.6) -> tuple[dict, list[tuple[float, bool]]]:
    """Time-split evaluation on simulator truth; returns (figures, calibration pairs of the train part)."""
    from resync_assets.lib.patterns.miner import TemplateMiner
    from resync_assets.lib.rca.calibration import Calibration
    from resync_assets.lib.rca.engine import AnalysisContext, analyze
    from resync_assets.lib.rca.similarity import PastIncident, SimilarityIndex

    if not cases:
        raise ValueError("no failed runs to measure")
    cut = int(len(cases) * train_share)
    train, test = cases[:cut], cases[cut:]
    miner = TemplateMiner()
    index = SimilarityIndex()
    ctx = AnalysisContext(calibration=Calibration(source="prior"), index=index, miner=miner)
    labels: dict[str, Case] = {}
    pairs: list[tuple[float, bool]] = []

    def remember(case: Case, a) -> None:
        if a.error_line:
            miner.add(a.error_line)
        index.add(
            PastIncident(
                case.run_id,
                a.job_name,
                a.family,
                a.signature_id,
                a.pattern_key,
                a.template_id,
                a.error_line,
                a.cause,
                case.ended_at,
            )
        )
        labels[case.run_id] = case

    started = time.perf_counter()
    for case in train:
        a = analyze(case.data, run_id=case.run_id, context=ctx, ended_at=case.ended_at)
        pairs.append((a.raw_score, a.error_line_number == case.error_line_number and a.family == case.family))
        remember(case, a)
    ctx.calibration = Calibration.fit(
        [s for s, _ in pairs], [ok for _, ok in pairs], source="simulator train"
    )

    rows: list[dict] = []
    fam_t, fam_p = [], []
    all_total = all_found = 0
    rec_total = rec_found = 0
    for case in test:
        a = analyze(case.data, run_id=case.run_id, context=ctx, ended_at=case.ended_at)
        hit = a.error_line_number == case.error_line_number
        fam_t.append(case.family)
        fam_p.append(a.family)
        rows.append(
            {
                "known": case.known,
                "signature_id": case.signature_id,
                "hit": hit,
                "family_ok": a.family == case.family,
                "correct": hit and a.family == case.family,
                "confidence": a.confidence,
                "entities": entity_counts(case, a),
            }
        )
        for f in case.files:
            all_total += 1
            all_found += path_recalled(f, a.files)
        if case.is_recurring:
            past = [
                c
                for c in labels.values()
                if c.ended_at < case.ended_at
                and (
                    c.incident_id == case.incident_id
                    or (c.job == case.job and c.signature_id == case.signature_id)
                )
            ]
            if past:
                rec_total += 1
                top = [labels[s["run_id"]] for s in a.similar[:5] if s["run_id"] in labels]
                rec_found += any(
                    c.incident_id == case.incident_id
                    or (c.job == case.job and c.signature_id == case.signature_id)
                    for c in top
                )
        remember(case, a)
    elapsed = time.perf_counter() - started
    f1, per = macro_f1(fam_t, fam_p)
    overall = part_figures(rows)
    figures = {
        "failed_runs": len(cases),
        "train_runs": len(train),
        "test_runs": len(test),
        "known_share": sum(c.known for c in cases) / len(cases),
        "families": dict(Counter(c.family for c in cases)),
        "error_line_hit_at_1": overall["error_line_hit_at_1"],
        "family_accuracy": overall["family_accuracy"],
        "family_macro_f1": f1,
        "family_f1": per,
        "file_path_recall": overall["entities"]["files"]["recall"],
        "file_path_recall_all_truth_paths": all_found / all_total if all_total else None,
        "entities": overall["entities"],
        "similar_recall_at_5_recurring": rec_found / rec_total if rec_total else None,
        "recurring_with_past": rec_total,
        "ece": overall["ece"],
        "mean_confidence": overall["mean_confidence"],
        "confidence_spread": overall["confidence_spread"],
        "accuracy": overall["accuracy"],
        "parts": {part: part_figures([r for r in rows if r["known"] == (part == "known")]) for part in PARTS},
        "analyses_per_second": len(cases) / elapsed,
    }
    return figures, pairs


# --------------------------------------------------------------------------------------------------
# Real public log lines wrapped as joblogs

_LEVEL_DATASETS = {
    "BGL": (
        {"FATAL", "ERROR", "SEVERE"},
        lambda r: (
            f"{r['Timestamp']} {r['Date']} {r['Node']} {r['Time']} {r['NodeRepeat']} {r['Type']} "
            f"{r['Component']} {r['Level']} {r['Content']}"
        ),
    ),
    "Hadoop": (
        {"ERROR", "FATAL"},
        lambda r: f"{r['Date']} {r['Time']} {r['Level']} [{r['Process']}] {r['Component']}: {r['Content']}",
    ),
    "Zookeeper": (
        {"ERROR"},
        lambda r: (
            f"{r['Date']} {r['Time']} - {r['Level']}  [{r['Node']}:{r['Component']}@{r['Id']}] - "
            f"{r['Content']}"
        ),
    ),
    "HDFS": (
        {"WARN"},
        lambda r: f"{r['Date']} {r['Time']} {r['Pid']} {r['Level']} {r['Component']}: {r['Content']}",
    ),
}
_SYSLOG_DATASETS = {
    "Linux": lambda r: (
        f"{r['Month']} {r['Date']} {r['Time']} {r['Level']} {r['Component']}[{r['PID']}]: {r['Content']}"
    ),
    "Thunderbird": lambda r: (
        f"{r['Date']} {r['User']} {r['Month']} {r['Day']} {r['Time']} {r['Location']} "
        f"{r['Component']}[{r['PID']}]: {r['Content']}"
    ),
    "HPC": lambda r: (
        f"{r['LogId']} {r['Node']} {r['Component']} {r['State']} {r['Time']} {r['Flag']} {r['Content']}"
    ),
}
# Level-less logs: a line is a failure when it says so (the label of these datasets' incidents).
_SYSLOG_FAILURE = re.compile(
    r"fail|error|denied|refused|unknown|timed out|abnormal|panic|cannot|unable|abort", re.IGNORECASE
)
# Hand-written acceptable generic categories for each kind of real error (first match wins).
_ACCEPT = (
    (re.compile(r"timed out|timeout", re.IGNORECASE), {"timeout", "network"}),
    (re.compile(r"authentication|user unknown|Kerberos", re.IGNORECASE), {"authentication", "permission"}),
    (re.compile(r"Permission denied", re.IGNORECASE), {"permission", "authentication"}),
    (
        re.compile(r"No such file|missing program|not found|Cannot open file", re.IGNORECASE),
        {"dependency", "filesystem"},
    ),
    (
        re.compile(
            r"Input/output|mount|Block device|Bad file descriptor|filesystem|ServerFileSystem|cache data|"
            r"Wait for ready",
            re.IGNORECASE,
        ),
        {"filesystem", "dependency", "application"},
    ),
    (re.compile(r"timed out|timeout", re.IGNORECASE), {"timeout", "network"}),
    (
        re.compile(
            r"socket|Connection|network|link|Route|resolve|port|RM\b|tree|domain name|host name|"
            r"DHCP|lease|relay",
            re.IGNORECASE,
        ),
        {"network", "timeout"},
    ),
    (re.compile(r"image too big|memory", re.IGNORECASE), {"memory", "application"}),
    (re.compile(r"Exception|exception", re.IGNORECASE), {"java", "application", "script"}),
)


def _accept(line: str) -> set[str]:
    for rx, ok in _ACCEPT:
        if rx.search(line):
            return ok
    return {"application", "script"}


def _wrap(
    job: str, before: list[str], error: str, after: list[str], dynamic: bool, rc: int
) -> tuple[bytes, int]:
    banner = "=" * 63
    header = [banner, f"= JOB       : LNXAGT09#/OPS/REALLOGS[(0100 03/14/25),(0AAAAAAAAAAAAREAL)].{job}"]
    if dynamic:
        header += [
            '= TASK      : <?xml version="1.0" encoding="UTF-8"?>',
            "<jsdl:jobDefinition>",
            f"      <jsdle:script>/apps/ops/bin/{job.lower()}.sh</jsdle:script>",
            "</jsdl:jobDefinition>",
        ]
    else:
        header += ["= USER      : batchops", f"= JCLFILE   : /apps/ops/bin/{job.lower()}.sh"]
    header += [
        "= TWSRCMAP  :",
        "= AGENT     : LNXAGT09",
        "= Job Number: 48213",
        "= Fri Mar 14 01:00:02 UTC 2025",
        banner,
    ]
    pre = (
        []
        if dynamic
        else [
            "WA for UNIX/JOBMANRC 10.2.5.00",
            f"AWSBIS307I Starting /opt/hwa/TWS/jobmanrc /apps/ops/bin/{job.lower()}.sh",
            "WA for UNIX (LINUX)/JOBINFO 10.2.5.00",
            'Installed for user "batchops".',
            'Locale LANG set to the following: "C"',
        ]
    )
    body = pre + before + [error] + after + [f"2025-03-14 01:20:00 ERROR {job.lower()}: step failed, rc={rc}"]
    if not dynamic:
        body.append("AWSBIS308I End of job")
    trailer = [banner, f"= Exit Status           : {rc}", "= Elapsed Time (hh:mm:ss) : 00:19:58", banner]
    lines = header + body + trailer
    return ("\n".join(lines) + "\n").encode("utf-8"), len(header) + len(pre) + len(before) + 1


def real_cases(root: Path | None = None, per_dataset: int = 12) -> list[dict]:
    """Joblogs built from real public log lines (loghub 2k under `root`), each with its true error line."""
    root = root or loghub_dir()
    out = []
    specs = [(n, lv, fmt) for n, (lv, fmt) in _LEVEL_DATASETS.items()] + [
        (n, None, fmt) for n, fmt in _SYSLOG_DATASETS.items()
    ]
    for k, (name, levels, fmt) in enumerate(specs):
        path = root / name / f"{name}_2k.log_structured.csv"
        if not path.exists():
            continue
        with open(path, newline="", encoding="utf-8", errors="replace") as fh:
            rows = list(csv.DictReader(fh))

        def is_error(r: dict, levels=levels, fmt=fmt) -> bool:
            return r.get("Level") in levels if levels else bool(_SYSLOG_FAILURE.search(fmt(r)))

        seen: set[str] = set()
        picked = 0
        for i, r in enumerate(rows):
            if picked >= per_dataset or not is_error(r) or r["EventId"] in seen:
                continue
            # Skip register-dump style lines that carry no words (they say nothing a human could act on).
            if not re.search(r"[a-z]{4,}", r["Content"]):
                continue
            seen.add(r["EventId"])
            before = [fmt(x) for x in rows[max(0, i - 40) : i] if not is_error(x)][-(6 + (i % 10)) :]
            after = [fmt(x) for x in rows[i + 1 : i + 1 + (i % 4)]]
            job = f"{name.upper()}_{picked:02d}"
            data, line_no = _wrap(job, before, fmt(r), after, dynamic=bool((i + k) % 2), rc=1 + (i % 3))
            out.append(
                {
                    "dataset": name,
                    "job": job,
                    "data": data,
                    "error_line_number": line_no,
                    "error_line": fmt(r),
                    "accept": _accept(r["Content"]),
                }
            )
            picked += 1
    return out


def evaluate_real(cases: list[dict], calibration=None) -> tuple[dict, list[tuple[float, bool]], list[dict]]:
    """Hit@1 and family sensibility on the real-log joblogs."""
    from resync_assets.lib.rca.calibration import ece
    from resync_assets.lib.rca.engine import AnalysisContext, analyze

    ctx = AnalysisContext(calibration=calibration)
    hits = sensible = 0
    per = defaultdict(lambda: [0, 0])
    pairs, rows, confs, oks = [], [], [], []
    for c in cases:
        a = analyze(c["data"], context=ctx)
        hit = a.error_line_number == c["error_line_number"]
        fam_ok = a.category in c["accept"] or a.family in c["accept"]
        hits += hit
        sensible += fam_ok
        per[c["dataset"]][0] += hit
        per[c["dataset"]][1] += 1
        pairs.append((a.raw_score, hit and fam_ok))
        confs.append(a.confidence)
        oks.append(hit and fam_ok)
        rows.append(
            {
                "dataset": c["dataset"],
                "hit": hit,
                "family": a.family,
                "category": a.category,
                "family_sensible": fam_ok,
                "truth": c["error_line"][:160],
                "picked": (a.error_line or "")[:160],
                "cause": a.cause[:160],
                "confidence": a.confidence,
            }
        )
    n = len(cases) or 1
    figures = {
        "cases": len(cases),
        "error_line_hit_at_1": hits / n,
        "family_sensible": sensible / n,
        "hit_by_dataset": {k: v[0] / v[1] for k, v in sorted(per.items())},
        "ece": ece(confs, oks),
        "mean_confidence": sum(confs) / n,
    }
    return figures, pairs, rows


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    """Run both parts, print the table, write the JSON; 1 when there is nothing to measure."""
    parser = argparse.ArgumentParser(prog="benchmarks.incident_analysis", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument(
        "--loghub-dir", type=Path, default=None, help="Loghub-2k folder (default: see loghub_data)"
    )
    parser.add_argument("--write-default-calibration", action="store_true")
    args = parser.parse_args(argv)

    from resync_assets.lib.rca.calibration import Calibration

    t0 = time.perf_counter()
    cases = sim_cases(args.seed, args.days, args.jobs)
    if not cases:
        print("no failed runs in the simulated workload: nothing to measure", file=sys.stderr)
        return 1
    sim, pairs = evaluate_sim(cases)
    real = real_cases(args.loghub_dir) if (args.loghub_dir or loghub_dir()).exists() else []
    real_fig: dict = {"cases": 0}
    real_rows: list[dict] = []
    fit_real: dict = {}
    pairs_real: list[tuple[float, bool]] = []
    if real:
        # Real-log calibration: fitted on the even cases, measured on the odd ones (no in-sample figure).
        fit_real, pairs_real, _ = evaluate_real(
            real[0::2], Calibration.fit([s for s, _ in pairs], [o for _, o in pairs])
        )
    cal = Calibration.fit(
        [s for s, _ in pairs + pairs_real],
        [o for _, o in pairs + pairs_real],
        source="simulator train" + (" + real-log half" if real else ""),
    )
    if real:
        real_fig, _, real_rows = evaluate_real(real, cal)
        real_odd, _, _ = evaluate_real(real[1::2], cal)
        real_fig["ece_held_out_half"] = real_odd["ece"]
    elapsed = time.perf_counter() - t0

    rows = [
        (
            "simulator failed runs (train / test)",
            f"{sim['failed_runs']} ({sim['train_runs']} / {sim['test_runs']})",
            "",
        ),
        ("share the analyser has a rule for", f"{sim['known_share']:.3f}", ""),
    ]
    for part in PARTS:
        f = sim["parts"][part]
        if not f.get("runs"):
            rows.append((f"{part}: test runs", "0", ""))
            continue
        sp = f["confidence_spread"]
        rows += [
            (f"{part}: test runs / signatures", f"{f['runs']} / {f['signatures']}", ""),
            (f"{part}: error-line hit@1", _pct(f["error_line_hit_at_1"]), ">= 0.95"),
            (f"{part}: family accuracy", _pct(f["family_accuracy"]), ""),
            (f"{part}: expected calibration error", _pct(f["ece"]), "<= 0.05"),
            (
                f"{part}: confidence p10 / median / p90",
                f"{sp['p10']:.2f} / {sp['median']:.2f} / {sp['p90']:.2f}",
                "",
            ),
        ]
    for kind, e in sim["entities"].items():
        rows.append(
            (
                f"entities {kind}: precision / recall",
                f"{_pct(e['precision'])} / {_pct(e['recall'])}",
                ">= 0.95 / >= 0.90",
            )
        )
    rows += [
        ("family macro-F1 (no LLM)", f"{sim['family_macro_f1']:.3f}", ""),
        (
            "similar recall@5 (recurring)",
            f"{_pct(sim['similar_recall_at_5_recurring'])} (n={sim['recurring_with_past']})",
            ">= 0.90",
        ),
        ("expected calibration error (all)", f"{sim['ece']:.3f}", "<= 0.05"),
        ("real-log joblogs", str(real_fig["cases"]) if real else "skipped (no Loghub data)", ""),
    ]
    if real:
        rows += [
            ("real-log error-line hit@1", f"{real_fig['error_line_hit_at_1']:.3f}", ""),
            ("real-log family fallback sensible", f"{real_fig['family_sensible']:.3f}", ""),
            ("real-log ECE (held-out half)", f"{real_fig['ece_held_out_half']:.3f}", ""),
        ]
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'value':<22} target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<22} {target}")
    print(f"(total {elapsed:.1f} s; {sim['analyses_per_second']:.0f} simulator analyses/s)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "config": {"seed": args.seed, "days": args.days, "jobs": args.jobs, "train_share": 0.6},
                "simulator": sim,
                "real_logs": real_fig,
                "real_log_rows": real_rows,
                "real_logs_first_half_with_sim_calibration": fit_real,
                "elapsed_seconds": elapsed,
            },
            indent=2,
            default=str,
        )
    )
    if args.write_default_calibration:
        DEFAULT_CAL.write_text(cal.to_json() + "\n")
        print(f"wrote {DEFAULT_CAL.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

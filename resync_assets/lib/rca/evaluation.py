"""How the warehouse's analyses and failure modes compare with a known truth (the simulator's).

The truth is passed in as plain rows (run_id, signature_id, family, error_line_number, error_line),
so this module knows nothing of where it came from: the demo hands it the simulator's truth, a test
its own. A run counts as *known* when the analyser's catalogue has a rule matching the planted line.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from resync_assets.lib.catalogue import load_catalogue
from resync_assets.lib.rca.calibration import ece
from resync_assets.lib.rca.store import quantiles
from resync_assets.lib.warehouse import table_exists

# The wrapper's restatement of a failure, as failure modes must never show it.
WRAPPER_WORDS = ("step failed", "job ended abnormally", "exiting with", "exit=")


def is_wrapper_mode(text: str | None) -> bool:
    """True when a failure mode's text is a wrapper summary ("step failed, rc=…")."""
    low = (text or "").lower()
    return any(w in low for w in WRAPPER_WORDS)


def mode_purity(modes: dict[str, str], truth: dict[str, str]) -> dict[str, Any]:
    """For one failure mode: its runs' planted signatures, the most common one and its share."""
    sigs = Counter(truth[r] for r in modes if r in truth)
    total = sum(sigs.values())
    top, n = sigs.most_common(1)[0] if sigs else (None, 0)
    return {"signature_id": top, "share": n / total if total else None, "runs_with_truth": total}


def top_mode_purity(
    per_run_mode: dict[str, tuple[int, str]], truth: dict[str, str], top: int = 10
) -> list[dict]:
    """The `top` failure modes by runs, each with the planted signature most of its runs carry.

    `per_run_mode`: run id → (cluster id, failure mode text); `truth`: run id → planted signature.
    """
    members: dict[int, list[str]] = defaultdict(list)
    text: dict[int, str] = {}
    for run_id, (cid, mode) in per_run_mode.items():
        members[cid].append(run_id)
        text[cid] = mode
    ranked = sorted(members, key=lambda c: (-len(members[c]), c))[:top]
    out = []
    for cid in ranked:
        purity = mode_purity({r: "" for r in members[cid]}, truth)
        out.append({"cluster_id": cid, "failure_mode": text[cid], "runs": len(members[cid])} | purity)
    return out


def compare_with_truth(con, truth_rows: Iterable[dict], top: int = 10) -> dict[str, Any]:
    """Accuracy of `analytics.incident_analyses` and purity of the top failure modes against truth.

    Returns: analysed (runs with both an analysis and a truth row), error_line_hit_at_1,
    family_accuracy, accuracy (both right), ece, confidence quantiles — overall and for the known /
    unknown parts — and `top_modes` (see `top_mode_purity`).
    """
    catalogue = load_catalogue()
    truth = {r["run_id"]: r for r in truth_rows}
    out: dict[str, Any] = {"truth_runs": len(truth)}
    rows = []
    if table_exists(con, "analytics", "incident_analyses"):
        rows = con.execute(
            "select run_id, error_line_number, family, confidence from analytics.incident_analyses"
        ).fetchall()
    parts: dict[str, list[tuple[bool, bool, float]]] = {"all": [], "known": [], "unknown": []}
    for run_id, line_no, family, confidence in rows:
        t = truth.get(run_id)
        if t is None:
            continue
        hit = line_no == t["error_line_number"]
        fam = family == t["family"]
        part = "known" if catalogue.match_line(t["error_line"] or "") is not None else "unknown"
        for key in ("all", part):
            parts[key].append((hit, fam, float(confidence or 0.0)))
    for key, items in parts.items():
        n = len(items)
        out[key] = {
            "analysed": n,
            "error_line_hit_at_1": sum(h for h, _, _ in items) / n if n else None,
            "family_accuracy": sum(f for _, f, _ in items) / n if n else None,
            "accuracy": sum(h and f for h, f, _ in items) / n if n else None,
            "ece": ece([c for _, _, c in items], [h and f for h, f, _ in items]) if n else None,
            "confidence": quantiles([c for _, _, c in items]),
        }
    modes = {}
    if table_exists(con, "analytics", "joblog_failure_runs"):
        modes = {
            r: (cid, text)
            for r, cid, text in con.execute(
                "select run_id, cluster_id, representative_template from analytics.joblog_failure_runs"
            ).fetchall()
        }
    out["top_modes"] = top_mode_purity(modes, {r: t["signature_id"] for r, t in truth.items()}, top)
    return out

"""Root-cause analysis of one failed run's joblog: rules first, an LLM optionally on top.

    from resync_assets.lib.rca.engine import analyze
    result = analyze(Path("O48213.2341"))          # or the joblog text / bytes
    result.error_line_number, result.family, result.cause, result.steps, result.confidence

Pipeline: stream the joblog once (bounded: capped lines, bounded candidate set) → pick the error line
(`evidence`) → family from the catalogue, else product prefixes and keyword categories (`families`)
→ files / hosts / DB objects (`entities`) → specific cause and ordered steps (`advice`) → raw
evidence score → calibrated confidence (`calibration`) → similar past incidents and their
resolutions (`similarity`) → optional LLM refinement on a bounded window (`lib/llm`), merged with
the rule evidence rather than replacing it.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resync_assets.lib.joblog.errorline import STRONG, LineEvidence, scan
from resync_assets.lib.joblog.layout import cap_window, read_window
from resync_assets.lib.llm.safety import looks_injected
from resync_assets.lib.rca import advice
from resync_assets.lib.rca.calibration import Calibration, default_calibration
from resync_assets.lib.rca.entities import extract_db_objects, extract_hosts, extract_paths, parent_dir
from resync_assets.lib.rca.families import (
    FAMILY_CATEGORY,
    category_of,
    fallback_family,
    product_family,
    tool_family,
)
from resync_assets.lib.rca.patterns import failure_mode, pattern_key, tokens
from resync_assets.lib.rca.similarity import Query, SimilarityIndex
from resync_assets.lib.safety.commands import safe_step

if TYPE_CHECKING:  # pragma: no cover
    from resync_assets.lib.llm.client import LlmAnalyst
    from resync_assets.lib.patterns.miner import TemplateMiner

# Exit statuses that say something on their own (bash conventions, docs/joblog_layout.md §6).
_RC_HINTS = {
    126: ("permission", "the command was found but is not executable"),
    127: ("script", "a command was not found (exit 127)"),
    137: ("memory", "the process was killed with SIGKILL (exit 137: OOM killer or kill -9)"),
    139: ("script", "the program crashed with a segmentation fault (exit 139)"),
    143: ("timeout", "the process was terminated with SIGTERM (exit 143)"),
}
# Words that make a SCHEMA.TABLE-looking name in a non-database line a DB object.
_DB_WORDS = re.compile(r"\b(?:rows?|records?|partition|reconciliation)\b", re.IGNORECASE)
# The LLM may override the rules' line and family only when the rules' evidence is this weak.
WEAK_RAW = 0.5
LLM_WINDOW_BEFORE, LLM_WINDOW_AFTER, LLM_WINDOW_BYTES = 30, 29, 8192


@dataclass
class Analysis:
    """The analysis of one failed run (one row of `analytics.incident_analyses`)."""

    run_id: str | None
    job_name: str | None
    workstation: str | None
    job_stream: str | None
    error_line_number: int | None
    error_line: str | None
    family: str
    category: str
    signature_id: str | None
    cause: str
    explanation: str | None
    files: list[str]
    hosts: list[str]
    db_objects: list[str]
    steps: list[dict]
    confidence: float
    raw_score: float
    exit_status: int | None
    transient: bool
    pattern_key: str | None
    template_id: int | None
    evidence: list[str]
    alternatives: list[dict]
    similar: list[dict] = field(default_factory=list)
    llm: dict = field(default_factory=lambda: {"status": "not_configured"})
    lines_scanned: int = 0
    # The failure mode of the error line, as `joblog_pattern_clusters` groups it (same function).
    failure_mode: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return asdict(self)


@dataclass
class AnalysisContext:
    """What the record knows: calibration, past incidents, the template miner, lines of good runs."""

    calibration: Calibration | None = None
    index: SimilarityIndex | None = None
    miner: TemplateMiner | None = None
    known_ok: dict[str, set[str]] = field(default_factory=dict)

    def cal(self) -> Calibration:
        """The calibration map in use (the packaged default when none was loaded)."""
        if self.calibration is None:
            self.calibration = default_calibration()
        return self.calibration


def raw_score(
    pick: LineEvidence | None, others: list[LineEvidence], exit_status: int | None, has_trailer: bool
) -> float:
    """Strength of the rule evidence (0..1, monotone in how sure the rules are); calibrated later."""
    if pick is None:
        return 0.02
    z = (pick.score - STRONG) / 2.0
    if pick.signature is not None:
        z += 1.0 + 0.5 * pick.signature.specificity
    rival = max((o.score for o in others if o.line_no != pick.line_no and not o.is_wrapper), default=None)
    if rival is not None and pick.score - rival < 1.0:
        z -= 0.75
    if has_trailer and exit_status == 0:
        z -= 1.0
    return 1.0 / (1.0 + math.exp(-z))


def _family(pick: LineEvidence | None, exit_status: int | None) -> tuple[str, str]:
    if pick is None or pick.score <= 0:
        hint = _RC_HINTS.get(exit_status or -1)
        if hint:
            return hint[0], hint[0]
        if pick is None:
            return "application", "application"
    text = pick.text
    sig = pick.signature
    category = category_of(text)
    if sig is not None:
        if category == "application":
            category = FAMILY_CATEGORY.get(sig.family, "application")
        # A generic signature (specificity 1: "No such file", "timed out") says less than the tool
        # that printed the line (`scp: ...`, `mount.nfs: ...`).
        family = (sig.specificity <= 1 and (product_family(text) or tool_family(text))) or sig.family
        return family, category
    return fallback_family(text), category


def analyze(
    source: str | bytes | Path,
    *,
    run_id: str | None = None,
    job_name: str | None = None,
    context: AnalysisContext | None = None,
    llm: LlmAnalyst | None = None,
    ended_at: datetime | None = None,
    top_k: int = 5,
) -> Analysis:
    """Analyse one joblog (text, bytes or a path): see the module docstring."""
    ctx = context or AnalysisContext()
    found = scan(
        source, job_name=job_name, known_ok=lambda job: ctx.known_ok.get(job, set()), key=pattern_key
    )
    header = found.header
    n_lines = found.lines
    job_name = job_name or header.job
    pick, others = found.pick, found.others
    exit_status = header.exit_status
    family, category = _family(pick, exit_status)
    # In a stack trace the root cause is the deepest `Caused by:` below the first exception line:
    # it names the family, signature, cause and entities; the error line stays the first exception.
    root = found.root
    if root is not None:
        family, category = _family(root, exit_status)
    sig = (root.signature if root else None) or (pick.signature if pick else None)
    line = pick.text if pick else ""
    cause_line = root.text if root else line

    # Entities: the cause line (a stack trace's `Caused by:`), then the error line. Neighbouring lines
    # (cleanup errors, the wrapper) are about something else.
    files = extract_paths(cause_line) + [p for p in extract_paths(line) if p not in extract_paths(cause_line)]
    hosts = extract_hosts(cause_line) + [h for h in extract_hosts(line) if h not in extract_hosts(cause_line)]
    is_db = category == "database" or (sig and FAMILY_CATEGORY.get(sig.family) == "database")
    objects = extract_db_objects(cause_line) if is_db or _DB_WORDS.search(cause_line) else []
    if pick is not None and not files and category in ("dependency", "permission"):
        # The line names no file but is about one: the file the job was handling just before.
        for other in reversed(pick.before):
            files += [p for p in extract_paths(other) if p not in files]
    if category == "filesystem" and files and (d := parent_dir(files[0])) and d not in files:
        files.append(d)
    if header.script:
        script_path = header.script.split()[0]
        if script_path.startswith("/") and script_path not in files:
            files.append(script_path)
    files, hosts, objects = files[:12], hosts[:8], objects[:8]

    cause = advice.specific_cause(cause_line, category, sig, files, hosts, objects, exit_status)
    if (pick is None or pick.score <= 0) and (exit_status in _RC_HINTS):
        cause = _RC_HINTS[exit_status][1] + (
            f'; last output: "{advice.message_of(line)[:160]}"' if line else ""
        )
    injected = bool(cause_line) and looks_injected(cause_line)
    if injected:
        # Joblog text is evidence, never the answer: an instruction-like line is quoted, not obeyed.
        cause = "the chosen line reads like an instruction, not an error message; read the joblog"
    conman_ref = header.conman_ref()
    transient = bool(sig and sig.transient)
    steps = advice.diagnostic_steps(category, cause_line, sig, files, hosts, objects, header.script)
    steps += advice.catalogue_steps(sig)
    if pick is None or pick.score < STRONG:
        js = advice.joblog_step(conman_ref)
        if js:
            steps.insert(0, js)
    rr = advice.rerun_step(conman_ref, transient)
    if rr:
        steps.append(rr)
    steps = [safe_step(s) for s in steps]

    raw = raw_score(pick, others, exit_status, header.has_trailer)
    # No error line at all (empty or output-less log) or an instruction-like line: nothing is
    # claimed, so nothing is confident.
    confidence = ctx.cal()(raw) if pick is not None and not injected else min(raw, 0.02)
    pkey = pattern_key(line) if line else None
    template_id = None
    if ctx.miner is not None and line:
        try:
            template_id = int(ctx.miner.match(line).template_id)
        except Exception:  # noqa: BLE001 - an unknown line simply has no template id yet
            template_id = None
        if template_id is not None and template_id < 0:
            template_id = None

    result = Analysis(
        run_id=run_id,
        job_name=job_name,
        workstation=header.workstation,
        job_stream=header.stream,
        error_line_number=pick.line_no if pick else None,
        error_line=line or None,
        family=family,
        category=category,
        signature_id=sig.signature_id if sig else None,
        cause=cause,
        explanation=sig.root_cause if sig else None,
        files=files,
        hosts=hosts,
        db_objects=objects,
        steps=steps,
        confidence=round(confidence, 4),
        raw_score=round(raw, 4),
        exit_status=exit_status,
        transient=transient,
        pattern_key=pkey,
        template_id=template_id,
        evidence=(pick.reasons if pick else ["no body output"])
        + (["line reads like an injected instruction"] if injected else [])
        + ([f"root cause at line {root.line_no}: {root.text[:200]}"] if root else []),
        alternatives=[
            {"line_number": o.line_no, "line": o.text[:300], "score": round(o.score, 2)} for o in others[:3]
        ],
        lines_scanned=n_lines,
        failure_mode=failure_mode(line)[1] if found.is_specific else None,
    )
    if ctx.index is not None and len(ctx.index):
        _attach_similar(result, ctx, ended_at, top_k)
    if llm is not None and result.error_line_number is not None:
        _refine_with_llm(result, source, llm, ctx)
    elif llm is not None:
        result.llm = {"status": "skipped", "reason": "no error line to show"}
    return result


def _attach_similar(result: Analysis, ctx: AnalysisContext, ended_at: datetime | None, k: int) -> None:
    q = Query(
        job=result.job_name,
        family=result.family,
        signature_id=result.signature_id,
        pattern_key=result.pattern_key,
        template_id=result.template_id,
        words=tokens(result.error_line) if result.error_line else frozenset(),
    )
    hits = ctx.index.query(q, k=k, before=ended_at, exclude_run=result.run_id)
    similar = []
    outcomes: list[bool] = []
    resolution_steps: list[dict] = []
    for p, s, same in hits:
        item = {
            "run_id": p.run_id,
            "job_name": p.job,
            "family": p.family,
            "signature_id": p.signature_id,
            "error_line": (p.error_line or "")[:300],
            "cause": p.cause,
            "score": s,
            "ended_at": p.ended_at.isoformat() if p.ended_at else None,
            "same_pattern": same,
            "resolution": p.resolution,
        }
        similar.append(item)
        if same and p.resolution:
            fix = p.resolution.get("fix")
            if fix and not any(r["text"] == fix for r in resolution_steps):
                resolution_steps.append(
                    {
                        "text": f"Recorded fix for this pattern: {fix}",
                        "command": None,
                        "source": "resolution",
                        "suggestion": False,
                        "cause": p.resolution.get("cause"),
                    }
                )
            if p.resolution.get("outcome") in ("correct", "incorrect"):
                outcomes.append(p.resolution["outcome"] == "correct")
    result.similar = similar
    if resolution_steps:
        result.steps = resolution_steps + result.steps
        result.evidence = result.evidence + ["resolved incident of the same pattern"]
    if outcomes:
        # Shrink towards the record of this pattern: the calibrated value counts as two observations.
        p = result.confidence
        result.confidence = round((sum(outcomes) + 2 * p) / (len(outcomes) + 2), 4)


def _refine_with_llm(
    result: Analysis, source: str | bytes | Path, llm: LlmAnalyst, ctx: AnalysisContext
) -> None:
    from resync_assets.lib.llm.safety import clean_text, filter_steps

    center = result.error_line_number or 1
    window = read_window(source, center, LLM_WINDOW_BEFORE, LLM_WINDOW_AFTER, LLM_WINDOW_BYTES)
    window = cap_window(window, center, LLM_WINDOW_BYTES)
    evidence = {
        "error_line_number": result.error_line_number,
        "family": result.family,
        "category": result.category,
        "signature_id": result.signature_id,
        "cause": result.cause,
        "files": result.files[:5],
        "hosts": result.hosts[:5],
        "exit_status": result.exit_status,
        "rule_confidence": result.confidence,
    }
    outcome = llm.refine(window, evidence)
    result.llm = outcome.summary()
    if outcome.status != "ok" or not outcome.data:
        result.llm["used"] = False
        return
    data = outcome.data
    weak = result.raw_score < WEAK_RAW
    llm_line = int(data["error_line_number"])
    agrees = llm_line == result.error_line_number
    if weak and not agrees:
        text = dict(window).get(llm_line)
        if text is not None:
            result.error_line_number, result.error_line = llm_line, text
            result.pattern_key = pattern_key(text)
            result.evidence = result.evidence + ["error line chosen by the LLM (weak rule evidence)"]
            agrees = True
    if weak and data["family"] != result.family and product_family(result.error_line or "") is None:
        result.family = data["family"]
    cause = clean_text(data["cause"], 400)
    if cause and agrees:
        result.cause = cause
    safe_steps, dropped = filter_steps(list(data.get("steps") or []))
    seen = {s["text"] for s in result.steps}
    result.steps = result.steps + [s for s in safe_steps if s["text"] not in seen]
    p_llm = float(data["confidence"])
    if agrees and data["family"] == result.family:
        result.confidence = round(result.confidence + (1 - result.confidence) * 0.25 * p_llm, 4)
    else:
        result.confidence = round(result.confidence * 0.85, 4)
    result.llm.update({"used": True, "steps_dropped": dropped, "agrees": agrees})

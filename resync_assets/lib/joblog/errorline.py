"""Error-line evidence: score every body line of a joblog, pick the line that names the failure.

Generic evidence first, so errors nobody catalogued are found too: severity levels (ERROR, FATAL,
SEVERE), product message codes with E severity (AWSxxxnnnE, ORA-nnnnn, SQLnnnnN), exception lines
(not their `at ...` frames), failure wording (No such file, denied, refused, timed out, killed...).
The failure catalogue adds a boost when it recognises the line. Negative evidence: INFO/DEBUG levels,
stack frames, "0 errors", and the wrapper's generic "step failed, rc=N" line, which only restates
that something failed earlier (docs/joblog_layout.md §2.6). A line whose template is common in the job's
successful runs is demoted (it is noise that happens to contain an error word).

The scanner keeps a bounded number of candidates, so a 50 MB joblog costs bounded memory.
`scan` is the one way a joblog's error line is chosen: root-cause analysis and the failure-mode
clusters both call it, so they name the same line.
"""

from __future__ import annotations

import heapq
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from resync_assets.lib.catalogue import FailureSignature, load_catalogue
from resync_assets.lib.joblog.layout import JoblogHeader, LayoutTracker, iter_lines

# Cheap pre-filter: lines without any of these cannot be error candidates (most lines of a big log).
# Plain lower-case literals on the lower-cased line plus one case-sensitive code shape: both cheap for
# the regex engine, unlike case-insensitive classes tried at every position.
_ANY_WORDS = re.compile(
    "error|fatal|severe|critical|crit|panic|emerg|alert|exception|traceback|fail|denied|refused|not found|"
    "no such|killed|timeout|timed out|abort|cannot|can't|couldn't|could not|unable|invalid|segmentation|"
    "core dumped|no space|out of memory|unbound|bad interpreter|incorrect|expired|deadlock|violat|exceeded|"
    "corrupt|missing|undefined|does not exist|is empty|unreachable|reset by|terminated|forbidden|unauthori|"
    "reject|unknown|not known|lock file|sqlstate|link error|linkerror|quota|no route|mismatch|"
    "already running|another instance|stale file|read-only file|no secret key|unavailable|unexpectedly"
)
_ANY_CODES = re.compile(r"[A-Z][A-Z]+-?\d\d\d|^[45]\d\d |^[EF]\d{4} |^\d\d-\d\d [\d:.]+\s+\d+\s+\d+ [EF] ")


def _any(text: str) -> bool:
    return bool(_ANY_WORDS.search(text.lower()) or _ANY_CODES.search(text))


_LEVEL = re.compile(
    r"\b(TRACE|DEBUG|FINE|FINER|FINEST|INFO|INFORMATION|NOTICE|CONFIG|WARN|WARNING|ERROR|ERR|FATAL|SEVERE|"
    r"CRITICAL|CRIT|ALERT|EMERG|EMERGENCY|PANIC|FAILURE)\b"
)
# glog / klog single-letter severities: `E0314 01:00:00.123456 1234 file.cc:12] message`.
_GLOG = re.compile(r"^([IWEF])\d{4} \d{2}:\d{2}:\d{2}")
_GLOG_LEVEL = {"I": "INFO", "W": "WARN", "E": "ERROR", "F": "FATAL", "V": "TRACE", "D": "DEBUG"}
# Android logcat: `03-17 16:13:38.811  1702  2395 E Tag: message`.
_LOGCAT = re.compile(r"^\d\d-\d\d [\d:.]+\s+\d+\s+\d+ ([VDIWEF]) ")
# Lower-case levels in brackets or keys: `[error]` (Apache), `level=error` (logfmt), `"level":"error"`.
_SOFT_LEVEL = re.compile(
    r"[\[<(]\s*(error|err|fatal|crit|critical|emerg|alert|warn|warning|notice|info|debug)\s*[\]>)]|"
    r"\b(?:level|severity|lvl)\"?\s*[=:]\s*\"?(error|err|fatal|critical|warn|warning|info|debug)\b",
    re.IGNORECASE,
)
_LEVEL_POINTS = {
    "TRACE": -3.5,
    "DEBUG": -3.5,
    "FINE": -3.5,
    "FINER": -3.5,
    "FINEST": -3.5,
    "INFO": -3.0,
    "INFORMATION": -3.0,
    "NOTICE": -2.0,
    "CONFIG": -3.0,
    "WARN": -1.0,
    "WARNING": -1.0,
    "ERROR": 3.5,
    "ERR": 3.0,
    "FATAL": 4.0,
    "SEVERE": 4.0,
    "CRITICAL": 4.0,
    "CRIT": 3.5,
    "ALERT": 3.5,
    "EMERG": 4.0,
    "EMERGENCY": 4.0,
    "PANIC": 4.0,
    "FAILURE": 3.0,
}
_CODES = (
    (re.compile(r"\bAW[SK][A-Z]{3}\d{3,4}E\b"), 4.0, "tws_message_E"),
    (re.compile(r"\bAW[SK][A-Z]{3}\d{3,4}W\b"), 1.0, "tws_message_W"),
    (re.compile(r"\b(?:ORA|TNS|PLS|IMP|EXP|RMAN)-\d{4,5}\b"), 4.0, "oracle_code"),
    (re.compile(r"\bSQL\d{4,5}[NC]\b"), 4.0, "db2_code"),
    (re.compile(r"\bSP2-\d{4}\b|SQL\*Loader-\d+"), 3.5, "tool_code"),
    (re.compile(r"\b[A-Z]{3,8}\d{3,5}[ES]\b"), 3.0, "message_code_E"),
    (re.compile(r"\bSQLSTATE\b"), 1.0, "sqlstate"),
    (re.compile(r"^(?:\w+: )?(?:ERROR|FATAL|PANIC):\s"), 1.0, "db_error_prefix"),
    (re.compile(r"^[45]\d\d[ -]"), 2.5, "ftp_error_reply"),
)
_EXCEPTION = re.compile(
    r"\b(?:[a-z_][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)\b|"
    r"^\s*(?:Caused by:\s*)?[A-Z]\w*(?:Exception|Error)(?::|$)|Exception in thread|\bpanic:"
)
_TRACEBACK = re.compile(r"^Traceback \(most recent call last\)")
# SQL*Plus prints "ERROR at line 1:" and the ORA- message on the next line: the position line only
# points at the real error.
_POSITION = re.compile(r"^\s*ERROR at line \d+:?\s*$", re.IGNORECASE)
_CAUSED_BY = re.compile(r"^\s*Caused by:")
_FRAME = re.compile(r"^\s*(?:at [\w$.<>/]+\(|\.\.\. \d+ more|File \".*\", line \d+|at .*:\d+:\d+\)?$)")
_PHRASES = (
    (
        re.compile(
            r"No such file or directory|cannot stat|can't stat|does not exist|not found|No such",
            re.IGNORECASE,
        ),
        3.0,
    ),
    (
        re.compile(
            r"Permission denied|Access (?:is )?denied|not permitted|forbidden|Operation not allowed",
            re.IGNORECASE,
        ),
        3.0,
    ),
    (
        re.compile(
            r"Connection refused|Connection reset|connection closed|Broken pipe|unreachable|"
            r"No route to host|Could not resolve|Name or service not known|unknown host",
            re.IGNORECASE,
        ),
        3.0,
    ),
    (re.compile(r"timed out|timeout|deadline exceeded", re.IGNORECASE), 2.5),
    (re.compile(r"No space left|disk full|quota exceeded|file system full", re.IGNORECASE), 3.5),
    (
        re.compile(r"out of memory|OutOfMemory|Cannot allocate memory|heap space|\bKilled\b", re.IGNORECASE),
        3.5,
    ),
    (re.compile(r"Segmentation fault|core dumped|Terminated\b|Aborted\b|bus error", re.IGNORECASE), 3.0),
    (
        re.compile(
            r"command not found|bad interpreter|unbound variable|syntax error|unexpected token", re.IGNORECASE
        ),
        3.5,
    ),
    (
        re.compile(
            r"authentication fail|login incorrect|logon denied|invalid (?:username|password|user)|"
            r"password authentication|credentials|unauthori[sz]ed|certificate",
            re.IGNORECASE,
        ),
        3.0,
    ),
    (re.compile(r"deadlock|constraint|duplicate key|violat", re.IGNORECASE), 3.0),
    (
        re.compile(
            r"checksum mismatch|mismatch|already running|another instance|Stale file handle|"
            r"Read-only file ?system|No secret key|Service Unavailable|unexpectedly closed",
            re.IGNORECASE,
        ),
        3.0,
    ),
    (
        re.compile(
            r"\bfail(?:ed|s|ure|ing)?\b|\bcannot\b|\bcan't\b|could not|couldn't|\bunable to\b", re.IGNORECASE
        ),
        2.5,
    ),
    (
        re.compile(
            r"\berror\b|\bfatal\b|\babort(?:ed|ing)?\b|\binvalid\b|\bcorrupt|\bexceeded\b|\bexpired\b|"
            r"\brejected\b|\bmissing\b|\bundefined\b|is empty|incorrect|\bexceptions?\b|\bpanic\b",
            re.IGNORECASE,
        ),
        2.0,
    ),
    (re.compile(r"\bunknown\b|\bunavailable\b|\bnot ready\b", re.IGNORECASE), 1.5),
)
_NOT_ERROR = re.compile(
    r"\b(?:0|no|zero) (?:errors?|failures?|warnings?|rejects?)\b|\bwithout errors?\b|"
    r"\berrors?[=:]\s*0\b|\bfailed[=:]\s*0\b",
    re.IGNORECASE,
)
_SUCCESS = re.compile(
    r"\bsuccess(?:ful(?:ly)?)?\b|\bcompleted\b|\bsucceeded\b|\bOK\b|\bdone\b", re.IGNORECASE
)
_RETRY = re.compile(r"\bretry(?:ing)?\b|will retry|attempt \d+ (?:of|/)|re-?trying", re.IGNORECASE)
# The wrapper's summary after the real error: "step 2/3 failed, rc=19", "exiting 1", "exit=19".
_WRAPPER = re.compile(
    r"(?:\b(?:step\s+\S+\s+)?(?:failed|ended|finished|terminated|aborted|exiting|exited)\b.{0,40}?"
    r"\b(?:rc|exit(?:\s*(?:code|status))?|return\s*code|status|code)\s*[=:]?\s*-?\d+\b)|"
    r"\bexiting\s+(?:with\s+)?-?\d+\b|\bexit=\d+\b|\d+ error\(s\)|\bstep failed\b|\bjob failed\b|"
    r"\bended in error\b",
    re.IGNORECASE,
)

STRONG = 3.5  # a line scoring at least this names a failure on its own
NEAR_BEST = 3.0  # the earliest strong line within this of the best is the root-cause candidate
WEAK = 1.0  # below this a non-wrapper line is not preferred over the wrapper summary
AFTER_WRAPPER = 1.5
CONTEXT_BEFORE = 5
MAX_CANDIDATES = 400


@dataclass
class LineEvidence:
    """Why one line was scored the way it was."""

    line_no: int
    text: str
    score: float
    reasons: list[str] = field(default_factory=list)
    signature: FailureSignature | None = None
    is_wrapper: bool = False
    level: str | None = None
    before: list[str] = field(default_factory=list)  # the few body lines printed just before it


def score_line(text: str, line_no: int = 0) -> LineEvidence | None:
    """Score one body line; None when it carries no error evidence at all."""
    if not _any(text):
        return None
    reasons: list[str] = []
    score = 0.0
    head = text[:120]
    level = None
    m = _LEVEL.search(head)
    g = _GLOG.match(text) or _LOGCAT.match(text)
    soft = None if (g or m) else _SOFT_LEVEL.search(head)
    if g or m or soft:
        if g:
            level = _GLOG_LEVEL[g.group(1)]
        elif m:
            level = m.group(1)
        else:
            level = (soft.group(1) or soft.group(2)).upper()
        pts = _LEVEL_POINTS[level]
        score += pts
        reasons.append(f"level {level} ({pts:+.1f})")
    code_pts = 0.0
    for pattern, pts, name in _CODES:
        if pattern.search(text):
            code_pts = max(code_pts, pts)
            reasons.append(name)
    score += code_pts
    if _EXCEPTION.search(text):
        score += 4.0
        reasons.append("exception")
    elif _TRACEBACK.search(text):
        score += 2.0
        reasons.append("traceback header")
    phrase = [pts for pattern, pts in _PHRASES if pattern.search(text)]
    if phrase:
        phrase.sort(reverse=True)
        score += phrase[0] + min(1.0, 0.5 * (len(phrase) - 1))
        reasons.append("failure wording")
    sig = load_catalogue().match_line(text)
    if sig is not None:
        boost = {3: 5.0, 2: 4.0}.get(sig.specificity, 2.5)
        score += boost
        reasons.append(f"catalogue {sig.signature_id}")
    if _POSITION.match(text):
        score -= 4.0
        reasons.append("SQL*Plus position line")
    if _FRAME.search(text):
        score -= 7.0
        reasons.append("stack frame")
    if _NOT_ERROR.search(text):
        score -= 5.0
        reasons.append("says no error")
    elif _SUCCESS.search(text) and sig is None:
        score -= 2.0
        reasons.append("success wording")
    if _RETRY.search(text):
        score -= 1.5
        reasons.append("retry")
    wrapper = bool(_WRAPPER.search(text)) and sig is None and code_pts < 3.0
    if wrapper:
        score -= 4.0
        reasons.append("wrapper summary")
    return LineEvidence(line_no, text, score, reasons, sig, wrapper, level)


class ErrorScanner:
    """Streams body lines and keeps what is needed to pick the error line (bounded memory).

    `known_ok` holds pattern keys (masked templates, made by `key`: `lib/rca/patterns.pattern_key`)
    of lines seen in successful runs of the job: a candidate whose pattern is among them is demoted.
    The key function is passed in so that this package does not import the analysers built on it.
    """

    def __init__(
        self,
        known_ok: set[str] | frozenset[str] | None = None,
        tail: int = 40,
        key: Callable[[str], str] | None = None,
    ) -> None:
        self.known_ok = known_ok or frozenset()
        self.key = key
        self.body_lines = 0
        self.first_body_line: int | None = None
        self.tail: deque[tuple[int, str]] = deque(maxlen=tail)
        self._heap: list[tuple[float, int, LineEvidence]] = []  # min-heap of the best candidates
        self.first_wrapper: int | None = None

    def feed(self, line_no: int, text: str) -> None:
        """Consume one body line."""
        self.body_lines += 1
        if self.first_body_line is None:
            self.first_body_line = line_no
        self.tail.append((line_no, text))
        ev = score_line(text, line_no)
        if ev is None:
            return
        # What the job was doing just before (the file it was reading, the host it was calling).
        ev.before = [t[:500] for _, t in list(self.tail)[-1 - CONTEXT_BEFORE : -1]]
        if ev.is_wrapper and self.first_wrapper is None:
            self.first_wrapper = line_no
        if (
            self.known_ok
            and self.key is not None
            and ev.signature is None
            and self.key(text) in self.known_ok
        ):
            ev.score -= 3.0
            ev.reasons.append("common in successful runs")
        item = (ev.score, -line_no, ev)
        if len(self._heap) < MAX_CANDIDATES:
            heapq.heappush(self._heap, item)
        elif item[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, item)

    def candidates(self) -> list[LineEvidence]:
        """Kept candidates in line order."""
        return sorted((ev for _, _, ev in self._heap), key=lambda e: e.line_no)

    def choose(self) -> tuple[LineEvidence | None, list[LineEvidence]]:
        """The error line and the ranked alternatives.

        Rule: among strong candidates (else weak ones), wrapper summaries excluded, the earliest one
        within `NEAR_BEST` of the best score (the first real error, before the wrapper's
        restatement); else the best-scoring candidate (the wrapper line, say); else the last body
        line (weak evidence: the output simply stopped there).
        """
        cands = self.candidates()
        if self.first_wrapper is not None:
            # Output after the wrapper's "step failed" summary is usually cleanup, not the cause.
            for e in cands:
                if (
                    e.line_no > self.first_wrapper
                    and not e.is_wrapper
                    and "after wrapper summary" not in e.reasons
                ):
                    e.score -= AFTER_WRAPPER
                    e.reasons.append("after wrapper summary")
        ranked = sorted(cands, key=lambda e: (-e.score, e.line_no))
        plain = [e for e in cands if not e.is_wrapper]
        strong = [e for e in plain if e.score >= STRONG]
        weak = [e for e in plain if e.score >= WEAK]
        pool = strong or weak
        if pool:
            best = max(e.score for e in pool)
            top = next(e for e in pool if e.score == best)
            # A line that says it will retry is where the run went on, not where it ended: it is the
            # error line only when nothing stronger follows.
            pick = next(
                e for e in pool if e.score >= best - NEAR_BEST and (e is top or "retry" not in e.reasons)
            )
            if _CAUSED_BY.match(top.text) and pick is top:
                # A stack trace: the error line is the trace's first exception line (its `Caused by:`
                # root is reported as the root cause by the engine).
                head = next(
                    (
                        e
                        for e in pool
                        if top.line_no - 80 <= e.line_no < top.line_no and "exception" in e.reasons
                    ),
                    None,
                )
                if head is not None:
                    pick = head
        elif ranked and ranked[0].score > 0:
            pick = ranked[0]
        elif self.tail:
            n, text = self.tail[-1]
            pick = next((e for e in cands if e.line_no == n), None) or LineEvidence(
                n, text, 0.0, ["last body line"]
            )
            if ranked and ranked[0].score > pick.score:
                pick = ranked[0]
        else:
            return None, []
        others = [e for e in ranked if e.line_no != pick.line_no][:5]
        return pick, others


@dataclass
class Scan:
    """One pass over a joblog: its header, the chosen error line, the alternatives, the root cause."""

    header: JoblogHeader
    pick: LineEvidence | None
    others: list[LineEvidence]
    candidates: list[LineEvidence]
    root: LineEvidence | None
    lines: int
    body_lines: int

    @property
    def cause(self) -> LineEvidence | None:
        """The line naming the cause: the stack trace's deepest `Caused by:`, else the error line."""
        return self.root or self.pick

    @property
    def is_specific(self) -> bool:
        """True when the chosen line names a failure (not a wrapper summary, not the last line)."""
        return self.pick is not None and not self.pick.is_wrapper and self.pick.score >= WEAK


def root_cause(pick: LineEvidence | None, cands: list[LineEvidence]) -> LineEvidence | None:
    """The last `Caused by:` line of the stack trace that starts at `pick` (None when there is none)."""
    if pick is None or "exception" not in pick.reasons:
        return None
    roots = [
        e
        for e in cands
        if pick.line_no < e.line_no <= pick.line_no + 80 and e.text.lstrip().startswith("Caused by:")
    ]
    return roots[-1] if roots else None


def scan(
    source: str | bytes | Path,
    *,
    job_name: str | None = None,
    known_ok: Callable[[str], set[str] | frozenset[str]] | None = None,
    key: Callable[[str], str] | None = None,
) -> Scan:
    """Stream a joblog once and choose its error line (see `ErrorScanner.choose`).

    `known_ok(job)` gives the pattern keys of lines common in the job's successful runs (demoted);
    the job is `job_name`, else the one the header names; `key` makes a line's pattern key.
    """
    layout = LayoutTracker()
    ok = known_ok(job_name) if (known_ok and job_name) else frozenset()
    scanner = ErrorScanner(known_ok=ok, key=key)
    asked = job_name is not None
    n_lines = 0
    for n, text in iter_lines(source):
        n_lines = n
        if layout.feed(n, text):
            scanner.feed(n, text)
        if not asked and known_ok is not None and layout.header.job and layout._state == "body":
            asked = True
            scanner.known_ok = known_ok(layout.header.job)
    pick, others = scanner.choose()
    cands = scanner.candidates()
    return Scan(layout.header, pick, others, cands, root_cause(pick, cands), n_lines, scanner.body_lines)

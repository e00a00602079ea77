"""resync's failure catalogue: known joblog error signatures and what they mean.

The rows live in `signatures.csv` (this package; multi-valued cells hold one item per line). They were
written from real-world failure signatures — product message codes, exception classes and tool
phrases with their typical return codes, as collected in the TWS domain reference list
(tests/fixtures/tws_domain/failure_signatures.csv, sources in tests/fixtures/README.md) and the
joblog notes (docs/joblog_layout.md) — in our own words, each row naming its public `source_url`.
Each entry says how to *recognise* a failure (`regex`, applied to one joblog line at a time), gives
example lines (`templates`, placeholders filled by the tests) and what to *do* about it
(`root_cause`, `fix_steps`).

This is the analyser's knowledge only. The simulator writes its failures from its own table
(`resync_assets/sim/data/failure_texts.csv`), so the analyser is not graded on its own answer key.

    from resync_assets.lib.catalogue import load_catalogue, match_line
    catalogue = load_catalogue()
    sig = catalogue.by_id["ORA_00060_DEADLOCK"]
    match_line("ORA-00060: deadlock detected while waiting for resource").signature_id

Template placeholders (all filled by `render`'s caller): {script} {user} {host} {ip} {port} {db}
{schema} {table} {tablespace} {constraint} {file} {dir} {remote_file} {date} {n} {pid} {line} {ws}
{stream} {job} {cmd} {class} {ms} {var} {lockfile} {url} {seg}.
"""

from __future__ import annotations

import csv
import re
import string
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources

__all__ = [
    "PLACEHOLDERS",
    "Catalogue",
    "FailureSignature",
    "load_catalogue",
    "match_line",
]

# Every placeholder a template may use; the simulator supplies a value for each.
PLACEHOLDERS = frozenset(
    [
        "script",
        "user",
        "host",
        "ip",
        "port",
        "db",
        "schema",
        "table",
        "tablespace",
        "constraint",
        "file",
        "dir",
        "remote_file",
        "date",
        "n",
        "pid",
        "line",
        "ws",
        "stream",
        "job",
        "cmd",
        "class",
        "ms",
        "var",
        "lockfile",
        "url",
        "seg",
    ]
)

# Outcomes a signature leads to in the plan.
OUTCOMES = ("ABEND", "FAIL", "SUPPR", "HOLD", "API")


@dataclass(frozen=True)
class FailureSignature:
    """One known failure signature.

    `specificity`: 3 = product/TWS message codes, 2 = exception classes and tool phrases,
    1 = generic fallbacks that also match inside more specific lines. Resolve overlaps by the highest.
    `outcome`: the plan state the failure usually produces (ABEND, FAIL = launch failure with no exit
    status, SUPPR, HOLD, API = an error of a REST/conman action, not of a job run).
    `typical_rc`: the usual exit code (None when the job has no exit status), a weak hint only;
    `rc_note` keeps the nuance (the rc really depends on the wrapper script).
    `transient`: True when an automatic rerun usually succeeds (deadlocks, timeouts, services down).
    """

    signature_id: str
    family: str
    regex: str
    templates: tuple[str, ...]
    typical_rc: int | None
    rc_note: str
    root_cause: str
    fix_steps: tuple[str, ...]
    transient: bool
    outcome: str
    specificity: int
    source_url: str

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled `regex`."""
        return _compile(self.regex)

    def matches(self, line: str) -> bool:
        """True when `regex` matches somewhere in the single line `line`."""
        return self.pattern.search(line) is not None

    def placeholders(self) -> frozenset[str]:
        """Placeholder names used by this entry's templates."""
        names = set()
        for template in self.templates:
            names.update(f for _, f, _, _ in string.Formatter().parse(template) if f)
        return frozenset(names)

    def render(self, params: dict[str, object], variant: int = 0) -> str:
        """Fill template number `variant` (modulo the number of templates) with `params`."""
        template = self.templates[variant % len(self.templates)]
        return template.format_map(params)


@cache
def _compile(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


@dataclass(frozen=True)
class Catalogue:
    """The loaded catalogue: entries in file order plus lookups."""

    entries: tuple[FailureSignature, ...]

    @cached_property
    def by_id(self) -> dict[str, FailureSignature]:
        """Entries keyed by `signature_id`."""
        return {e.signature_id: e for e in self.entries}

    @property
    def families(self) -> tuple[str, ...]:
        """Family names in first-seen order."""
        return tuple(dict.fromkeys(e.family for e in self.entries))

    def in_family(self, family: str) -> tuple[FailureSignature, ...]:
        """Entries of one family."""
        return tuple(e for e in self.entries if e.family == family)

    def match_line(self, line: str) -> FailureSignature | None:
        """The most specific entry whose regex matches `line` (ties: file order), or None."""
        best: FailureSignature | None = None
        for entry in self.entries:
            if (best is None or entry.specificity > best.specificity) and entry.matches(line):
                best = entry
        return best

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


DATA_FILE = "signatures.csv"


def _lines(cell: str) -> tuple[str, ...]:
    return tuple(x for x in cell.split("\n") if x.strip())


def read_rows() -> list[dict]:
    """The rows of `signatures.csv` as typed dicts (the fields of `FailureSignature`)."""
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    rows = []
    for n, raw in enumerate(csv.DictReader(text.splitlines(keepends=True)), start=2):
        try:
            rows.append(
                {
                    "signature_id": raw["signature_id"],
                    "family": raw["family"],
                    "regex": raw["regex"],
                    "templates": _lines(raw["templates"]),
                    "typical_rc": int(raw["typical_rc"]) if raw["typical_rc"].strip() else None,
                    "rc_note": raw["rc_note"],
                    "root_cause": raw["root_cause"],
                    "fix_steps": _lines(raw["fix_steps"]),
                    "transient": {"true": True, "false": False}[raw["transient"].strip().lower()],
                    "outcome": raw["outcome"],
                    "specificity": int(raw["specificity"]),
                    "source_url": raw["source_url"],
                }
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{DATA_FILE} row {n}: bad value ({exc})") from None
    return rows


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """Load and validate the catalogue (cached; entries are immutable)."""
    entries = []
    seen: set[str] = set()
    for raw in read_rows():
        entry = FailureSignature(**raw)
        if entry.signature_id in seen:
            raise ValueError(f"duplicate signature id {entry.signature_id}")
        seen.add(entry.signature_id)
        if entry.outcome not in OUTCOMES:
            raise ValueError(f"{entry.signature_id}: unknown outcome {entry.outcome}")
        unknown = entry.placeholders() - PLACEHOLDERS
        if unknown:
            raise ValueError(f"{entry.signature_id}: unknown placeholders {sorted(unknown)}")
        entry.pattern  # noqa: B018 - compile now so a bad regex fails at load time
        entries.append(entry)
    return Catalogue(tuple(entries))


def match_line(line: str) -> FailureSignature | None:
    """Shortcut for `load_catalogue().match_line(line)`."""
    return load_catalogue().match_line(line)

"""The simulator's own failure texts: what a failed run prints, and the truth about it.

The rows live in `data/failure_texts.csv` (sources: `data/README.md`): one row per planted failure kind with its
family, plan outcome (ABEND, or FAIL for a launch failure), exit code, whether a rerun usually
passes, and one or more text variants (one per line of the cell). The variants were written for the
simulator, independently of the analyser's catalogue (`lib/catalogue`), modelled on messages real
tools print (Oracle, Db2, PostgreSQL, Java, GNU coreutils, curl, OpenSSH, rsync, TWS agents, Python);
many of them are messages the analyser has no rule for, so the analyser is measured on failures it
was not written against. The simulator imports nothing from `lib/`.

Placeholders (filled by the workload per run): {script} {user} {user_u} {host} {ip} {port} {db}
{schema} {table} {table_l} {tablespace} {constraint} {file} {dir} {remote_file} {date} {n} {pid}
{line} {ws} {job} {cmd} {class} {ms} {var} {lockfile} {seg} {reason} {hex1} {hex2}. The entities a
run's truth lists are those its printed variant names (`entities`).
"""

from __future__ import annotations

import csv
import string
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources

DATA_FILE = "failure_texts.csv"
OUTCOMES = ("ABEND", "FAIL")
# Which placeholders name which kind of entity in the run's truth.
FILE_KEYS = ("file", "dir", "remote_file", "script", "lockfile")
HOST_KEYS = ("host", "ip")
OBJECT_KEYS = ("table", "table_l", "tablespace", "constraint")


@dataclass(frozen=True)
class FailureKind:
    """One planted failure kind (its `signature_id` is the truth label of runs that print it)."""

    signature_id: str
    family: str
    outcome: str
    typical_rc: int | None
    transient: bool
    templates: tuple[str, ...]

    def placeholders(self, variant: int | None = None) -> frozenset[str]:
        """Placeholder names of one variant (all variants when None)."""
        chosen = self.templates if variant is None else (self.templates[variant % len(self.templates)],)
        return frozenset(f for t in chosen for _, f, _, _ in string.Formatter().parse(t) if f)

    def render(self, params: dict[str, object], variant: int = 0) -> str:
        """Fill variant number `variant` (modulo the number of variants) with `params`."""
        return self.templates[variant % len(self.templates)].format_map(params)

    def entities(self, params: dict[str, object], variant: int) -> tuple[tuple, tuple, tuple]:
        """(files, hosts, db objects) the printed variant names."""
        used = self.placeholders(variant)
        pick = lambda keys: tuple(dict.fromkeys(str(params[k]) for k in keys if k in used))
        return pick(FILE_KEYS), pick(HOST_KEYS), pick(OBJECT_KEYS)


@dataclass(frozen=True)
class FailureTable:
    """Every failure kind, in file order, with lookups."""

    entries: tuple[FailureKind, ...]

    @cached_property
    def by_id(self) -> dict[str, FailureKind]:
        """Kinds keyed by id."""
        return {e.signature_id: e for e in self.entries}

    @property
    def families(self) -> tuple[str, ...]:
        """Family names in first-seen order."""
        return tuple(dict.fromkeys(e.family for e in self.entries))

    @cache  # noqa: B019 - the table is immutable and loaded once
    def in_family(self, family: str) -> tuple[FailureKind, ...]:
        """Kinds of one family."""
        return tuple(e for e in self.entries if e.family == family)

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


@lru_cache(maxsize=1)
def load_failures() -> FailureTable:
    """Load and validate `failure_texts.csv` (cached)."""
    text = resources.files(__package__).joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    entries, seen = [], set()
    for n, row in enumerate(csv.DictReader(text.splitlines(keepends=True)), start=2):
        try:
            kind = FailureKind(
                signature_id=row["failure_id"],
                family=row["family"],
                outcome=row["outcome"],
                typical_rc=int(row["rc"]) if row["rc"].strip() else None,
                transient={"true": True, "false": False}[row["transient"].strip().lower()],
                templates=tuple(v for v in row["variants"].split("\n") if v.strip()),
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{DATA_FILE} row {n}: bad value ({exc})") from None
        if kind.signature_id in seen or kind.outcome not in OUTCOMES or not kind.templates:
            raise ValueError(f"{DATA_FILE} row {n}: duplicate id, unknown outcome or no variant")
        seen.add(kind.signature_id)
        entries.append(kind)
    return FailureTable(tuple(entries))

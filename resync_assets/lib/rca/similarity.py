"""Similar past incidents: same error template, same family, same job, shared words.

Score (0..1) = 0.40 same template (the miner's id, else the masked pattern key) + 0.25 same job
+ 0.15 same catalogue signature + 0.10 same family + 0.10 Jaccard of the error line's words.
Past incidents with a recorded resolution of the *same pattern* (same template, or same family and
job) rank first, so the fix that worked last time is the first thing an operator reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from resync_assets.lib.rca.patterns import tokens as line_tokens


@dataclass
class PastIncident:
    """One analysed (and maybe resolved) failure from the record."""

    run_id: str
    job: str | None
    family: str | None
    signature_id: str | None
    pattern_key: str | None
    template_id: int | None = None
    error_line: str | None = None
    cause: str | None = None
    ended_at: datetime | None = None
    resolution: dict | None = None
    words: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.words and self.error_line:
            self.words = line_tokens(self.error_line)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class Query:
    """What is compared: the new incident's keys."""

    job: str | None
    family: str | None
    signature_id: str | None
    pattern_key: str | None
    template_id: int | None
    words: frozenset[str]


def same_pattern(q: Query, p: PastIncident) -> bool:
    """Same error template, or same family on the same job."""
    if q.template_id is not None and p.template_id is not None and q.template_id == p.template_id:
        return True
    if q.pattern_key and p.pattern_key and q.pattern_key == p.pattern_key:
        return True
    return bool(q.family and q.job and q.family == p.family and q.job == p.job)


def score(q: Query, p: PastIncident) -> float:
    """Similarity of a past incident to the query (0..1)."""
    s = 0.0
    if q.template_id is not None and p.template_id is not None:
        s += 0.40 if q.template_id == p.template_id else 0.0
    elif q.pattern_key and q.pattern_key == p.pattern_key:
        s += 0.40
    if q.job and q.job == p.job:
        s += 0.25
    if q.signature_id and q.signature_id == p.signature_id:
        s += 0.15
    if q.family and q.family == p.family:
        s += 0.10
    s += 0.10 * _jaccard(q.words, p.words)
    return round(s, 4)


class SimilarityIndex:
    """Past incidents, searchable by similarity.

    Incidents are bucketed by template id, pattern key, job and signature: a query only scores the
    incidents sharing at least one of those (anything else scores at most 0.2 on family and words),
    so a record of tens of thousands of incidents answers in milliseconds.
    """

    def __init__(self, incidents: Iterable[PastIncident] = ()) -> None:
        self.incidents: list[PastIncident] = []
        self._by_run: dict[str, PastIncident] = {}
        self._buckets: dict[tuple[str, object], list[PastIncident]] = {}
        for p in incidents:
            self.add(p)

    @staticmethod
    def _keys(p: PastIncident | Query) -> list[tuple[str, object]]:
        keys: list[tuple[str, object]] = []
        if p.template_id is not None:
            keys.append(("t", p.template_id))
        if p.pattern_key:
            keys.append(("p", p.pattern_key))
        if p.job:
            keys.append(("j", p.job))
        if p.signature_id:
            keys.append(("s", p.signature_id))
        return keys

    def add(self, incident: PastIncident) -> None:
        """Add one past incident (a later add with the same run id replaces the earlier one)."""
        old = self._by_run.get(incident.run_id)
        if old is not None:
            if incident.resolution is None:
                incident.resolution = old.resolution
            self.incidents.remove(old)
        self.incidents.append(incident)
        self._by_run[incident.run_id] = incident
        for key in self._keys(incident):
            self._buckets.setdefault(key, []).append(incident)

    def attach_resolution(self, run_id: str, resolution: dict, fallback: PastIncident | None = None) -> None:
        """Attach a recorded resolution to its incident (or add `fallback` carrying it)."""
        inc = self._by_run.get(run_id)
        if inc is None:
            if fallback is None:
                return
            fallback.resolution = resolution
            self.add(fallback)
            return
        inc.resolution = resolution

    def __len__(self) -> int:
        return len(self.incidents)

    def _candidates(self, q: Query) -> list[PastIncident]:
        seen: dict[int, PastIncident] = {}
        for key in self._keys(q):
            for p in self._buckets.get(key, ()):
                # Entries replaced by a later add stay in their buckets; skip them.
                if self._by_run.get(p.run_id) is p:
                    seen[id(p)] = p
        return list(seen.values())

    def query(
        self,
        q: Query,
        k: int = 5,
        before: datetime | None = None,
        exclude_run: str | None = None,
        min_score: float = 0.2,
    ) -> list[tuple[PastIncident, float, bool]]:
        """Top `k` (incident, score, same_pattern_resolution) — resolved same-pattern incidents first.

        Only incidents that ended before `before` count (the past). One entry per (job, pattern):
        the most recent, so five near-identical reruns do not crowd out everything else.
        """
        best: dict[tuple, tuple[PastIncident, float, bool]] = {}
        for p in self._candidates(q):
            if p.run_id == exclude_run:
                continue
            if before is not None and p.ended_at is not None and _aware(p.ended_at) >= _aware(before):
                continue
            s = score(q, p)
            if s < min_score:
                continue
            resolved = p.resolution is not None and same_pattern(q, p)
            key = (p.job, p.pattern_key, p.resolution is not None)
            cur = best.get(key)
            if cur is None or (cur[1], _stamp(cur[0])) < (s, _stamp(p)):
                best[key] = (p, s, resolved)
        ranked = sorted(best.values(), key=lambda x: (not x[2], -x[1], -_stamp(x[0])))
        return ranked[:k]


def _aware(value: datetime) -> datetime:
    # Naive times in the record are UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _stamp(p: PastIncident) -> float:
    return _aware(p.ended_at).timestamp() if p.ended_at else 0.0

"""Served views of the plan: sorted, paged, filtered and serialized (orjson) with caching.

A plan index holds the jobs of one plan (one production day plus carried-forward streams) in `id`
order and caches each job's serialized JSON keyed by its state signature, so an archived plan is
serialized once and the current plan only re-serializes jobs whose runs changed phase.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import threading
from array import array
from collections import OrderedDict
from datetime import date
from functools import lru_cache

import orjson

from resync_assets.common.gcpause import gc_paused
from resync_assets.sim.fields import oql_fields
from resync_assets.sim.oql import OqlError, Query, parse
from resync_assets.sim.render import Renderer
from resync_assets.sim.state import job_signature
from resync_assets.sim.workload import JobInst, StreamInst, Workload

_ALIASES = {"jobstreamName": "jobStreamName", "key.name": "name"}
# Model objects keep their fields under `def`; the spec's own OQL examples on /model/* name them
# directly (`name = 'MY_NAME' AND folder LIKE '/FOL@'`, `id = ...`).
_MODEL_ALIASES = {
    "id": "def.id",
    "name": "def.name",
    "folder": "def.folder",
    "workstation": "def.workstation",
}


def field_checker(kind: str):
    """A `field_check` for `oql.parse` accepting the spec's property paths of object `kind`."""
    allowed = oql_fields()[kind]
    aliases = {**_ALIASES, **_MODEL_ALIASES} if kind in ("jobdefinition", "modeljobstream") else _ALIASES

    def check(path: str) -> str | None:
        path = aliases.get(path, path)
        return path if path in allowed else None

    return check


@lru_cache(maxsize=256)
def plan_filter_regex(pattern: str) -> re.Pattern[str]:
    """Compile a `plan_filter` object path (`/@/@#/@/@.@`; `@` = any text, folder parts optional)."""
    rx = re.escape(pattern).replace("/@/", "/(?:.*/)?").replace("@", ".*")
    return re.compile(rx, re.DOTALL)


_CHUNK = 128  # jobs per compressed block of a compacted plan
_ID_LEN = 36  # UUID-shaped ids
_BY_ID = [("id", False)]
_BLOCK_CACHE_SIZE = 64  # decompressed blocks kept across all plans (~20 MB)
_block_cache: OrderedDict = OrderedDict()
_block_cache_lock = threading.Lock()
_tokens = itertools.count()


@lru_cache(maxsize=1)
def _codec():
    # LZ4 (through pyarrow, already a dependency): ~5x smaller JSON, decompressed at memory speed.
    import pyarrow

    return pyarrow.Codec("lz4")


class PlanIndex:
    """Jobs and streams of one plan, sorted by id, with a per-job serialized-JSON cache.

    A warmed archived plan can be `compact()`ed: its JSON is kept LZ4-compressed in blocks of
    `_CHUNK` jobs (about a fifth of the memory) and the generated objects are dropped; they are
    regenerated (deterministically) only if a request needs them (filters, streams, counts).
    """

    def __init__(self, workload: Workload, renderer: Renderer, d: date, archived: bool):
        self.workload = workload
        self.renderer = renderer
        self.day = d
        self.plan_id = d.isoformat()
        self.archived = archived
        self._lock = threading.Lock()
        self._jobs: list[JobInst] | None = None
        self._streams: list[StreamInst] | None = None
        self._load_objects()
        self.job_pos = {j.id: i for i, j in enumerate(self._jobs)}
        self.stream_pos = {s.id: i for i, s in enumerate(self._streams)}
        self.n_jobs = len(self._jobs)
        self.run_count = sum(len(j.runs) for j in self._jobs)
        self._caches: dict[str, list[tuple | None]] = {"full": [None] * self.n_jobs}
        self._query_cache: OrderedDict = OrderedDict()
        self._blocks: list[tuple[bytes, array]] | None = None
        self._id_blob = b""
        self._token = next(_tokens)  # cache key: unlike id(), never reused by a later index

    def _load_objects(self) -> None:
        streams = self.workload.plan_streams(self.day)
        jobs = [j for s in streams for j in s.jobs]
        jobs.sort(key=lambda j: j.id)
        self._streams = sorted(streams, key=lambda s: s.id)
        self._jobs = jobs

    @property
    def jobs(self) -> list[JobInst]:
        """Jobs in id order (regenerated when the plan was compacted)."""
        jobs = self._jobs
        if jobs is None:
            with self._lock:
                if self._jobs is None:
                    with gc_paused():
                        self._load_objects()
                jobs = self._jobs
        return jobs

    @property
    def streams(self) -> list[StreamInst]:
        """Stream instances in id order (regenerated when the plan was compacted)."""
        if self._streams is None:
            self.jobs  # noqa: B018 - loads both lists
        return self._streams

    def job_bytes(self, i: int, t: float, variant: str = "full") -> bytes:
        """Serialized JobInPlanV2 of job number `i` at instant `t` (`variant`: see `Renderer.job_bytes`)."""
        if self._blocks is not None and variant == "full":
            return self._compact_bytes(i)
        cache = self._caches.get(variant)
        if cache is None:
            cache = self._caches.setdefault(variant, [None] * self.n_jobs)
        hit = cache[i]
        if hit is not None and self.archived:
            # An archived plan is seen at its fixed rollover instant: its JSON never changes.
            return hit[1]
        j = self.jobs[i]
        sig = job_signature(j, t)
        if hit is not None and hit[0] == sig:
            return hit[1]
        data = self.renderer.job_bytes(j, t, self.plan_id, self.archived, variant)
        cache[i] = (sig, data)
        return data

    def warm(self, t: float) -> None:
        """Serialize every job now (used to pre-warm archived plans)."""
        with gc_paused():
            for i in range(self.n_jobs):
                self.job_bytes(i, t)

    def compact(self, t: float) -> None:
        """Warm, then keep the JSON compressed and drop the generated objects (archived plans only)."""
        if not self.archived or self._blocks is not None:
            return
        self.warm(t)
        cache = self._caches["full"]
        blocks = []
        for start in range(0, self.n_jobs, _CHUNK):
            # Jobs are stored comma-separated, so a run of consecutive jobs is one slice of a block.
            parts = [cache[i][1] for i in range(start, min(start + _CHUNK, self.n_jobs))]
            offsets = array("Q", [0])
            for part in parts:
                offsets.append(offsets[-1] + len(part) + 1)
            blocks.append((_codec().compress(b",".join(parts) + b",", asbytes=True), offsets))
        id_blob = "".join(j.id for j in self.jobs).encode()
        assert len(id_blob) == _ID_LEN * self.n_jobs
        with self._lock:
            self._blocks = blocks
            self._id_blob = id_blob
            self.job_pos = None
            self._caches = {}
            self._jobs = None
            self._streams = None

    def _compact_bytes(self, i: int) -> bytes:
        block, k = divmod(i, _CHUNK)
        data = self._block(block)
        offsets = self._blocks[block][1]
        return bytes(data[offsets[k] : offsets[k + 1] - 1])

    def _compact_range(self, first: int, stop: int) -> bytes:
        """Jobs `first` .. `stop - 1`, comma-separated, straight from the blocks."""
        out = []
        i = first
        while i < stop:
            block, k = divmod(i, _CHUNK)
            end = min(stop, (block + 1) * _CHUNK)
            offsets = self._blocks[block][1]
            # The last piece drops its trailing comma; slices are views, so the join is the only copy.
            cut = 1 if end == stop else 0
            out.append(self._block(block)[offsets[k] : offsets[end - block * _CHUNK] - cut])
            i = end
        return b"".join(out)

    def _block(self, block: int) -> memoryview:
        key = (self._token, block)
        with _block_cache_lock:
            data = _block_cache.get(key)
            if data is not None:
                _block_cache.move_to_end(key)
                return data
        compressed, offsets = self._blocks[block]
        data = memoryview(_codec().decompress(compressed, decompressed_size=offsets[-1]))
        with _block_cache_lock:
            _block_cache[key] = data
            while len(_block_cache) > _BLOCK_CACHE_SIZE:
                _block_cache.popitem(last=False)
        return data

    def position(self, job_id: str) -> int | None:
        """Index of the job with this id in the plan, or None."""
        pos = self.job_pos
        if pos is not None:
            return pos.get(job_id)
        # Compacted: binary search in the sorted, fixed-width id blob.
        key = job_id.encode()
        if len(key) != _ID_LEN:
            return None
        blob = self._id_blob
        lo, hi = 0, self.n_jobs
        while lo < hi:
            mid = (lo + hi) // 2
            if blob[mid * _ID_LEN : (mid + 1) * _ID_LEN] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < self.n_jobs and blob[lo * _ID_LEN : (lo + 1) * _ID_LEN] == key:
            return lo
        return None

    def page_bytes(self, positions, t: float, variant: str = "full") -> list[bytes]:
        """Serialized jobs at `positions` (the collector is paused while a cold page is rendered)."""
        if (
            self._blocks is not None
            and variant == "full"
            and isinstance(positions, range)
            and positions.step == 1
        ):
            # A plain page of a compacted plan: consecutive jobs, sliced from the blocks in one piece.
            return [self._compact_range(positions.start, positions.stop)] if len(positions) else []
        with gc_paused():
            return [self.job_bytes(i, t, variant) for i in positions]

    def job_dict(self, i: int, t: float) -> dict:
        """JobInPlanV2 dict of job number `i` at `t`."""
        return orjson.loads(self.job_bytes(i, t))

    def select_jobs(self, t: float, query: Query | None, plan_filter: str | None) -> range | list[int]:
        """Positions of the jobs matching `query`/`plan_filter`, in the requested order (default id order)."""
        if query is not None and query.order == _BY_ID:
            # Jobs are kept in id order (ids are unique hex UUIDs, compared as text by ORDER BY), so
            # `ORDER BY id ASC`, what every paging client sends, is the natural order: no sort, and
            # without a filter a plain range (a compacted plan then serves it straight from its blocks).
            if query.predicate is None:
                query = None
            else:
                query = dataclasses.replace(query, order=[])
        if query is None and not plan_filter:
            return range(self.n_jobs)
        key = (query.source if query else None, plan_filter, self.archived or t)
        with self._lock:
            hit = self._query_cache.get(key)
            if hit is not None:
                self._query_cache.move_to_end(key)
                return hit
        rx = plan_filter_regex(plan_filter) if plan_filter else None
        positions = []
        objs = []
        for i, j in enumerate(self.jobs):
            if rx is not None:
                s = j.stream
                path = f"/{j.jd.workstation}#{s.sd.folder}{s.sd.name}.{j.jd.name}"
                if not rx.fullmatch(path):
                    continue
            if query is not None and (query.predicate is not None or query.order):
                obj = self.job_dict(i, t)
                if not query.matches(obj):
                    continue
                obj["__pos"] = i
                objs.append(obj)
            positions.append(i)
        if query is not None and query.order:
            positions = [o["__pos"] for o in query.sort(objs)]
        with self._lock:
            self._query_cache[key] = positions
            while len(self._query_cache) > 32:
                self._query_cache.popitem(last=False)
        return positions


class PlanIndexCache:
    """LRU of `PlanIndex` per (day, archived)."""

    def __init__(self, workload: Workload, renderer: Renderer, capacity: int):
        self.workload = workload
        self.renderer = renderer
        self.capacity = capacity
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict = {}

    def has(self, d: date, archived: bool) -> bool:
        """True when the index of day `d` is cached."""
        with self._lock:
            return (d, archived) in self._items

    def get(self, d: date, archived: bool) -> PlanIndex:
        """The index of plan day `d` (built on first use)."""
        key = (d, archived)
        with self._lock:
            idx = self._items.get(key)
            if idx is not None:
                self._items.move_to_end(key)
                return idx
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                idx = self._items.get(key)
                if idx is not None:
                    return idx
            with gc_paused():
                idx = PlanIndex(self.workload, self.renderer, d, archived)
            with self._lock:
                self._items[key] = idx
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
                self._building.pop(key, None)
            return idx


def parse_oql(text: str | None, kind: str, zone) -> Query | None:
    """Parse an `oql` parameter for object `kind`; None when absent or blank."""
    if text is None or not text.strip():
        return None
    return parse(text, zone=zone, field_check=field_checker(kind))


__all__ = ["OqlError", "PlanIndex", "PlanIndexCache", "field_checker", "parse_oql", "plan_filter_regex"]

"""dlt source for the TWS / HCL Workload Automation REST API v2 (verified-source shape).

Resources (each yields ``pyarrow`` tables with an explicit schema, so dlt loads them without its
row-by-row normalizer; timestamps are ``timestamp[us, UTC]``, durations ``float64`` seconds):

* ``job_runs`` — one row per run, merged on ``run_id`` (docs/DATA_CONTRACTS.md). Each call re-reads the
  current plan, every plan it has seen as current and not yet closed (so after a rollover the previous
  production day is read once more, as an archived plan, to catch its final states) and every archived
  day of the backfill window that is not closed. A day is *closed* — remembered in dlt source state and
  never fetched again — once it is archived and every one of its runs has a terminal status. Only
  rows that are new or whose content changed are emitted (the ``baseline`` compares fetched rows with
  what the destination holds and keeps ``first_seen_at``); ``last_seen_at`` is the load time. A run
  carried forward into the next plan is tracked in its newest plan: its stale view in the older
  archive never overwrites it, and that archive closes once its unfinished runs all went on.
* ``job_streams`` — ``JobStreamInPlanV2`` of the same plans, merged on (``jobstream_id``, ``plan_id``).
* ``workstations`` — ``WorkstationInPlanV2`` (current plan), merged on ``workstation_id``.
* ``engine_info`` — one ``EngineInfoV2`` snapshot per load, keyed by ``snapshot_at``.
* ``tws_joblogs(...)`` (a separate resource) — joblogs of given runs, fetched concurrently.

Run it with ``resync ingest run`` (``runner.run_tws_ingest``), which reads the settings from the
environment; this module reads none.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

import dlt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from resync_assets.lib.ingest.plans import PlanRunReader
from resync_assets.lib.ingest.quarantine import Reject
from resync_assets.lib.ingest.records import parse_duration, parse_instant
from resync_assets.lib.ingest.runs_arrow import JOB_RUN_CONTENT_SCHEMA, JOB_RUNS_SCHEMA, TS
from resync_assets.lib.joblog.status import TERMINAL_COMMON_STATUSES
from resync_assets.lib.tws.client import TwsClient
from resync_assets.lib.tws.errors import TwsCircuitOpenError, TwsError, TwsNotFoundError

log = logging.getLogger("resync.ingest")

UTC = dt.UTC

TWS_TABLES: tuple[str, ...] = ("job_runs", "job_streams", "workstations", "engine_info", "joblogs")


JOBLOGS_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        ("job_id", pa.string()),
        ("job_name", pa.string()),
        ("workstation", pa.string()),
        ("plan_id", pa.string()),
        ("internal_status", pa.string()),
        ("fetched_at", TS),
        ("text", pa.string()),
        ("byte_size", pa.int64()),
        ("line_count", pa.int64()),
        ("encoding", pa.string()),
        ("had_invalid_utf8", pa.bool_()),
        ("truncated", pa.bool_()),
    ]
)

JOB_STREAMS_SCHEMA = pa.schema(
    [
        pa.field("jobstream_id", pa.string(), nullable=False),
        pa.field("plan_id", pa.string(), nullable=False),
        ("key", pa.string()),
        ("name", pa.string()),
        ("original_job_stream_name", pa.string()),
        ("alias_job_stream_name", pa.string()),
        ("workstation", pa.string()),
        ("folder", pa.string()),
        ("sched_time", TS),
        ("scheduled_date", pa.string()),
        ("common_status", pa.string()),
        ("internal_status", pa.string()),
        ("sub_status", pa.string()),
        ("actual_start", TS),
        ("actual_end", TS),
        ("elapsed_seconds", pa.float64()),
        ("estimated_seconds", pa.float64()),
        ("priority", pa.int32()),
        ("limit", pa.int32()),
        ("submitter", pa.string()),
        ("job_stream_model_id", pa.string()),
        ("number_of_job", pa.int64()),
        ("number_of_successful_job", pa.int64()),
        ("number_of_abended_job", pa.int64()),
        ("number_of_failed_job", pa.int64()),
        ("number_of_executing_job", pa.int64()),
        ("number_of_not_running_job", pa.int64()),
        ("number_of_undecided_job", pa.int64()),
        ("time_zone", pa.string()),
        ("snapshot_at", TS),
    ]
)

WORKSTATIONS_SCHEMA = pa.schema(
    [
        pa.field("workstation_id", pa.string(), nullable=False),
        ("key", pa.string()),
        ("name", pa.string()),
        ("folder", pa.string()),
        ("type", pa.string()),
        ("os", pa.string()),
        ("version", pa.string()),
        ("domain_name", pa.string()),
        ("time_zone", pa.string()),
        ("active_states", pa.string()),
        ("limit", pa.int32()),
        ("fence", pa.int32()),
        ("agent_id", pa.string()),
        ("plan_id", pa.string()),
        ("node_name", pa.string()),
        ("host_workstation", pa.string()),
        ("snapshot_at", TS),
    ]
)

ENGINE_INFO_SCHEMA = pa.schema(
    [
        pa.field("snapshot_at", TS, nullable=False),
        ("license_type", pa.string()),
        ("full_version", pa.string()),
        ("display_version", pa.string()),
        ("tenant_name", pa.string()),
        ("tenant_display_name", pa.string()),
        ("tenant_id", pa.string()),
        ("timezone", pa.string()),
        ("locale", pa.string()),
        ("reference_id", pa.string()),
        ("capabilities", pa.string()),
        ("admin_roles", pa.string()),
    ]
)

_MERGE = {"disposition": "merge", "strategy": "delete-insert"}

# Each TWS table's merge key and Arrow schema (job_runs' schema is in runs_arrow).
TABLE_KEYS: dict[str, str | tuple[str, ...]] = {
    "job_runs": "run_id",
    "job_streams": ("jobstream_id", "plan_id"),
    "workstations": "workstation_id",
    "engine_info": "snapshot_at",
    "joblogs": "run_id",
}

# Polls after which a plan once seen as current, now answered 404, is no longer asked for.
MISSING_PLAN_POLLS = 3

# Rows of job_runs gathered before they are handed to dlt (about 30 MB of Arrow).
EMIT_ROWS = 100_000


# ---------------------------------------------------------------------------------------------- rows


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _instant(value: Any, what: str) -> dt.datetime | None:
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _duration(value: Any, what: str) -> float | None:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def job_stream_row(stream: dict, snapshot_at: dt.datetime, plan_id: str) -> dict:
    """One ``tws_raw.job_streams`` row from a ``JobStreamInPlanV2`` dict."""
    sid = stream.get("id")
    status = stream.get("compositeStatus") or {}
    time_info = stream.get("timeInfo") or {}
    stats = stream.get("jobStreamStats") or {}
    what = f"job stream {sid}"
    return {
        "jobstream_id": sid,
        "plan_id": stream.get("planId") or plan_id,
        "key": _scalar_text(stream.get("key")),
        "name": stream.get("name"),
        "original_job_stream_name": stream.get("originalJobStreamName"),
        "alias_job_stream_name": stream.get("aliasJobStreamName"),
        "workstation": stream.get("workstation"),
        "folder": stream.get("folder"),
        "sched_time": _instant(stream.get("schedTime"), what),
        "scheduled_date": _scalar_text(stream.get("scheduledDate")),
        "common_status": stream.get("commonStatus"),
        "internal_status": status.get("status"),
        "sub_status": status.get("substatus"),
        "actual_start": _instant(time_info.get("actualStartTime"), what),
        "actual_end": _instant(time_info.get("actualEndTime"), what),
        "elapsed_seconds": _duration(time_info.get("elapsedTime"), what),
        "estimated_seconds": _duration(time_info.get("estimatedDuration"), what),
        "priority": _int_or_none(stream.get("priority")),
        "limit": _int_or_none(stream.get("limit")),
        "submitter": stream.get("submitter"),
        "job_stream_model_id": stream.get("jobStreamModelId"),
        "number_of_job": _int_or_none(stats.get("numberOfJob")),
        # The spec spells it "Successfull"; accept the corrected spelling too.
        "number_of_successful_job": _int_or_none(
            stats.get("numberOfSuccessfullJob", stats.get("numberOfSuccessfulJob"))
        ),
        "number_of_abended_job": _int_or_none(stats.get("numberOfAbendedJob")),
        "number_of_failed_job": _int_or_none(stats.get("numberOfFailedJob")),
        "number_of_executing_job": _int_or_none(stats.get("numberOfExecutingJob")),
        "number_of_not_running_job": _int_or_none(stats.get("numberOfNotRunningJob")),
        "number_of_undecided_job": _int_or_none(stats.get("numberOfUndecidedJob")),
        "time_zone": stream.get("timeZone"),
        "snapshot_at": snapshot_at,
    }


def workstation_row(ws: dict, snapshot_at: dt.datetime) -> dict:
    """One ``tws_raw.workstations`` row from a ``WorkstationInPlanV2`` dict."""
    return {
        "workstation_id": ws.get("id"),
        "key": _scalar_text(ws.get("key")),
        "name": ws.get("name"),
        "folder": ws.get("folder"),
        "type": ws.get("type"),
        "os": ws.get("os"),
        "version": ws.get("version"),
        "domain_name": ws.get("domainName"),
        "time_zone": ws.get("timeZone"),
        "active_states": _json_text(ws.get("activeStates")),
        "limit": _int_or_none(ws.get("limit")),
        "fence": _int_or_none(ws.get("fence")),
        "agent_id": ws.get("agentId"),
        "plan_id": ws.get("planId"),
        "node_name": ws.get("nodeName"),
        "host_workstation": _scalar_text(ws.get("hostWorkstation")),
        "snapshot_at": snapshot_at,
    }


def engine_info_row(info: dict, snapshot_at: dt.datetime) -> dict:
    """One ``tws_raw.engine_info`` row from an ``EngineInfoV2`` dict."""
    return {
        "snapshot_at": snapshot_at,
        "license_type": info.get("licenseType"),
        "full_version": info.get("fullVersion"),
        "display_version": info.get("displayVersion"),
        "tenant_name": info.get("tenantName"),
        "tenant_display_name": info.get("tenantDisplayName"),
        "tenant_id": info.get("tenantId"),
        "timezone": info.get("timezone"),
        "locale": info.get("locale"),
        "reference_id": info.get("referenceId"),
        "capabilities": _json_text(info.get("capabilities")),
        "admin_roles": _json_text(info.get("adminRoles")),
    }


def _scalar_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return _json_text(value)


def is_terminal(table: pa.Table) -> bool:
    """True when every run in ``table`` has a terminal ``common_status``."""
    if table.num_rows == 0:
        return True
    mask = pc.is_in(table["common_status"], value_set=pa.array(sorted(TERMINAL_COMMON_STATUSES)))
    return bool(pc.all(pc.fill_null(mask, False)).as_py())


# ------------------------------------------------------------------------------------------ baseline


class RunBaseline(Protocol):
    """What the destination already holds, to emit only new or changed runs."""

    def changed_runs(self, fetched: pa.Table, seen_at: dt.datetime) -> tuple[pa.Table, int, int]:
        """(rows to load with ``JOB_RUNS_SCHEMA``, number new, number changed).

        A fetched row from an older plan than the stored row's is never emitted: a run carried
        forward into a newer plan is tracked there, and its stale view in the older archive must not
        overwrite it.
        """

    def in_newer_plans(self, run_ids: Sequence[str], plan_id: str) -> set[str]:
        """The ``run_ids`` the destination holds with a plan newer than ``plan_id``."""


class NoBaseline:
    """Treat every fetched run as new (standalone use without a destination to compare with)."""

    def changed_runs(self, fetched: pa.Table, seen_at: dt.datetime) -> tuple[pa.Table, int, int]:
        """Every row, with ``first_seen_at = last_seen_at = seen_at``."""
        stamp = pa.repeat(pa.scalar(seen_at, type=TS), fetched.num_rows)
        return (
            fetched.append_column("first_seen_at", stamp).append_column("last_seen_at", stamp),
            fetched.num_rows,
            0,
        )

    def in_newer_plans(self, run_ids: Sequence[str], plan_id: str) -> set[str]:
        """Nothing is known."""
        return set()


# ------------------------------------------------------------------------------------------- counters


@dataclass
class SourceCounters:
    """What one extraction did; the runner turns it into an ``IngestReport``."""

    runs_new: int = 0
    runs_changed: int = 0
    runs_fetched: int = 0
    rows_emitted: dict[str, int] = field(default_factory=dict)
    plans_loaded: list[str] = field(default_factory=list)
    plans_closed: list[str] = field(default_factory=list)
    joblogs_fetched: int = 0
    joblogs_missing: int = 0
    joblog_bytes: int = 0
    joblogs_truncated: int = 0
    joblogs_invalid_utf8: int = 0
    joblog_errors: int = 0
    # Items that could not be used (quarantine.Reject), and the (source, item_id, field) keys of
    # quarantined items that this extraction got right or read again without the fault.
    rejects: list = field(default_factory=list)
    checked: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reject(self, reject: Reject) -> None:
        """Report one item (or field) that could not be used."""
        with self._lock:
            self.rejects.append(reject)
        log.warning("quarantined: %s", reject.describe())

    def check(self, source: str, ids: Iterable[str]) -> None:
        """Note ids of ``source`` (run ids, job ids, stream ids) read in this extraction."""
        with self._lock:
            self.checked.setdefault(source, set()).update(i for i in ids if i is not None)

    def emitted(self, table: str, rows: int) -> None:
        """Count rows handed to dlt for ``table``."""
        with self._lock:
            self.rows_emitted[table] = self.rows_emitted.get(table, 0) + rows


# ------------------------------------------------------------------------------------------ planning


@dataclass(frozen=True)
class PlanSelection:
    """The plans one extraction reads: the current one first, then archived ones (newest first)."""

    current_plan_id: str | None
    archived: tuple[str, ...]
    anchor: dt.date


def select_plans(
    state: dict, current_plan_id: str | None, *, backfill_days: int, plan_id_format: str, today: dt.date
) -> PlanSelection:
    """Which archived plans to read: open ones seen as current, plus unclosed days of the window.

    The window is the ``backfill_days`` production days before the current plan's day (parsed from
    its id with ``plan_id_format``; ``today`` when the plan is empty). A server whose plan ids are not
    production days (the spec's are UUID-shaped) cannot be asked for a day, and the API cannot list
    plans: there, only plans seen as current are read again once archived.
    """
    closed = state.get("closed_plans", {})
    anchor = today
    day_ids = True
    if current_plan_id is not None:
        try:
            anchor = dt.datetime.strptime(current_plan_id, plan_id_format).date()
        except ValueError:
            day_ids = False
    wanted: list[str] = []
    for plan_id in state.get("open_plans", []):
        if plan_id != current_plan_id and plan_id not in closed and plan_id not in wanted:
            wanted.append(plan_id)
    for k in range(1, (backfill_days if day_ids else 0) + 1):
        plan_id = (anchor - dt.timedelta(days=k)).strftime(plan_id_format)
        if plan_id != current_plan_id and plan_id not in closed and plan_id not in wanted:
            wanted.append(plan_id)
    return PlanSelection(current_plan_id, tuple(wanted), anchor)


def _older_than(plan_id: str, anchor: dt.date, plan_id_format: str, days: int = 1) -> bool:
    # True when the plan's production day is more than `days` before the anchor day.
    try:
        day = dt.datetime.strptime(plan_id, plan_id_format).date()
    except ValueError:
        return False
    return day < anchor - dt.timedelta(days=days)


def _prune_closed(state: dict, today: dt.date, keep_days: int, plan_id_format: str) -> None:
    # Closed days that fell far out of the window can never be selected again; keep the state small.
    # A plan id that is not a day is dated by when it closed.
    closed = state.get("closed_plans", {})
    times = state.get("plan_times", {})
    horizon = today - dt.timedelta(days=keep_days)
    for plan_id in list(closed):
        try:
            day = dt.datetime.strptime(plan_id, plan_id_format).date()
        except ValueError:
            try:
                day = dt.datetime.fromisoformat(closed[plan_id].get("closed_at", "")).date()
            except (AttributeError, ValueError):
                continue
        if day < horizon:
            del closed[plan_id]
            times.pop(plan_id, None)


def plan_time(table: pa.Table) -> str | None:
    """A plan's own time: the latest scheduled time of its runs (ISO text), None when it has none.

    Plans are ordered by it, never by parsing their ids (the spec's are UUID-shaped). A run carried
    forward into the next plan keeps its scheduled time, so it never makes a newer plan look older.
    """
    if table.num_rows == 0:
        return None
    latest = pc.max(table["sched_time"]).as_py()
    return None if latest is None else latest.isoformat()


# -------------------------------------------------------------------------------------------- source


def _current_plan_id(table: pa.Table | None) -> str | None:
    # The plan id most runs of the current plan carry (carried-forward runs may name their old one).
    if table is None or table.num_rows == 0:
        return None
    counts = pc.value_counts(table["plan_id"].drop_null()).to_pylist()
    if not counts:
        return None
    return max(counts, key=lambda c: (c["counts"], c["values"]))["values"]


def _without(table: pa.Table, run_ids: pa.Array | None) -> pa.Table:
    if run_ids is None or len(run_ids) == 0 or table.num_rows == 0:
        return table
    return table.filter(pc.invert(pc.is_in(table["run_id"], value_set=run_ids)))


def _first_per_run(table: pa.Table) -> pa.Table:
    # The first row of each run_id, in table order.
    if pc.count_distinct(table["run_id"]).as_py() == table.num_rows:
        return table
    order = pa.table({"run_id": table["run_id"], "i": pa.array(range(table.num_rows), pa.int64())})
    first = order.group_by("run_id", use_threads=False).aggregate([("i", "min")])["i_min"]
    return table.take(pc.take(first, pc.sort_indices(first)))


def _open_run_ids(table: pa.Table) -> set[str]:
    mask = pc.is_in(table["common_status"], value_set=pa.array(sorted(TERMINAL_COMMON_STATUSES)))
    return set(table.filter(pc.invert(pc.fill_null(mask, False)))["run_id"].to_pylist())


@dlt.source(name="tws", max_table_nesting=0)
def tws_source(
    client: TwsClient,
    *,
    backfill_days: int = 90,
    archived_plan_id_format: str = "%Y-%m-%d",
    page_size: int | None = None,
    plan_workers: int = 2,
    plan_processes: bool = True,
    baseline: RunBaseline | None = None,
    counters: SourceCounters | None = None,
    seen_at: dt.datetime | None = None,
    today: dt.date | None = None,
) -> Iterable[Any]:
    """TWS plans as raw tables: ``job_runs``, ``job_streams``, ``workstations``, ``engine_info``.

    ``client`` is an open ``TwsClient`` (the caller owns it). ``baseline`` tells which fetched runs are
    new or changed (default: all are new). ``seen_at`` stamps the load (default: now, UTC); ``today``
    anchors the backfill window when the current plan id is not a date (default: ``seen_at``'s date).
    """
    if backfill_days < 0:
        raise ValueError("backfill_days must be >= 0")
    stamp = (seen_at or dt.datetime.now(UTC)).astimezone(UTC)
    day = today or stamp.date()
    counts = counters if counters is not None else SourceCounters()
    runs_baseline = baseline or NoBaseline()
    run_rejects: list[Reject] = []
    reader = PlanRunReader(client, page_size, plan_workers, processes=plan_processes, rejects=run_rejects)
    # job_streams reads the plans job_runs selected, so both see the same closed set.
    selected: dict[str, PlanSelection] = {}
    current_cache: dict[str, pa.Table | None] = {}

    def selection() -> PlanSelection:
        if "plans" not in selected:
            state = dlt.current.source_state()
            _, current = reader.read("current")
            current_cache["table"] = current
            selected["plans"] = select_plans(
                state,
                _current_plan_id(current),
                backfill_days=backfill_days,
                plan_id_format=archived_plan_id_format,
                today=day,
            )
        return selected["plans"]

    # dlt keeps deduplicating the staged rows: a load resumed after a kill can stage a file twice.
    @dlt.resource(name="job_runs", primary_key=TABLE_KEYS["job_runs"], write_disposition=_MERGE)
    def job_runs() -> Iterator[pa.Table]:
        """One row per TWS job run (every execution attempt of a job in a plan), keyed by run_id."""
        try:
            yield from job_runs_of_plans()
        finally:
            # The baseline may hold a read-only connection for the extraction; dlt writes next.
            release = getattr(runs_baseline, "close", None)
            if release is not None:
                release()

    def job_runs_of_plans() -> Iterator[pa.Table]:
        plans = selection()
        state = dlt.current.source_state()
        closed: dict = state.setdefault("closed_plans", {})
        open_plans: list = state.setdefault("open_plans", [])
        times: dict = state.setdefault("plan_times", {})
        current = current_cache.pop("table", None)
        if current is None:
            current = JOB_RUN_CONTENT_SCHEMA.empty_table()
        if plans.current_plan_id is not None and plans.current_plan_id not in open_plans:
            open_plans.append(plans.current_plan_id)
        current_ids = current["run_id"].combine_chunks() if current.num_rows else None
        # Plans come newest first, so a run carried forward is always met in its newest plan first;
        # its stale views in older archives are dropped (ids of the current and the previous plan).
        previous_ids: pa.Array | None = None
        seen: list[tuple[str, pa.Array]] = []
        # dlt writes each table it is given as its own Parquet row group: hand it few, large ones.
        batch: list[pa.Table] = []
        batch_rows = 0

        def emit() -> pa.Table:
            # A run met in two plans of one batch keeps its newest plan's row, the one met first
            # (dlt's deduplication of the staged rows, which also covers runs across batches, would
            # keep either).
            nonlocal batch, batch_rows
            out = _first_per_run(pa.concat_tables(batch).combine_chunks())
            dropped = batch_rows - out.num_rows
            if dropped:
                log.warning(
                    "job_runs: %d run(s) met in more than one plan kept their newest plan's row", dropped
                )
            counts.emitted("job_runs", out.num_rows)
            batch, batch_rows = [], 0
            return out

        to_close: dict[str, tuple[set[str], int]] = {}

        def close(plan_id: str, runs: int) -> None:
            closed[plan_id] = {"runs": runs, "closed_at": stamp.isoformat()}
            counts.plans_closed.append(plan_id)
            if plan_id in open_plans:
                open_plans.remove(plan_id)

        for label, table in _chain([("current", current)], reader.read_many(plans.archived)):
            is_current = label == "current"
            plan_id = plans.current_plan_id if is_current else label
            if table is None:
                if not is_current and _older_than(plan_id, plans.anchor, archived_plan_id_format):
                    # An archive that is gone for a past day never comes back: stop asking for it.
                    close(plan_id, 0)
                elif not is_current and plan_id in open_plans:
                    # A plan once current (any id shape) that the server no longer has: given up
                    # after a few polls, so a vanished plan is not asked for forever.
                    misses = state.setdefault("missing_plans", {})
                    misses[plan_id] = misses.get(plan_id, 0) + 1
                    if misses[plan_id] >= MISSING_PLAN_POLLS:
                        close(plan_id, 0)
                        misses.pop(plan_id, None)
                log.info("plan %s: not on the server", plan_id)
                continue
            counts.runs_fetched += table.num_rows
            if plan_id is not None and plan_id not in counts.plans_loaded:
                counts.plans_loaded.append(plan_id)
            when = plan_time(table)
            if plan_id is not None and when is not None:
                times[plan_id] = max(when, times.get(plan_id, when))
                note = getattr(runs_baseline, "note_plan_time", None)
                if note is not None:
                    note(plan_id, times[plan_id])
            counts.check("job_runs", table["run_id"].to_pylist())
            counts.check("job_runs.job", pc.unique(table["job_id"]).to_pylist())
            # Rejects of plans read in threads may arrive before their plan; each is matched by plan.
            rejected_here = [r for r in list(run_rejects) if r.plan_id == plan_id]
            fresh = table
            if not is_current:
                fresh = _without(_without(table, current_ids), previous_ids)
                pending = _open_run_ids(table)
                if rejected_here:
                    # A plan with runs in quarantine is read again on the next poll.
                    pending = pending | {f"quarantined:{r.item_id}" for r in rejected_here}
                if pending:
                    to_close[plan_id] = (pending, table.num_rows)
                else:
                    close(plan_id, table.num_rows)
                ids = table["run_id"].combine_chunks()
                previous_ids = ids
                seen.append((plan_id, ids))
            changed, new, updated = runs_baseline.changed_runs(fresh, stamp)
            counts.runs_new += new
            counts.runs_changed += updated
            if changed.num_rows:
                batch.append(changed)
                batch_rows += changed.num_rows
            if batch_rows >= EMIT_ROWS:
                yield emit()
            del table, fresh, changed
            if not gc.isenabled():
                # The runner pauses automatic collection while parsing; sweep the young objects here
                # so cyclic garbage cannot build up over a long backfill.
                gc.collect(1)
        if batch_rows:
            yield emit()
        for reject in run_rejects:
            counts.reject(reject)
            counts.check("job_runs.job", [reject.job_id])
        run_rejects.clear()
        # An archived plan whose unfinished runs all went on in a newer plan is done with too. One
        # pass over the plans read finds the newest plan each unfinished run appears in.
        if to_close:
            unfinished = pa.array(
                sorted(set().union(*(pending for pending, _ in to_close.values()))), pa.string()
            )
            plans_read = [(_plan_key(other, times), ids) for other, ids in seen]
            if current_ids is not None:
                plans_read.append(((2,), current_ids))  # the current plan is newer than any archive
            newest: dict[str, tuple] = {}
            for key, ids in plans_read:
                for run_id in pc.filter(ids, pc.is_in(ids, value_set=unfinished)).to_pylist():
                    if run_id not in newest or key > newest[run_id]:
                        newest[run_id] = key
        for plan_id, (pending, runs) in to_close.items():
            key = _plan_key(plan_id, times)
            pending = {run_id for run_id in pending if not (run_id in newest and newest[run_id] > key)}
            if pending:
                pending -= runs_baseline.in_newer_plans(sorted(pending), plan_id)
            if not pending:
                close(plan_id, runs)
        _prune_closed(state, plans.anchor, backfill_days + 30, archived_plan_id_format)

    @dlt.resource(name="job_streams", primary_key=TABLE_KEYS["job_streams"], write_disposition=_MERGE)
    def job_streams() -> Iterator[pa.Table]:
        """Snapshots of the job stream instances of the plans read, keyed by jobstream_id + plan_id."""
        plans = selection()
        for plan_id in ["current", *plans.archived]:
            label = plans.current_plan_id if plan_id == "current" else plan_id
            rows = []
            try:
                for position, stream in enumerate(
                    client.iter_job_streams(plan_id=plan_id, page_size=page_size), start=1
                ):
                    row = _checked_row(
                        "job_streams", stream, position, label, counts, job_stream_row, stamp, label
                    )
                    if row is not None:
                        rows.append(row)
            except TwsNotFoundError:
                continue
            counts.check("job_streams.plan", [label])
            if rows:
                counts.emitted("job_streams", len(rows))
                yield pa.Table.from_pylist(rows, schema=JOB_STREAMS_SCHEMA)

    @dlt.resource(name="workstations", primary_key=TABLE_KEYS["workstations"], write_disposition=_MERGE)
    def workstations() -> Iterator[pa.Table]:
        """Snapshot of the workstations of the current plan, keyed by workstation_id."""
        rows = []
        for position, ws in enumerate(client.iter_workstations(page_size=page_size), start=1):
            row = _checked_row("workstations", ws, position, None, counts, workstation_row, stamp)
            if row is not None:
                rows.append(row)
        if rows:
            counts.emitted("workstations", len(rows))
            yield pa.Table.from_pylist(rows, schema=WORKSTATIONS_SCHEMA)

    @dlt.resource(name="engine_info", primary_key=TABLE_KEYS["engine_info"], write_disposition=_MERGE)
    def engine_info() -> Iterator[pa.Table]:
        """One snapshot of the engine's version, time zone and tenant per load, keyed by snapshot_at."""
        counts.emitted("engine_info", 1)
        yield pa.Table.from_pylist([engine_info_row(client.engine_info(), stamp)], schema=ENGINE_INFO_SCHEMA)

    return job_runs, job_streams, workstations, engine_info


_ROW_KEYS = {"job_streams": ("jobstream_id", "plan_id"), "workstations": ("workstation_id",)}


def _checked_row(
    source: str, obj: Any, position: int, plan_id: str | None, counts: SourceCounters, build, *args
) -> dict | None:
    """``build(obj, *args)``, or None with the item reported (a value it cannot parse, or no key)."""
    item_id = obj.get("id") if isinstance(obj, dict) else None
    item = str(item_id) if item_id is not None else f"{plan_id or 'current plan'} item #{position}"
    try:
        if not isinstance(obj, dict):
            raise TypeError(f"not an object: {type(obj).__name__}")
        row = build(obj, *args)
    except (ValueError, TypeError, AttributeError) as exc:
        counts.reject(Reject(source, item, str(exc), plan_id=plan_id))
        return None
    for key in _ROW_KEYS[source]:
        if row.get(key) is None:
            field_name = "id" if key.endswith("_id") and key != "plan_id" else "planId"
            reason = f"no {field_name} (the spec requires none), so it cannot be keyed and is not stored" + (
                "; the current plan's runs carry no planId either" if key == "plan_id" else ""
            )
            counts.reject(Reject(source, item, reason, field=field_name, plan_id=plan_id))
            return None
    counts.check(source, [item])
    return row


def _plan_key(plan_id: str, times: dict) -> tuple:
    # Orders archived plans by their own time (`plan_time`), ties by id; the current plan, keyed (2,)
    # by the caller, is newer than all.
    return (1, times.get(plan_id) or "", plan_id or "")


def _chain(*iterables: Iterable) -> Iterator:
    for iterable in iterables:
        yield from iterable


# ------------------------------------------------------------------------------------------- joblogs


@dataclass(frozen=True)
class JoblogTarget:
    """A run whose joblog is to be fetched."""

    run_id: str
    job_id: str | None = None
    job_name: str | None = None
    workstation: str | None = None
    plan_id: str | None = None
    internal_status: str | None = None
    actual_end: dt.datetime | None = None


def tws_joblogs(
    client: TwsClient,
    targets: Sequence[JoblogTarget],
    *,
    max_bytes: int = 5_000_000,
    workers: int = 8,
    counters: SourceCounters | None = None,
    missing_after: dt.timedelta = dt.timedelta(days=1),
    batch_bytes: int = 64 * 1024 * 1024,
    clock: Callable[[], dt.datetime] | None = None,
) -> Any:
    """A dlt resource with the joblog of each target run, merged on ``run_id``.

    Joblogs are fetched in a pool of ``workers`` threads, with at most ``2 * workers`` requests in
    flight. A joblog the server does not have (404) is stored with NULL text when the run ended more
    than ``missing_after`` ago (so it is not asked for again); a younger one is skipped and asked for
    at the next load. A joblog that still fails after the client's retries (an error answer, a body
    cut half-way, an invalid run id) is reported in ``counters`` as a ``Reject`` (the runner puts it
    in quarantine) and the others load.
    """
    counts = counters if counters is not None else SourceCounters()
    now = clock or (lambda: dt.datetime.now(UTC))

    def fetch(target: JoblogTarget) -> dict | None:
        try:
            joblog = client.get_joblog(target.run_id, plan_id=target.plan_id, max_bytes=max_bytes)
        except TwsNotFoundError:
            fetched_at = now()
            with counts._lock:
                counts.joblogs_missing += 1
            counts.check("joblogs", [target.run_id])
            if target.actual_end is None or fetched_at - target.actual_end < missing_after:
                return None
            return _joblog_row(target, fetched_at, None, 0, 0, None, False, False)
        except TwsCircuitOpenError:
            return None  # not asked: the server is down; the next poll asks again
        except (TwsError, ValueError) as exc:
            # One joblog that keeps failing never holds back the others: it waits in quarantine.
            with counts._lock:
                counts.joblog_errors += 1
            counts.reject(
                Reject("joblogs", target.run_id, str(exc), plan_id=target.plan_id, job_id=target.job_id)
            )
            return None
        problem = joblog_problem(joblog, target.internal_status)
        if problem:
            with counts._lock:
                counts.joblog_errors += 1
            counts.reject(
                Reject("joblogs", target.run_id, problem, plan_id=target.plan_id, job_id=target.job_id)
            )
            return None
        with counts._lock:
            counts.joblogs_fetched += 1
            counts.joblog_bytes += joblog.byte_size
            counts.joblogs_truncated += int(joblog.truncated)
            counts.joblogs_invalid_utf8 += int(joblog.had_invalid_utf8)
        counts.check("joblogs", [target.run_id])
        return _joblog_row(
            target,
            now(),
            joblog.text,
            joblog.byte_size,
            joblog.line_count,
            joblog.encoding,
            joblog.had_invalid_utf8,
            joblog.truncated,
        )

    @dlt.resource(name="joblogs", primary_key=TABLE_KEYS["joblogs"], write_disposition=_MERGE)
    def joblogs() -> Iterator[pa.Table]:
        """The joblog (stdlist) text of failed runs and a sample of successful ones, keyed by run_id."""
        batch: list[dict] = []
        size = 0
        todo = iter(targets)
        pending: set[Future] = set()
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="tws-joblog") as pool:
            try:
                while True:
                    while len(pending) < 2 * max(1, workers):
                        target = next(todo, None)
                        if target is None:
                            break
                        pending.add(pool.submit(fetch, target))
                    if not pending:
                        break
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        row = future.result()
                        if row is None:
                            continue
                        batch.append(row)
                        size += row["byte_size"] or 0
                    if size >= batch_bytes or len(batch) >= 2000:
                        counts.emitted("joblogs", len(batch))
                        yield pa.Table.from_pylist(batch, schema=JOBLOGS_SCHEMA)
                        batch, size = [], 0
            finally:
                for future in pending:
                    future.cancel()
        if batch:
            counts.emitted("joblogs", len(batch))
            yield pa.Table.from_pylist(batch, schema=JOBLOGS_SCHEMA)

    return joblogs


def joblog_problem(joblog: Any, internal_status: str | None) -> str | None:
    """Why a fetched joblog cannot be stored as complete, or None.

    A body delimited only by the server closing the connection (no Content-Length, not chunked)
    cannot tell a cut from an end; a finished run's joblog then must carry its trailer's
    ``Exit Status`` line (docs/joblog_layout.md: only a FAIL run, a launch failure, has no trailer)
    or it is taken as cut, and asked for again later.
    """
    if not joblog.close_delimited or joblog.truncated or internal_status == "FAIL":
        return None
    if "Exit Status" in joblog.text[-4000:]:
        return None
    return "the joblog body ended with the connection and without its trailer (Exit Status): taken as cut"


def table_schemas() -> dict[str, pa.Schema]:
    """The Arrow schema of each TWS table, by name."""
    return {
        "job_runs": JOB_RUNS_SCHEMA,
        "job_streams": JOB_STREAMS_SCHEMA,
        "workstations": WORKSTATIONS_SCHEMA,
        "engine_info": ENGINE_INFO_SCHEMA,
        "joblogs": JOBLOGS_SCHEMA,
    }


def tws_empty_tables(names: Sequence[str]) -> list:
    """dlt resources that create the named TWS tables empty, with their schema and merge key.

    An empty plan (a weekend, a holiday, a new install) yields no rows, and dlt creates no table for
    a resource that yielded none; the tables must still exist so that the marts and checks downstream
    see an empty, valid state.
    """
    schemas = table_schemas()
    return [
        dlt.resource(
            [schemas[name].empty_table()], name=name, primary_key=TABLE_KEYS[name], write_disposition=_MERGE
        )
        for name in names
    ]


def _joblog_row(
    target: JoblogTarget,
    fetched_at: dt.datetime,
    text: str | None,
    byte_size: int,
    line_count: int,
    encoding: str | None,
    invalid: bool,
    truncated: bool,
) -> dict:
    return {
        "run_id": target.run_id,
        "job_id": target.job_id,
        "job_name": target.job_name,
        "workstation": target.workstation,
        "plan_id": target.plan_id,
        "internal_status": target.internal_status,
        "fetched_at": fetched_at,
        "text": text,
        "byte_size": byte_size,
        "line_count": line_count,
        "encoding": encoding,
        "had_invalid_utf8": invalid,
        "truncated": truncated,
    }

"""Flatten TWS payloads into rows shaped as docs/DATA_CONTRACTS.md says.

``job_run_rows`` turns one ``JobInPlanV2`` dict into one row per ``jobruns[]`` element with the
columns of ``tws_raw.job_runs`` (without ``first_seen_at``/``last_seen_at``, which the loader sets):
instants become timezone-aware UTC datetimes, ISO-8601 durations become float seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

import msgspec
import orjson

from resync_assets.lib.gcpause import gc_paused

_UTC = dt.UTC
_DURATION_RE = re.compile(
    r"([-+])?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?\Z"
)
# Calendar units have no fixed length; TWS durations are elapsed times, so the usual averages do.
_UNIT_SECONDS = (365 * 86_400.0, 30 * 86_400.0, 7 * 86_400.0, 86_400.0, 3_600.0, 60.0, 1.0)

JOB_RUN_COLUMNS: tuple[str, ...] = (
    "run_id",
    "job_id",
    "job_name",
    "job_stream_name",
    "job_stream_id",
    "workstation",
    "actual_workstation",
    "folder",
    "plan_id",
    "sched_time",
    "job_number",
    "run_attempt",
    "rerun_type",
    "is_rerun",
    "last_in_rerun_chain",
    "return_code",
    "common_status",
    "internal_status",
    "sub_status",
    "actual_start",
    "actual_end",
    "elapsed_seconds",
    "estimated_seconds",
    "submitted_time",
    "priority",
    "is_critical",
    "is_late",
    "recovery_option",
    "task",
    "time_zone",
)


@lru_cache(maxsize=4096)
def parse_duration(value: str | None) -> float | None:
    """ISO-8601 duration (``PT1H2M3.5S``, ``P1DT2H``, ``-PT5S``) -> seconds; None stays None.

    Raises ValueError naming the value when it is not a duration.
    """
    if value is None:
        return None
    match = _DURATION_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None or value.strip() in ("P", "PT", "-P", "+P") or value.strip().endswith("T"):
        raise ValueError(f"not an ISO-8601 duration: {value!r}")
    total = 0.0
    for number, unit in zip(match.groups()[1:], _UNIT_SECONDS):
        if number:
            total += float(number.replace(",", ".")) * unit
    return -total if match.group(1) == "-" else total


def parse_instant(value: str | None) -> dt.datetime | None:
    """ISO-8601 date-time -> aware UTC datetime; a value without zone is UTC (we ask for UTC)."""
    if value is None:
        return None
    try:
        parsed = _fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO-8601 instant: {value!r}") from None
    tz = parsed.tzinfo
    if tz is _UTC:
        return parsed
    if tz is None:
        return parsed.replace(tzinfo=_UTC)
    return parsed.astimezone(_UTC)


_fromisoformat = dt.datetime.fromisoformat


def task_text(task: object) -> str | None:
    """The script / command line of a ``jobDefinition.task`` (a string or an object) as text."""
    if task is None or type(task) is str:
        return task
    if type(task) is dict and len(task) == 1:
        # The usual shape: {"UNIX": {"taskString": ...}} (one key per platform).
        inner = next(iter(task.values()))
        if type(inner) is dict and type(inner.get("taskString")) is str:
            return inner["taskString"]
    if isinstance(task, dict):
        for key in ("taskString", "scriptName", "script", "command", "commandLine"):
            if isinstance(task.get(key), str):
                return task[key]
        if len(task) == 1:
            inner = next(iter(task.values()))
            if isinstance(inner, dict):
                found = task_text(inner)
                if found is not None and not found.startswith("{"):
                    return found
    return orjson.dumps(task, option=orjson.OPT_SORT_KEYS).decode()


def _int(value: object) -> int | None:
    if value is None or type(value) is int:
        return value  # type: ignore[return-value]
    return int(value)  # type: ignore[arg-type]


def _bool(value: object) -> bool | None:
    if value is None or value is True or value is False:
        return value  # type: ignore[return-value]
    return bool(value)


_EMPTY: dict = {}


def job_run_rows(job: dict) -> list[dict]:
    """One ``tws_raw.job_runs`` row per element of ``job["jobruns"]`` (an empty list when none).

    Raises ValueError (naming the job, the run and the value) when an instant, a duration or an
    integer is malformed.
    """
    runs = job.get("jobruns")
    if not runs:
        return []
    get = job.get
    job_id = get("id")
    # Hot path of every load: attribute lookups are bound once, conversions inlined.
    instant, duration, as_int, as_bool = parse_instant, parse_duration, _int, _bool
    try:
        # Some servers embed the definition only in each run; the first run's is the job's.
        definition = get("jobDefinition") or runs[0].get("jobDefinition") or _EMPTY
        options = get("jobOptions") or _EMPTY
        flags = get("jobStatusFlags") or _EMPTY
        job_name, stream_name, stream_id = get("name"), get("jobStreamName"), get("jobStreamId")
        workstation, folder, plan_id, time_zone = (
            get("workstation"),
            get("folder"),
            get("planId"),
            get("timeZone"),
        )
        sched_time = instant(get("schedTime"))
        priority = as_int(get("priority"))
        is_critical = as_bool(options.get("critical"))
        is_late = as_bool(flags.get("jobLate"))
        recovery_option = definition.get("recoveryOption")
        task = task_text(definition.get("task"))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"job {job_id}: {exc}") from None
    rows = []
    append = rows.append
    for run in runs:
        rget = run.get
        try:
            status = rget("compositeStatus") or _EMPTY
            time_info = rget("timeInfo") or _EMPTY
            tget = time_info.get
            append(
                {
                    "run_id": rget("id"),
                    "job_id": job_id,
                    "job_name": job_name,
                    "job_stream_name": stream_name,
                    "job_stream_id": stream_id,
                    "workstation": workstation,
                    "actual_workstation": rget("actualWorkstation"),
                    "folder": folder,
                    "plan_id": plan_id,
                    "sched_time": sched_time,
                    "job_number": as_int(rget("jobNumber")),
                    "run_attempt": as_int(rget("runAttempt")),
                    "rerun_type": rget("rerunType"),
                    "is_rerun": as_bool(rget("rerunJob")),
                    "last_in_rerun_chain": as_bool(rget("lastInRerunChain")),
                    "return_code": as_int(rget("returnCode")),
                    "common_status": rget("commonStatus"),
                    "internal_status": status.get("status"),
                    "sub_status": status.get("substatus"),
                    "actual_start": instant(tget("actualStartTime")),
                    "actual_end": instant(tget("actualEndTime")),
                    "elapsed_seconds": duration(tget("elapsedTime")),
                    "estimated_seconds": duration(tget("estimatedDuration")),
                    "submitted_time": instant(rget("submittedTime")),
                    "priority": priority,
                    "is_critical": is_critical,
                    "is_late": is_late,
                    "recovery_option": recovery_option,
                    "task": task,
                    "time_zone": time_zone,
                }
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"job {job_id} run {rget('id')}: {exc}") from None
    return rows


# ---------------------------------------------------------------------------------------------------
# Fast path: a whole ``/plan/job`` page decoded by msgspec into structs that declare only the fields
# ``job_run_rows`` reads (every other field of the answer is skipped, never validated), then turned
# into the same rows. Scalars are typed ``Any`` so a server sending e.g. a priority as text gets the
# same conversion (and the same error) as ``job_run_rows``; a page whose shape the structs do not
# accept (a string where an object is expected, ...) is handled by the dict path instead.


class _Status(msgspec.Struct, gc=False):
    status: Any = None
    substatus: Any = None


class _TimeInfo(msgspec.Struct, gc=False):
    actualStartTime: Any = None
    actualEndTime: Any = None
    elapsedTime: Any = None
    estimatedDuration: Any = None


class _Definition(msgspec.Struct, gc=False):
    recoveryOption: Any = None
    # Kept as its JSON text: the same few tasks recur on every page, so their text is cached by it.
    task: msgspec.Raw = msgspec.Raw(b"null")


_TASK_TEXT: dict[bytes, str | None] = {}


def _raw_task_text(raw: msgspec.Raw) -> str | None:
    key = bytes(raw)
    try:
        return _TASK_TEXT[key]
    except KeyError:
        pass
    text = task_text(orjson.loads(key))
    if len(_TASK_TEXT) >= 65_536:
        _TASK_TEXT.clear()
    _TASK_TEXT[key] = text
    return text


class _Options(msgspec.Struct, gc=False):
    critical: Any = None


class _Flags(msgspec.Struct, gc=False):
    jobLate: Any = None


class _Run(msgspec.Struct, gc=False):
    id: Any = None
    actualWorkstation: Any = None
    jobNumber: Any = None
    runAttempt: Any = None
    rerunType: Any = None
    rerunJob: Any = None
    lastInRerunChain: Any = None
    returnCode: Any = None
    commonStatus: Any = None
    compositeStatus: _Status | None = None
    timeInfo: _TimeInfo | None = None
    submittedTime: Any = None
    jobDefinition: _Definition | None = None


class _Job(msgspec.Struct, gc=False):
    id: Any = None
    name: Any = None
    jobStreamName: Any = None
    jobStreamId: Any = None
    workstation: Any = None
    folder: Any = None
    planId: Any = None
    timeZone: Any = None
    schedTime: Any = None
    priority: Any = None
    jobOptions: _Options | None = None
    jobStatusFlags: _Flags | None = None
    jobDefinition: _Definition | None = None
    jobruns: list[_Run] | None = None


class JobPage(msgspec.Struct, gc=False):
    """A decoded ``/plan/job`` page: only what paging and ``job_runs`` rows need."""

    results: list[_Job]
    count: Any = None
    next: Any = None


_PAGE_DECODER = msgspec.json.Decoder(JobPage)


def decode_job_page(data: bytes) -> JobPage:
    """Decode a ``/plan/job`` page; raises ``msgspec.DecodeError`` (a ValidationError for a shape the
    structs do not accept) so the caller can fall back to ``orjson`` and dicts."""
    return _PAGE_DECODER.decode(data)


def _is_empty(definition: _Definition | None) -> bool:
    return definition is None or (definition.recoveryOption is None and bytes(definition.task) == b"null")


def job_page_rows(jobs: list[_Job]) -> list[dict]:
    """The ``job_run_rows`` rows of every job of a decoded page, in order; same values, same errors."""
    with gc_paused():
        return _job_page_rows(jobs)


def _job_page_rows(jobs: list[_Job]) -> list[dict]:
    rows: list[dict] = []
    append = rows.append
    fromiso, utc = _fromisoformat, _UTC
    duration, instant, as_int, as_bool = parse_duration, parse_instant, _int, _bool
    for job in jobs:
        runs = job.jobruns
        if not runs:
            continue
        mark = len(rows)
        try:
            definition = job.jobDefinition
            if (
                (definition is None or definition.recoveryOption is None)
                and _is_empty(definition)
                and not _is_empty(runs[0].jobDefinition)
            ):
                definition = runs[0].jobDefinition
            options, flags = job.jobOptions, job.jobStatusFlags
            job_id, job_name, stream_name, stream_id = job.id, job.name, job.jobStreamName, job.jobStreamId
            workstation, folder, plan_id, time_zone = job.workstation, job.folder, job.planId, job.timeZone
            sched_time = job.schedTime
            if sched_time is not None:
                sched_time = fromiso(sched_time)
                if sched_time.tzinfo is not utc:
                    sched_time = instant(job.schedTime)
            priority = job.priority
            if priority is not None and type(priority) is not int:
                priority = as_int(priority)
            is_critical = options.critical if options is not None else None
            if is_critical is not None and is_critical is not True and is_critical is not False:
                is_critical = as_bool(is_critical)
            is_late = flags.jobLate if flags is not None else None
            if is_late is not None and is_late is not True and is_late is not False:
                is_late = as_bool(is_late)
            if definition is None:
                recovery_option = task = None
            else:
                recovery_option = definition.recoveryOption
                task = _raw_task_text(definition.task)
            for run in runs:
                status, time_info = run.compositeStatus, run.timeInfo
                if time_info is None:
                    start = end = elapsed = estimated = None
                else:
                    start, end = time_info.actualStartTime, time_info.actualEndTime
                    if start is not None:
                        start = fromiso(start)
                        if start.tzinfo is not utc:
                            start = instant(time_info.actualStartTime)
                    if end is not None:
                        end = fromiso(end)
                        if end.tzinfo is not utc:
                            end = instant(time_info.actualEndTime)
                    elapsed = time_info.elapsedTime
                    if elapsed is not None:
                        elapsed = duration(elapsed)
                    estimated = time_info.estimatedDuration
                    if estimated is not None:
                        estimated = duration(estimated)
                submitted = run.submittedTime
                if submitted is not None:
                    submitted = fromiso(submitted)
                    if submitted.tzinfo is not utc:
                        submitted = instant(run.submittedTime)
                job_number, attempt, code = run.jobNumber, run.runAttempt, run.returnCode
                if job_number is not None and type(job_number) is not int:
                    job_number = as_int(job_number)
                if attempt is not None and type(attempt) is not int:
                    attempt = as_int(attempt)
                if code is not None and type(code) is not int:
                    code = as_int(code)
                is_rerun, last = run.rerunJob, run.lastInRerunChain
                if is_rerun is not None and is_rerun is not True and is_rerun is not False:
                    is_rerun = as_bool(is_rerun)
                if last is not None and last is not True and last is not False:
                    last = as_bool(last)
                append(
                    {
                        "run_id": run.id,
                        "job_id": job_id,
                        "job_name": job_name,
                        "job_stream_name": stream_name,
                        "job_stream_id": stream_id,
                        "workstation": workstation,
                        "actual_workstation": run.actualWorkstation,
                        "folder": folder,
                        "plan_id": plan_id,
                        "sched_time": sched_time,
                        "job_number": job_number,
                        "run_attempt": attempt,
                        "rerun_type": run.rerunType,
                        "is_rerun": is_rerun,
                        "last_in_rerun_chain": last,
                        "return_code": code,
                        "common_status": run.commonStatus,
                        "internal_status": status.status if status is not None else None,
                        "sub_status": status.substatus if status is not None else None,
                        "actual_start": start,
                        "actual_end": end,
                        "elapsed_seconds": elapsed,
                        "estimated_seconds": estimated,
                        "submitted_time": submitted,
                        "priority": priority,
                        "is_critical": is_critical,
                        "is_late": is_late,
                        "recovery_option": recovery_option,
                        "task": task,
                        "time_zone": time_zone,
                    }
                )
        except (ValueError, TypeError, AttributeError):
            # The dict path decides: it raises its error (naming the job, the run and the value) or
            # converts what this path does not (e.g. an instant given as a number).
            del rows[mark:]
            rows.extend(job_run_rows(orjson.loads(msgspec.json.encode(job))))
    return rows

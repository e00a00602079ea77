"""Flatten TWS payloads into rows shaped as docs/DATA_CONTRACTS.md says.

``job_run_rows`` turns one ``JobInPlanV2`` dict into one row per ``jobruns[]`` element with the
columns of ``tws_raw.job_runs`` (without ``first_seen_at``/``last_seen_at``, which the loader sets):
instants become timezone-aware UTC datetimes, ISO-8601 durations become float seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import orjson

_UTC = dt.UTC
_DURATION_RE = re.compile(
    r"([-+])?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?\Z"
)
# Calendar units have no fixed length; TWS durations are elapsed times, so the usual averages do.
_UNIT_SECONDS = (365 * 86_400.0, 30 * 86_400.0, 7 * 86_400.0, 86_400.0, 3_600.0, 60.0, 1.0)

JOB_RUN_COLUMNS: tuple[str, ...] = (
    "run_id", "job_id", "job_name", "job_stream_name", "job_stream_id", "workstation",
    "actual_workstation", "folder", "plan_id", "sched_time", "job_number", "run_attempt", "rerun_type",
    "is_rerun", "last_in_rerun_chain", "return_code", "common_status", "internal_status", "sub_status",
    "actual_start", "actual_end", "elapsed_seconds", "estimated_seconds", "submitted_time", "priority",
    "is_critical", "is_late", "recovery_option", "task", "time_zone",
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
        workstation, folder, plan_id, time_zone = get("workstation"), get("folder"), get("planId"), get("timeZone")
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
            append({
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
            })
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"job {job_id} run {rget('id')}: {exc}") from None
    return rows

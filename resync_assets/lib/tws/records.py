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

_UTC = dt.timezone.utc
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
    if not isinstance(value, str):
        raise ValueError(f"not an ISO-8601 instant: {value!r}")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO-8601 instant: {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    return parsed.astimezone(_UTC)


def task_text(task: object) -> str | None:
    """The script / command line of a ``jobDefinition.task`` (a string or an object) as text."""
    if task is None or isinstance(task, str):
        return task
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
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    return int(value)


def _bool(value: object) -> bool | None:
    return None if value is None else bool(value)


_EMPTY: dict = {}


def job_run_rows(job: dict) -> list[dict]:
    """One ``tws_raw.job_runs`` row per element of ``job["jobruns"]`` (an empty list when none).

    Raises ValueError (naming the run id and the field) when an instant or duration is malformed.
    """
    runs = job.get("jobruns") or ()
    if not runs:
        return []
    definition = job.get("jobDefinition") or _EMPTY
    options = job.get("jobOptions") or _EMPTY
    flags = job.get("jobStatusFlags") or _EMPTY
    job_id = job.get("id")
    common = {
        "job_id": job_id,
        "job_name": job.get("name"),
        "job_stream_name": job.get("jobStreamName"),
        "job_stream_id": job.get("jobStreamId"),
        "workstation": job.get("workstation"),
        "folder": job.get("folder"),
        "plan_id": job.get("planId"),
        "priority": _int(job.get("priority")),
        "is_critical": _bool(options.get("critical")),
        "is_late": _bool(flags.get("jobLate")),
        "recovery_option": definition.get("recoveryOption"),
        "task": task_text(definition.get("task")),
        "time_zone": job.get("timeZone"),
    }
    try:
        common["sched_time"] = parse_instant(job.get("schedTime"))
    except ValueError as exc:
        raise ValueError(f"job {job_id}: schedTime: {exc}") from None
    rows = []
    for run in runs:
        status = run.get("compositeStatus") or _EMPTY
        time_info = run.get("timeInfo") or _EMPTY
        run_id = run.get("id")
        try:
            row = {
                "run_id": run_id,
                "job_id": common["job_id"],
                "job_name": common["job_name"],
                "job_stream_name": common["job_stream_name"],
                "job_stream_id": common["job_stream_id"],
                "workstation": common["workstation"],
                "actual_workstation": run.get("actualWorkstation"),
                "folder": common["folder"],
                "plan_id": common["plan_id"],
                "sched_time": common["sched_time"],
                "job_number": _int(run.get("jobNumber")),
                "run_attempt": _int(run.get("runAttempt")),
                "rerun_type": run.get("rerunType"),
                "is_rerun": _bool(run.get("rerunJob")),
                "last_in_rerun_chain": _bool(run.get("lastInRerunChain")),
                "return_code": _int(run.get("returnCode")),
                "common_status": run.get("commonStatus"),
                "internal_status": status.get("status"),
                "sub_status": status.get("substatus"),
                "actual_start": parse_instant(time_info.get("actualStartTime")),
                "actual_end": parse_instant(time_info.get("actualEndTime")),
                "elapsed_seconds": parse_duration(time_info.get("elapsedTime")),
                "estimated_seconds": parse_duration(time_info.get("estimatedDuration")),
                "submitted_time": parse_instant(run.get("submittedTime")),
                "priority": common["priority"],
                "is_critical": common["is_critical"],
                "is_late": common["is_late"],
                "recovery_option": common["recovery_option"],
                "task": common["task"],
                "time_zone": common["time_zone"],
            }
        except (ValueError, TypeError) as exc:
            raise ValueError(f"job {job_id} run {run_id}: {exc}") from None
        rows.append(row)
    return rows

"""Parse what the TWS API sends into the values of the warehouse rows (docs/DATA_CONTRACTS.md).

A ``/plan/job`` page is decoded by msgspec into structs that declare only the fields the
``tws_raw.job_runs`` rows read (every other field of the answer is skipped, never validated);
``runs_arrow.job_runs_arrow`` turns them into rows. Instants become timezone-aware UTC datetimes,
ISO-8601 durations float seconds.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from typing import Any

import msgspec
import orjson

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
    # The scheduler's deadline and maximum-duration flags (`jobStatusFlags.deadlineHasPassed`,
    # `jobruns[].maxDurationGone`), read by the marts' lateness.
    "is_past_deadline",
    "is_max_duration_exceeded",
    # The job's time restrictions (`timeRestrictions.maxDuration`, `.deadlineTime`): the window a
    # growing runtime must stay inside, read by the maintenance alerts.
    "maxdur_seconds",
    "deadline_time",
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


def parse_max_duration(value: object) -> float | None:
    """A job's ``timeRestrictions.maxDuration`` -> seconds, or None when it sets none.

    The spec types it as an ISO-8601 duration but describes it as "the maximum duration in minutes;
    -1 means no maximum duration specified": an ISO duration is taken as such, a bare number (or
    numeric text) as minutes, and -1, any negative value or zero as no maximum. Raises ValueError
    (TypeError for a value that is not a number or text) naming the value otherwise.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"not a maximum duration: {value!r}")
    try:
        seconds = float(value) * 60.0
    except ValueError:
        seconds = parse_duration(value)  # type: ignore[arg-type]
    if not math.isfinite(seconds):
        raise ValueError(f"not a maximum duration: {value!r}")
    return seconds if seconds > 0 else None


def parse_instant(value: str | None) -> dt.datetime | None:
    """RFC 3339 / ISO-8601 date-time -> aware UTC datetime; a value without zone is UTC (we ask for UTC).

    Everything RFC 3339 allows is taken: a lower-case ``t``/``z``, a space for the ``T``, and the
    leap second ``23:59:60`` (kept as ``23:59:59.999999`` of the same day, so order is preserved).
    """
    if value is None:
        return None
    try:
        parsed = _fromisoformat(value)
    except (TypeError, ValueError):
        parsed = _lenient_instant(value)
    tz = parsed.tzinfo
    if tz is _UTC:
        return parsed
    if tz is None:
        return parsed.replace(tzinfo=_UTC)
    return parsed.astimezone(_UTC)


_LEAP = re.compile(r"(\d\d:\d\d:)60(?:\.\d+)?")


def _lenient_instant(value: object) -> dt.datetime:
    if not isinstance(value, str) or len(value) < 10:
        raise ValueError(f"not an ISO-8601 instant: {value!r}")
    text = value.strip()
    if len(text) > 10 and text[10] in "tT ":
        text = text[:10] + "T" + text[11:]
    if text[-1:] in "zZ":
        text = text[:-1] + "+00:00"
    leap = _LEAP.search(text)
    if leap:
        text = text[: leap.start()] + leap.group(1) + "59.999999" + text[leap.end() :]
    try:
        return _fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO-8601 instant: {value!r}") from None


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


# ---------------------------------------------------------------------------------------------------
# The structs of a ``/plan/job`` page. Scalars are typed ``Any`` so a server sending e.g. a priority as
# text is converted (or rejected, naming the job and the field) by ``runs_arrow``, not by the decoder.


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


class _Restrictions(msgspec.Struct, gc=False):
    maxDuration: Any = None
    deadlineTime: Any = None


class _Options(msgspec.Struct, gc=False):
    critical: Any = None


class _Flags(msgspec.Struct, gc=False):
    jobLate: Any = None
    deadlineHasPassed: Any = None


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
    maxDurationGone: Any = None


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
    timeRestrictions: _Restrictions | None = None
    jobDefinition: _Definition | None = None
    jobruns: list[_Run] | None = None


class JobPage(msgspec.Struct, gc=False):
    """A decoded ``/plan/job`` page: only what paging and ``job_runs`` rows need."""

    results: list[_Job]
    count: Any = None
    next: Any = None


_PAGE_DECODER = msgspec.json.Decoder(JobPage)
_JOB_DECODER = msgspec.json.Decoder(_Job)


def decode_job_page(data: bytes) -> JobPage | None:
    """Decode a ``/plan/job`` page into structs; None when the body is not JSON or a job does not fit
    the structs (the client then reads the page as dicts: ``TwsClient.iter_job_pages(decode=...)``)."""
    try:
        return _PAGE_DECODER.decode(data)
    except msgspec.DecodeError:
        return None


def job_struct(job: object) -> _Job:
    """One ``JobInPlanV2`` (a struct, or a dict from a page the structs did not fit) as a struct;
    ValueError naming the job when its shape does not fit (e.g. ``jobruns`` is not a list)."""
    if isinstance(job, _Job):
        return job
    try:
        return _JOB_DECODER.decode(orjson.dumps(job))
    except (msgspec.DecodeError, TypeError, orjson.JSONEncodeError) as exc:
        job_id = job.get("id") if isinstance(job, dict) else None
        raise ValueError(f"job {job_id}: {exc}") from None


def _is_empty(definition: _Definition | None) -> bool:
    return definition is None or (definition.recoveryOption is None and bytes(definition.task) == b"null")

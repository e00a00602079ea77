"""``tws_raw.job_runs`` as Arrow: the table's schema and the one converter to it, ``job_runs_arrow``.

A decoded ``/plan/job`` page is converted in bulk (instants parsed by Arrow, no dict per run): the
fastest of the paths ``benchmarks/client_paging.py`` measured (docs in benchmarks/RESULTS.md). Values
the bulk build does not take (a priority sent as text, an instant with another zone) are normalised
job by job first. Timestamps are ``timestamp[us, UTC]``, durations ``float64`` seconds. No dlt here,
so processes that only read plans start fast.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from resync_assets.common.gcpause import gc_paused
from resync_assets.lib.ingest.quarantine import Reject
from resync_assets.lib.ingest.records import (
    JOB_RUN_COLUMNS,
    _bool,
    _int,
    _is_empty,
    _Job,
    _raw_task_text,
    job_struct,
    parse_duration,
    parse_instant,
    parse_max_duration,
)

TS = pa.timestamp("us", tz="UTC")

JOB_RUN_TYPES: dict[str, pa.DataType] = {
    "run_id": pa.string(),
    "job_id": pa.string(),
    "job_name": pa.string(),
    "job_stream_name": pa.string(),
    "job_stream_id": pa.string(),
    "workstation": pa.string(),
    "actual_workstation": pa.string(),
    "folder": pa.string(),
    "plan_id": pa.string(),
    "sched_time": TS,
    "job_number": pa.int64(),
    "run_attempt": pa.int32(),
    "rerun_type": pa.string(),
    "is_rerun": pa.bool_(),
    "last_in_rerun_chain": pa.bool_(),
    "return_code": pa.int32(),
    "common_status": pa.string(),
    "internal_status": pa.string(),
    "sub_status": pa.string(),
    "actual_start": TS,
    "actual_end": TS,
    "elapsed_seconds": pa.float64(),
    "estimated_seconds": pa.float64(),
    "submitted_time": TS,
    "priority": pa.int32(),
    "is_critical": pa.bool_(),
    "is_late": pa.bool_(),
    "recovery_option": pa.string(),
    "task": pa.string(),
    "time_zone": pa.string(),
    "is_past_deadline": pa.bool_(),
    "is_max_duration_exceeded": pa.bool_(),
    "maxdur_seconds": pa.float64(),
    "deadline_time": TS,
}
assert tuple(JOB_RUN_TYPES) == JOB_RUN_COLUMNS

# The run columns as fetched (no bookkeeping), and the full table as loaded.
JOB_RUN_CONTENT_SCHEMA = pa.schema(
    [pa.field(name, typ, nullable=name != "run_id") for name, typ in JOB_RUN_TYPES.items()]
)
JOB_RUNS_SCHEMA = JOB_RUN_CONTENT_SCHEMA.append(pa.field("first_seen_at", TS)).append(
    pa.field("last_seen_at", TS)
)


def _instants(values: list) -> pa.Array:
    text = pa.array(values, type=pa.string())
    if text.null_count < len(text):
        # Arrow reads a zone-less instant as UTC too, but job_run_rows names it; keep one behaviour.
        has_zone = pc.match_substring_regex(text.drop_null(), r"(Z|[+-]\d\d:?\d\d)$")
        if not pc.all(has_zone).as_py():
            raise ValueError("instant without zone")
    return text.cast(TS)


def job_runs_arrow(jobs: list, rejects: list | None = None) -> pa.Table:
    """The runs of a page's jobs (structs from ``records.decode_job_page``, or ``JobInPlanV2`` dicts
    of a page the structs did not fit) as an Arrow table with ``JOB_RUN_CONTENT_SCHEMA``.

    Without ``rejects``, raises ValueError naming the job, the run and the value when one cannot be
    converted. With a list, nothing raises: a run that cannot be keyed (no ``id``; the spec requires
    none) or whose job does not fit the structs is left out, a value that cannot be used (e.g. the
    duration ``"P"``) becomes NULL, and each is appended to ``rejects`` as a ``quarantine.Reject``
    naming the job, the run and the field.
    """
    if rejects is None:
        structs = [job_struct(job) for job in jobs]
    else:
        structs = []
        for position, job in enumerate(jobs):
            try:
                structs.append(job_struct(job))
            except ValueError as exc:
                job_id = job.get("id") if isinstance(job, dict) else None
                rejects.append(
                    Reject(
                        "job_runs",
                        f"job {job_id}" if job_id is not None else f"page item #{position}",
                        f"the job does not fit the JobInPlanV2 shape: {exc}",
                        job_id=_as_text(job_id),
                        plan_id=_as_text(job.get("planId")) if isinstance(job, dict) else None,
                    )
                )
    try:
        with gc_paused():
            table = _job_runs_arrow(structs)
        if table["run_id"].null_count == 0:
            return table
    except (pa.ArrowException, TypeError, ValueError, AttributeError):
        pass
    normalized = []
    for job in structs:
        try:
            normalized.append(_normalized(job, rejects))
        except _FieldError as exc:
            raise ValueError(exc.message) from None
    with gc_paused():
        return _job_runs_arrow(normalized)


class _FieldError(ValueError):
    def __init__(self, message: str, field: str, value: object) -> None:
        super().__init__(message)
        self.message, self.field, self.value = message, field, value


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def _convert(obj: object, attr: str, field: str, convert, where: str, failures: list) -> None:
    value = getattr(obj, attr)
    try:
        setattr(obj, attr, convert(value))
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        failures.append(_FieldError(f"{where}: {exc}", field, value))
        setattr(obj, attr, None)


def _normalized(job: _Job, rejects: list | None) -> _Job:
    """A copy of ``job`` whose values the bulk build takes: integers and booleans coerced, instants
    rewritten in UTC with their zone, durations checked, runs without id left out. Without
    ``rejects`` the first failure raises ``_FieldError``; with it, failures become NULLs and rejects."""
    import msgspec

    job = msgspec.structs.replace(job)
    job_where = f"job {job.id}"
    failures: list[_FieldError] = []
    _convert(job, "schedTime", "schedTime", _utc_text, job_where, failures)
    _convert(job, "priority", "priority", _int, job_where, failures)
    if job.jobOptions is not None:
        job.jobOptions = msgspec.structs.replace(job.jobOptions)
        _convert(job.jobOptions, "critical", "jobOptions.critical", _bool, job_where, failures)
    if job.jobStatusFlags is not None:
        job.jobStatusFlags = msgspec.structs.replace(job.jobStatusFlags)
        _convert(job.jobStatusFlags, "jobLate", "jobStatusFlags.jobLate", _bool, job_where, failures)
        _convert(
            job.jobStatusFlags,
            "deadlineHasPassed",
            "jobStatusFlags.deadlineHasPassed",
            _bool,
            job_where,
            failures,
        )
    if job.timeRestrictions is not None:
        job.timeRestrictions = restrictions = msgspec.structs.replace(job.timeRestrictions)
        _convert(
            restrictions,
            "maxDuration",
            "timeRestrictions.maxDuration",
            _checked_max_duration,
            job_where,
            failures,
        )
        _convert(
            restrictions, "deadlineTime", "timeRestrictions.deadlineTime", _utc_text, job_where, failures
        )
    for name in ("id", "name", "jobStreamName", "jobStreamId", "workstation", "folder", "planId", "timeZone"):
        _convert(job, name, name, _text, job_where, failures)
    job_failures = failures
    runs = []
    for position, run in enumerate(job.jobruns or (), start=1):
        run = msgspec.structs.replace(run)
        where = f"job {job.id} run {run.id}"
        failures = list(job_failures) if position == 1 else []
        for attr in ("jobNumber", "runAttempt", "returnCode"):
            _convert(run, attr, f"jobruns.{attr}", _int, where, failures)
        for attr in ("rerunJob", "lastInRerunChain", "maxDurationGone"):
            _convert(run, attr, f"jobruns.{attr}", _bool, where, failures)
        _convert(run, "submittedTime", "jobruns.submittedTime", _utc_text, where, failures)
        if run.timeInfo is not None:
            run.timeInfo = info = msgspec.structs.replace(run.timeInfo)
            for attr in ("elapsedTime", "estimatedDuration"):
                _convert(info, attr, f"jobruns.timeInfo.{attr}", _checked_duration, where, failures)
            for attr in ("actualStartTime", "actualEndTime"):
                _convert(info, attr, f"jobruns.timeInfo.{attr}", _utc_text, where, failures)
        for attr in ("id", "actualWorkstation", "rerunType", "commonStatus"):
            _convert(run, attr, f"jobruns.{attr}", _text, where, failures)
        if run.compositeStatus is not None:
            run.compositeStatus = msgspec.structs.replace(run.compositeStatus)
            for attr in ("status", "substatus"):
                _convert(run.compositeStatus, attr, f"jobruns.compositeStatus.{attr}", _text, where, failures)
        if failures and rejects is None:
            raise failures[0]
        item = run.id if run.id is not None else f"job {job.id} run #{position}"
        for failure in failures:
            rejects.append(
                Reject(
                    "job_runs",
                    item,
                    f"{failure.message} (stored as NULL)",
                    field=failure.field,
                    plan_id=_as_text(job.planId),
                    job_id=_as_text(job.id),
                    value=_as_text(failure.value),
                )
            )
        if run.id is None:
            if rejects is None:
                raise _FieldError(f"{where}: a run without id cannot be stored", "jobruns.id", None)
            rejects.append(
                Reject(
                    "job_runs",
                    item,
                    "a run without id cannot be keyed, so it is not stored (the spec requires no field)",
                    field="jobruns.id",
                    plan_id=_as_text(job.planId),
                    job_id=_as_text(job.id),
                )
            )
            continue
        runs.append(run)
    job.jobruns = runs
    return job


def _checked_duration(value: object) -> object:
    parse_duration(value)  # type: ignore[arg-type]
    return value


def _checked_max_duration(value: object) -> object:
    parse_max_duration(value)
    return value


def _utc_text(value: object) -> str | None:
    parsed = parse_instant(value)  # type: ignore[arg-type]
    return None if parsed is None else parsed.isoformat()


def _text(value: object) -> object:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"not text: {value!r}")
    return value


def _job_runs_arrow(jobs: list[_Job]) -> pa.Table:
    cols: dict[str, list] = {name: [] for name in JOB_RUN_COLUMNS}
    (
        run_id,
        actual_ws,
        job_number,
        run_attempt,
        rerun_type,
        is_rerun,
        last_in_chain,
        return_code,
        common,
        internal,
        sub,
        start,
        end,
        elapsed,
        estimated,
        submitted,
    ) = (
        cols["run_id"],
        cols["actual_workstation"],
        cols["job_number"],
        cols["run_attempt"],
        cols["rerun_type"],
        cols["is_rerun"],
        cols["last_in_rerun_chain"],
        cols["return_code"],
        cols["common_status"],
        cols["internal_status"],
        cols["sub_status"],
        cols["actual_start"],
        cols["actual_end"],
        cols["elapsed_seconds"],
        cols["estimated_seconds"],
        cols["submitted_time"],
    )
    job_cols = [
        cols[name]
        for name in (
            "job_id",
            "job_name",
            "job_stream_name",
            "job_stream_id",
            "workstation",
            "folder",
            "plan_id",
            "sched_time",
            "priority",
            "is_critical",
            "is_late",
            "recovery_option",
            "task",
            "time_zone",
            "is_past_deadline",
            "maxdur_seconds",
            "deadline_time",
        )
    ]
    max_duration_exceeded = cols["is_max_duration_exceeded"]
    for job in jobs:
        runs = job.jobruns
        if not runs:
            continue
        n = len(runs)
        definition = job.jobDefinition
        if (
            (definition is None or definition.recoveryOption is None)
            and _is_empty(definition)
            and not _is_empty(runs[0].jobDefinition)
        ):
            definition = runs[0].jobDefinition
        options, flags = job.jobOptions, job.jobStatusFlags
        critical = options.critical if options is not None else None
        late = flags.jobLate if flags is not None else None
        past_deadline = flags.deadlineHasPassed if flags is not None else None
        restrictions = job.timeRestrictions
        values = (
            job.id,
            job.name,
            job.jobStreamName,
            job.jobStreamId,
            job.workstation,
            job.folder,
            job.planId,
            job.schedTime,
            job.priority,
            None if critical is None else bool(critical),
            None if late is None else bool(late),
            definition.recoveryOption if definition is not None else None,
            _raw_task_text(definition.task) if definition is not None else None,
            job.timeZone,
            None if past_deadline is None else bool(past_deadline),
            restrictions.maxDuration if restrictions is not None else None,
            restrictions.deadlineTime if restrictions is not None else None,
        )
        if n == 1:
            for col, value in zip(job_cols, values):
                col.append(value)
        else:
            for col, value in zip(job_cols, values):
                col.extend((value,) * n)
        for run in runs:
            status, time_info = run.compositeStatus, run.timeInfo
            run_id.append(run.id)
            actual_ws.append(run.actualWorkstation)
            job_number.append(run.jobNumber)
            run_attempt.append(run.runAttempt)
            rerun_type.append(run.rerunType)
            is_rerun.append(run.rerunJob)
            last_in_chain.append(run.lastInRerunChain)
            return_code.append(run.returnCode)
            common.append(run.commonStatus)
            if status is None:
                internal.append(None)
                sub.append(None)
            else:
                internal.append(status.status)
                sub.append(status.substatus)
            if time_info is None:
                start.append(None)
                end.append(None)
                elapsed.append(None)
                estimated.append(None)
            else:
                start.append(time_info.actualStartTime)
                end.append(time_info.actualEndTime)
                elapsed.append(time_info.elapsedTime)
                estimated.append(time_info.estimatedDuration)
            submitted.append(run.submittedTime)
            gone = run.maxDurationGone
            max_duration_exceeded.append(None if gone is None else bool(gone))
    duration = parse_duration
    arrays = {}
    for name in JOB_RUN_COLUMNS:
        values = cols[name]
        if name in ("sched_time", "actual_start", "actual_end", "submitted_time", "deadline_time"):
            arrays[name] = _instants(values)
        elif name in ("elapsed_seconds", "estimated_seconds"):
            # Few distinct durations: parse_duration's cache answers nearly all of them.
            arrays[name] = pa.array([None if v is None else duration(v) for v in values], type=pa.float64())
        elif name == "maxdur_seconds":
            arrays[name] = pa.array([parse_max_duration(v) for v in values], type=pa.float64())
        else:
            # Strict: bools where ints belong and the like go to the reference path.
            arrays[name] = pa.array(values, type=JOB_RUN_TYPES[name], from_pandas=False)
    return pa.table(arrays, schema=JOB_RUN_CONTENT_SCHEMA)

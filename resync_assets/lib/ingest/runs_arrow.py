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

from resync_assets.lib.gcpause import gc_paused
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


def job_runs_arrow(jobs: list) -> pa.Table:
    """The runs of a page's jobs (structs from ``records.decode_job_page``, or ``JobInPlanV2`` dicts
    of a page the structs did not fit) as an Arrow table with ``JOB_RUN_CONTENT_SCHEMA``.

    Raises ValueError naming the job, the run and the value when one cannot be converted.
    """
    structs = [job_struct(job) for job in jobs]
    try:
        with gc_paused():
            return _job_runs_arrow(structs)
    except (pa.ArrowException, TypeError, ValueError, AttributeError):
        pass
    with gc_paused():
        return _job_runs_arrow([_normalized(job) for job in structs])


def _normalized(job: _Job) -> _Job:
    """A copy of ``job`` whose values the bulk build takes: integers and booleans coerced, instants
    rewritten in UTC with their zone, durations checked. ValueError names the job, run and value."""
    import msgspec

    job = msgspec.structs.replace(job)
    try:
        job.schedTime = _utc_text(job.schedTime)
        job.priority = _int(job.priority)
        if job.jobOptions is not None:
            job.jobOptions = msgspec.structs.replace(job.jobOptions, critical=_bool(job.jobOptions.critical))
        if job.jobStatusFlags is not None:
            job.jobStatusFlags = msgspec.structs.replace(
                job.jobStatusFlags, jobLate=_bool(job.jobStatusFlags.jobLate)
            )
        for name in (
            "id",
            "name",
            "jobStreamName",
            "jobStreamId",
            "workstation",
            "folder",
            "planId",
            "timeZone",
        ):
            _text(getattr(job, name), name)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"job {job.id}: {exc}") from None
    runs = []
    for run in job.jobruns or ():
        try:
            run = msgspec.structs.replace(
                run,
                jobNumber=_int(run.jobNumber),
                runAttempt=_int(run.runAttempt),
                returnCode=_int(run.returnCode),
                rerunJob=_bool(run.rerunJob),
                lastInRerunChain=_bool(run.lastInRerunChain),
                submittedTime=_utc_text(run.submittedTime),
            )
            if run.timeInfo is not None:
                info = run.timeInfo
                parse_duration(info.elapsedTime)
                parse_duration(info.estimatedDuration)
                run.timeInfo = msgspec.structs.replace(
                    info,
                    actualStartTime=_utc_text(info.actualStartTime),
                    actualEndTime=_utc_text(info.actualEndTime),
                )
            for name in ("id", "actualWorkstation", "rerunType", "commonStatus"):
                _text(getattr(run, name), name)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"job {job.id} run {run.id}: {exc}") from None
        runs.append(run)
    job.jobruns = runs
    return job


def _utc_text(value: object) -> str | None:
    parsed = parse_instant(value)  # type: ignore[arg-type]
    return None if parsed is None else parsed.isoformat()


def _text(value: object, name: str) -> None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} is not text: {value!r}")


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
        )
    ]
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
    duration = parse_duration
    arrays = {}
    for name in JOB_RUN_COLUMNS:
        values = cols[name]
        if name in ("sched_time", "actual_start", "actual_end", "submitted_time"):
            arrays[name] = _instants(values)
        elif name in ("elapsed_seconds", "estimated_seconds"):
            # Few distinct durations: parse_duration's cache answers nearly all of them.
            arrays[name] = pa.array([None if v is None else duration(v) for v in values], type=pa.float64())
        else:
            # Strict: bools where ints belong and the like go to the reference path.
            arrays[name] = pa.array(values, type=JOB_RUN_TYPES[name], from_pandas=False)
    return pa.table(arrays, schema=JOB_RUN_CONTENT_SCHEMA)

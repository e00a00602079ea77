"""An independent oracle for the ``tws_raw.job_runs`` rows: the plain dict-per-run flattening the
ingest used before its bulk Arrow converter. Tests compare ``runs_arrow.job_runs_arrow`` with it."""

from __future__ import annotations

import pyarrow as pa

from resync_assets.lib.ingest.records import (
    JOB_RUN_COLUMNS,
    _bool,
    _int,
    parse_duration,
    parse_instant,
    parse_max_duration,
    task_text,
)
from resync_assets.lib.ingest.runs_arrow import JOB_RUN_CONTENT_SCHEMA, JOB_RUN_TYPES

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
        past_deadline = as_bool(flags.get("deadlineHasPassed"))
        restrictions = get("timeRestrictions") or _EMPTY
        max_duration = parse_max_duration(restrictions.get("maxDuration"))
        deadline = instant(restrictions.get("deadlineTime"))
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
                    "is_past_deadline": past_deadline,
                    "is_max_duration_exceeded": as_bool(rget("maxDurationGone")),
                    "maxdur_seconds": max_duration,
                    "deadline_time": deadline,
                }
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"job {job_id} run {rget('id')}: {exc}") from None
    return rows


def job_runs_table(rows: list[dict]) -> pa.Table:
    """``job_run_rows`` output -> an Arrow table with ``JOB_RUN_CONTENT_SCHEMA``."""
    return pa.table(
        {name: pa.array([row[name] for row in rows], type=JOB_RUN_TYPES[name]) for name in JOB_RUN_COLUMNS},
        schema=JOB_RUN_CONTENT_SCHEMA,
    )


def reference_table(jobs: list[dict]) -> pa.Table:
    """The oracle's table for a list of ``JobInPlanV2`` dicts."""
    return job_runs_table([row for job in jobs for row in job_run_rows(job)])

"""What a run, job or stream looks like at a given instant (the clock-dependent part of the plan)."""

from __future__ import annotations

# Internal status → common status, per the mapping in the TWS domain notes.
COMMON = {
    "HOLD": "WAITING",
    "READY": "READY",
    "EXEC": "RUNNING",
    "SUCC": "SUCCESSFUL",
    "ABEND": "ERROR",
    "FAIL": "ERROR",
    "CANCL": "CANCELED",
    "SUPPR": "SUPPRESS",
}

# Phase codes used in cache keys: a job's JSON only changes when one of its runs changes phase.
HOLD, READY, EXEC, DONE = 0, 1, 2, 3


def run_phase(run, t: float) -> int | None:
    """Phase of `run` at `t`, or None when the run does not exist yet at `t`."""
    if run.attempt > 1 and t < run.ready:
        return None
    if t >= run.end:
        return DONE
    if run.start is None or t < run.ready:
        return HOLD
    if t < run.start:
        return READY
    return EXEC


def run_view(run, t: float) -> tuple[str, str, str | None] | None:
    """(internal status, common status, substatus) of `run` at `t`, or None when not visible yet."""
    phase = run_phase(run, t)
    if phase is None:
        return None
    if phase == DONE:
        status = run.status
        sub = {"SUPPR": "SUPPR_BY_RUN_CONDITION", "FAIL": "FAILED_TO_START", "SUCC": "SUCC_COMPLETED"}.get(
            status
        )
        return status, COMMON[status], sub
    if phase == EXEC:
        return "EXEC", "RUNNING", None
    if phase == READY:
        return "READY", "READY", "READY_SUBMITTED"
    if run.held:
        return "HOLD", "HELD", "HOLD_PRIORITY_ZERO"
    if run.job.pred and run.attempt == 1 and t >= run.job.sched:
        return "HOLD", "WAITING", "HOLD_WAITING_FOR_PREDECESSOR"
    return "HOLD", "WAITING", "HOLD_WAITING_FOR_TIME"


def job_signature(job, t: float) -> tuple:
    """A key that changes exactly when the job's served JSON changes."""
    out = [t >= job.sched]
    for r in job.runs:
        p = run_phase(r, t)
        if p is None:
            break
        out.append(p)
    return tuple(out)

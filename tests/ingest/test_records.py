"""The job_runs converter flattens a JobInPlanV2 into tws_raw.job_runs rows with the contract's types."""

import datetime as dt

import pytest

from resync_assets.lib.ingest.records import (
    JOB_RUN_COLUMNS,
    parse_duration,
    parse_instant,
    parse_max_duration,
)
from resync_assets.lib.ingest.runs_arrow import job_runs_arrow


def job_run_rows(job: dict) -> list[dict]:
    """The rows of one job as the converter builds them."""
    return job_runs_arrow([job]).to_pylist()


UTC = dt.UTC

JOB = {
    "id": "job-1",
    "name": "GL_EXTRACT",
    "jobStreamName": "GL_CLOSE",
    "jobStreamId": "js-1",
    "workstation": "AGT01",
    "folder": "/FIN/",
    "planId": "2026-11-20",
    "schedTime": "2026-11-20T22:30:00Z",
    "priority": 10,
    "timeZone": "Europe/Rome",
    "jobOptions": {"critical": True},
    "jobStatusFlags": {"jobLate": False, "deadlineHasPassed": True},
    "timeRestrictions": {"maxDuration": "PT1H30M", "deadlineTime": "2026-11-21T00:30:00+01:00"},
    "jobDefinition": {"recoveryOption": "RERUN", "task": {"UNIX": {"taskString": "/apps/gl.sh -d 20261120"}}},
    "jobruns": [
        {
            "id": "run-1",
            "actualWorkstation": "AGT01",
            "jobNumber": 48213,
            "runAttempt": 1,
            "rerunType": "REGULAR",
            "rerunJob": False,
            "lastInRerunChain": False,
            "returnCode": 19,
            "commonStatus": "ERROR",
            "compositeStatus": {"status": "ABEND", "substatus": None},
            "timeInfo": {
                "actualStartTime": "2026-11-20T22:41:07.250Z",
                "actualEndTime": "2026-11-20T22:58:44Z",
                "elapsedTime": "PT17M37.25S",
                "estimatedDuration": "PT10M",
            },
            "submittedTime": "2026-11-20T22:41:06Z",
            "maxDurationGone": True,
        },
        {
            "id": "run-2",
            "actualWorkstation": "AGT02",
            "jobNumber": 48300,
            "runAttempt": 2,
            "rerunType": "RECOVERY_RERUN",
            "rerunJob": True,
            "lastInRerunChain": True,
            "returnCode": None,
            "commonStatus": "RUNNING",
            "compositeStatus": {"status": "EXEC"},
            "timeInfo": {"actualStartTime": "2026-11-20T23:00:00+01:00"},
        },
    ],
}


def test_one_row_per_run_with_contract_columns():
    rows = job_run_rows(JOB)
    assert [r["run_id"] for r in rows] == ["run-1", "run-2"]
    for row in rows:
        assert tuple(row) == JOB_RUN_COLUMNS
        assert "first_seen_at" not in row and "last_seen_at" not in row


def test_values_and_types():
    first, second = job_run_rows(JOB)
    assert first == {
        "run_id": "run-1",
        "job_id": "job-1",
        "job_name": "GL_EXTRACT",
        "job_stream_name": "GL_CLOSE",
        "job_stream_id": "js-1",
        "workstation": "AGT01",
        "actual_workstation": "AGT01",
        "folder": "/FIN/",
        "plan_id": "2026-11-20",
        "sched_time": dt.datetime(2026, 11, 20, 22, 30, tzinfo=UTC),
        "job_number": 48213,
        "run_attempt": 1,
        "rerun_type": "REGULAR",
        "is_rerun": False,
        "last_in_rerun_chain": False,
        "return_code": 19,
        "common_status": "ERROR",
        "internal_status": "ABEND",
        "sub_status": None,
        "actual_start": dt.datetime(2026, 11, 20, 22, 41, 7, 250000, tzinfo=UTC),
        "actual_end": dt.datetime(2026, 11, 20, 22, 58, 44, tzinfo=UTC),
        "elapsed_seconds": 1057.25,
        "estimated_seconds": 600.0,
        "submitted_time": dt.datetime(2026, 11, 20, 22, 41, 6, tzinfo=UTC),
        "priority": 10,
        "is_critical": True,
        "is_late": False,
        "recovery_option": "RERUN",
        "task": "/apps/gl.sh -d 20261120",
        "time_zone": "Europe/Rome",
        "is_past_deadline": True,
        "is_max_duration_exceeded": True,
        "maxdur_seconds": 5400.0,
        "deadline_time": dt.datetime(2026, 11, 20, 23, 30, tzinfo=UTC),
    }
    assert isinstance(first["elapsed_seconds"], float)
    # Offsets are converted to UTC; missing values stay None.
    assert second["actual_start"] == dt.datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    assert second["actual_start"].utcoffset() == dt.timedelta(0)
    assert (
        second["actual_end"] is None and second["elapsed_seconds"] is None and second["return_code"] is None
    )
    assert second["is_rerun"] is True and second["sub_status"] is None
    # The deadline flag is the job's (every run of it); the maximum-duration flag is each run's own.
    assert second["is_past_deadline"] is True and second["is_max_duration_exceeded"] is None


def test_job_without_runs_gives_no_rows():
    assert job_run_rows({"id": "j"}) == []
    assert job_run_rows({"id": "j", "jobruns": []}) == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0S", 0.0),
        ("PT1H2M3.5S", 3723.5),
        ("P1DT2H", 93600.0),
        ("P2D", 172800.0),
        ("PT90M", 5400.0),
        ("-PT5S", -5.0),
        ("P1W", 604800.0),
        ("PT0,5S", 0.5),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "P", "PT", "5S", "PT5", "P1DT", "1 hour", "PT-5S"])
def test_malformed_duration_is_a_clear_error(text):
    with pytest.raises(ValueError, match="not an ISO-8601 duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("PT1H30M", 5400.0),  # the spec's type: an ISO-8601 duration
        (90, 5400.0),  # its description: minutes
        ("90", 5400.0),
        (-1, None),  # "-1 means no maximum duration specified"
        ("-1", None),
        ("-PT5M", None),
        (0, None),
        ("PT0S", None),
        (None, None),
    ],
)
def test_max_duration_as_the_spec_types_and_describes_it(value, seconds):
    assert parse_max_duration(value) == seconds


def test_no_max_duration_is_not_a_reject_and_minutes_are_read_on_both_paths():
    # A real server marks "no maxdur" with -1: a NULL, not a quarantined value on every such job;
    # the fast path and the per-field fallback (a bad deadline on the same page) agree.
    jobs = [
        {**JOB, "id": "a", "timeRestrictions": {"maxDuration": -1}},
        {**JOB, "id": "b", "timeRestrictions": {"maxDuration": "45"}},
        {**JOB, "id": "c", "timeRestrictions": {"maxDuration": "PT45M", "deadlineTime": "not a time"}},
    ]
    rejects: list = []
    rows = {(r["job_id"], r["run_id"]): r for r in job_runs_arrow(jobs, rejects).to_pylist()}
    assert rows[("a", "run-1")]["maxdur_seconds"] is None
    assert rows[("b", "run-1")]["maxdur_seconds"] == rows[("c", "run-2")]["maxdur_seconds"] == 2700.0
    assert [(r.job_id, r.field) for r in rejects] == [("c", "timeRestrictions.deadlineTime")]
    # Without a reject list (the strict path) the same values, and the bad deadline is an error.
    assert [r["maxdur_seconds"] for job in jobs[:2] for r in job_run_rows(job)] == [
        None,
        None,
        2700.0,
        2700.0,
    ]
    with pytest.raises(ValueError, match="job c: not an ISO-8601 instant: 'not a time'"):
        job_run_rows(jobs[2])


def test_malformed_values_name_the_run():
    bad = {**JOB, "jobruns": [{**JOB["jobruns"][0], "timeInfo": {"elapsedTime": "17 minutes"}}]}
    with pytest.raises(ValueError, match=r"job job-1 run run-1: not an ISO-8601 duration: '17 minutes'"):
        job_run_rows(bad)
    with pytest.raises(ValueError, match="not an ISO-8601 instant"):
        parse_instant("yesterday")


def test_naive_instant_is_utc():
    assert parse_instant("2026-01-02T03:04:05") == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_task_as_plain_string_or_unknown_object():
    job = {**JOB, "jobDefinition": {"task": "echo hi"}}
    assert job_run_rows(job)[0]["task"] == "echo hi"
    job = {**JOB, "jobDefinition": {"task": {"b": 1, "a": 2}}}
    assert job_run_rows(job)[0]["task"] == '{"a":2,"b":1}'


def test_definition_embedded_only_in_runs_is_used():
    run_def = {"recoveryOption": "STOP", "task": {"UNIX": {"taskString": "run.sh"}}}
    job = {
        **{k: v for k, v in JOB.items() if k != "jobDefinition"},
        "jobruns": [{**JOB["jobruns"][0], "jobDefinition": run_def}],
    }
    (row,) = job_run_rows(job)
    assert (row["recovery_option"], row["task"]) == ("STOP", "run.sh")

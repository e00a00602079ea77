"""The one job_runs converter (pages decoded to msgspec structs, then Arrow in bulk) gives exactly the
rows, and the errors, of the plain dict-per-run oracle (tests/reference_rows.py), whether the page
was decoded into structs or read as dicts."""

from __future__ import annotations

import copy

import orjson
import pytest

from resync_assets.lib.ingest.plans import read_plan_runs
from resync_assets.lib.ingest.records import decode_job_page
from resync_assets.lib.ingest.runs_arrow import job_runs_arrow
from resync_assets.lib.tws import TwsClient, TwsSettings
from tests.ingest.test_records import JOB
from tests.reference_rows import job_run_rows, job_runs_table


def _slow(jobs: list[dict]) -> list[dict]:
    return [row for job in jobs for row in job_run_rows(job)]


def _fast(jobs: list[dict]) -> list[dict]:
    return job_runs_arrow(
        decode_job_page(orjson.dumps({"count": len(jobs), "results": jobs})).results
    ).to_pylist()


def _variant(**changes) -> dict:
    job = copy.deepcopy(JOB)
    job.update(changes)
    return job


ODD_JOBS = [
    JOB,
    _variant(id="no-runs", jobruns=[]),
    _variant(id="null-runs", jobruns=None),
    _variant(id="no-definition", jobDefinition=None),
    _variant(id="empty-definition", jobDefinition={}),
    _variant(id="task-text", jobDefinition={"task": "/bin/true", "recoveryOption": "STOP"}),
    _variant(id="task-other", jobDefinition={"task": {"ZOS": {"jcl": "X"}, "other": 1}}),
    _variant(
        id="text-numbers",
        priority="7",
        schedTime=None,
        jobOptions=None,
        jobStatusFlags={},
        unknownField={"deep": [1, 2, {"x": None}]},
    ),
    _variant(id="bool-ints", jobOptions={"critical": 1}, jobStatusFlags={"jobLate": 0}, priority=True),
    _variant(
        id="zones",
        schedTime="2026-11-20T22:30:00",
        jobruns=[
            {
                "id": "r-z",
                "jobNumber": "42",
                "runAttempt": 1.0,
                "rerunJob": 1,
                "lastInRerunChain": None,
                "returnCode": "3",
                "compositeStatus": None,
                "timeInfo": None,
                "submittedTime": "2026-11-20T23:00:00+02:00",
                "extra": "ignored",
            }
        ],
    ),
    _variant(
        id="def-in-run",
        jobDefinition=None,
        jobruns=[
            {
                "id": "r-d",
                "jobDefinition": {"recoveryOption": "CONTINUE", "task": {"UNIX": {"taskString": "ls"}}},
                "timeInfo": {
                    "actualStartTime": "2026-11-20T22:00:00Z",
                    "actualEndTime": "2026-11-20T22:00:00.5-05:00",
                    "elapsedTime": "P1DT2H",
                    "estimatedDuration": "-PT5S",
                },
            },
            {"id": "r-d2", "timeInfo": {}},
        ],
    ),
]


def test_fast_rows_equal_job_run_rows_on_odd_jobs():
    assert _fast(ODD_JOBS) == job_runs_table(_slow(ODD_JOBS)).to_pylist()
    assert job_runs_arrow(ODD_JOBS).equals(job_runs_table(_slow(ODD_JOBS)))
    assert len(_slow(ODD_JOBS)) > 8


def test_fast_rows_equal_job_run_rows_on_a_simulator_page(simulator, client):
    jobs = next(client.iter_job_pages(plan_id="current", page_size=300))
    assert _fast(jobs) == job_runs_table(_slow(jobs)).to_pylist()


@pytest.mark.parametrize(
    "run_change",
    [
        {"timeInfo": {"actualStartTime": "yesterday"}},
        {"timeInfo": {"elapsedTime": "17 minutes"}},
        {"jobNumber": "forty-two"},
        {"submittedTime": 12},
    ],
)
def test_fast_rows_raise_the_errors_of_job_run_rows(run_change):
    bad = copy.deepcopy(JOB)
    bad["jobruns"][1].update(run_change)
    with pytest.raises(ValueError) as slow:
        _slow([bad])
    with pytest.raises(ValueError) as fast:
        _fast([JOB, bad])
    assert str(fast.value) == str(slow.value)


def test_a_page_the_structs_do_not_fit_is_not_decoded_by_them():
    odd = _variant(jobruns=[{"id": "r", "compositeStatus": "ABEND"}])
    assert decode_job_page(orjson.dumps({"results": [odd]})) is None
    assert decode_job_page(b'{"results": [') is None


@pytest.fixture
def odd_server(serve):
    """A server answering one page whose shape the structs do not fit (a status given as text)."""
    odd = _variant(jobruns=[{"id": "r", "compositeStatus": "ABEND"}])
    good = _variant(id="job-2")
    body = orjson.dumps({"count": 2, "results": [good, odd]})
    return serve(lambda path, query: (200, {"Content-Type": "application/json"}, body)), [good, odd]


def test_a_page_read_as_dicts_goes_through_the_same_converter(odd_server):
    base_url, _ = odd_server
    with TwsClient(TwsSettings(base_url, token="t", max_retries=0)) as client:
        pages = list(client.iter_job_pages(plan_id="2026-11-20", page_size=10, decode=decode_job_page))
        assert [type(job) for job in pages[0]] == [dict, dict]
        with pytest.raises(ValueError, match="job job-1"):
            read_plan_runs(client, "2026-11-20", page_size=10)


def test_job_runs_arrow_equals_the_table_of_the_rows(simulator, client):
    jobs = next(client.iter_job_pages(plan_id="current", page_size=300))
    for sample in (jobs, ODD_JOBS, JOB_PAIR := [JOB, _variant(id="j2")]):
        page = decode_job_page(orjson.dumps({"results": sample})).results
        assert job_runs_arrow(page).equals(job_runs_table(_slow(sample)))
        assert job_runs_arrow(sample).equals(job_runs_table(_slow(sample)))
    assert job_runs_arrow(decode_job_page(orjson.dumps({"results": JOB_PAIR[:0]})).results).num_rows == 0


def test_job_runs_arrow_raises_the_errors_of_job_run_rows():
    bad = copy.deepcopy(JOB)
    bad["jobruns"][0]["timeInfo"]["elapsedTime"] = "soon"
    with pytest.raises(ValueError) as slow:
        _slow([bad])
    with pytest.raises(ValueError) as fast:
        job_runs_arrow(decode_job_page(orjson.dumps({"results": [JOB, bad]})).results)
    assert str(fast.value) == str(slow.value)

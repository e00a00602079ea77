"""The dlt source's pure parts: the bulk Arrow converter of decoded pages against the reference rows,
plan selection."""

from __future__ import annotations

import datetime as dt

import orjson
import pyarrow as pa
import pytest

from resync_assets.lib.ingest.records import decode_job_page
from resync_assets.lib.ingest.runs_arrow import JOB_RUN_CONTENT_SCHEMA, job_runs_arrow
from resync_assets.lib.ingest.source import is_terminal, select_plans
from resync_assets.lib.tws import TwsClient
from tests.ingest.conftest import settings_for
from tests.reference_rows import reference_table


def _reference(jobs: list[dict]) -> pa.Table:
    return reference_table(jobs)


def job_runs_from_jobs(jobs: list[dict]) -> pa.Table:
    """What the source builds from a page it read: the page decoded to structs, then to Arrow in bulk."""
    return job_runs_arrow(decode_job_page(orjson.dumps({"count": len(jobs), "results": jobs})).results)


def test_bulk_conversion_equals_job_run_rows_on_every_plan_the_simulator_serves(simulator):
    with TwsClient(settings_for(simulator)) as client:
        for plan_id in simulator.workload.plan_ids():
            jobs = [job for page in client.iter_job_pages(plan_id=plan_id) for job in page]
            fast = job_runs_from_jobs(jobs)
            assert fast.schema == JOB_RUN_CONTENT_SCHEMA
            assert fast.num_rows > 0 and fast.equals(_reference(jobs)), plan_id


def _job(**run_overrides) -> dict:
    run = {
        "id": "R1",
        "commonStatus": "SUCCESSFUL",
        "compositeStatus": {"status": "SUCC"},
        "returnCode": 0,
        "timeInfo": {
            "actualStartTime": "2025-03-14T01:00:00Z",
            "actualEndTime": "2025-03-14T01:02:03.500Z",
            "elapsedTime": "PT2M3.5S",
            "estimatedDuration": "P1DT1H",
        },
    }
    run.update(run_overrides)
    return {
        "id": "J1",
        "name": "JOB",
        "planId": "2025-03-14",
        "schedTime": "2025-03-14T00:00:00+00:00",
        "jobDefinition": {"task": {"command": "/bin/true"}},
        "jobruns": [run],
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"timeInfo": {"elapsedTime": "-PT5S", "estimatedDuration": "PT0,5S"}},
        {"timeInfo": {"actualStartTime": "2025-03-14T03:00:00+02:00"}},
        {"returnCode": None, "commonStatus": "RUNNING", "timeInfo": {}},
        {
            "timeInfo": {"actualStartTime": "2025-03-14T01:00:00"}
        },  # no zone: the reference path reads it as UTC
        {"jobNumber": True},  # odd type: the reference path converts it
    ],
)
def test_bulk_conversion_matches_the_reference_on_edge_values(overrides):
    jobs = [_job(**overrides), {"id": "J2", "jobruns": []}]
    assert job_runs_from_jobs(jobs).equals(_reference(jobs))


def test_a_malformed_duration_is_an_error_naming_the_run():
    with pytest.raises(ValueError, match="R1.*not an ISO-8601 duration"):
        job_runs_from_jobs([_job(timeInfo={"elapsedTime": "5 minutes"})])


def test_plan_selection_skips_closed_days_and_keeps_open_ones():
    state = {"closed_plans": {"2025-03-12": {}}, "open_plans": ["2025-03-01", "2025-03-14"]}
    picked = select_plans(
        state, "2025-03-14", backfill_days=3, plan_id_format="%Y-%m-%d", today=dt.date(2030, 1, 1)
    )
    assert picked.current_plan_id == "2025-03-14"
    assert picked.archived == ("2025-03-01", "2025-03-13", "2025-03-11")
    assert picked.anchor == dt.date(2025, 3, 14)


def test_plan_selection_asks_no_day_of_a_server_whose_plan_ids_are_not_days():
    # The spec's plan ids are UUID-shaped and the API cannot list plans: only plans seen as current
    # are read again; days would be 404s on every first load.
    state = {"open_plans": ["PLAN-76", "PLAN-77"]}
    picked = select_plans(
        state, "PLAN-77", backfill_days=2, plan_id_format="%Y-%m-%d", today=dt.date(2025, 3, 14)
    )
    assert picked.archived == ("PLAN-76",) and picked.anchor == dt.date(2025, 3, 14)
    assert select_plans(
        {}, None, backfill_days=2, plan_id_format="%Y-%m-%d", today=dt.date(2025, 3, 14)
    ).archived == (
        "2025-03-13",
        "2025-03-12",
    )


@pytest.mark.parametrize(
    ("statuses", "terminal"),
    [
        ([], True),
        (["SUCCESSFUL", "ERROR", "CANCELED"], True),
        (["SUCCESSFUL", "RUNNING"], False),
        ([None], False),
    ],
)
def test_a_plan_is_terminal_only_when_every_run_is(statuses, terminal):
    table = pa.table({"common_status": pa.array(statuses, pa.string())})
    assert is_terminal(table) is terminal


def test_first_per_run_keeps_the_first_row_of_each_run_in_order():
    from resync_assets.lib.ingest.source import _first_per_run

    table = pa.table(
        {"run_id": ["c", "a", "c", "b", "a", "d"], "plan_id": ["p3", "p3", "p2", "p2", "p1", "p1"]}
    )
    assert _first_per_run(table).to_pydict() == {
        "run_id": ["c", "a", "b", "d"],
        "plan_id": ["p3", "p3", "p2", "p1"],
    }
    unique = table.slice(0, 2)
    assert _first_per_run(unique) is unique

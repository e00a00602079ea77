"""Paging, OQL and the by-id calls against the simulator over real HTTP."""

import datetime as dt

import pytest

from resync_assets.lib.ingest.records import JOB_RUN_COLUMNS
from resync_assets.lib.tws import Oql, TwsApiError, TwsNotFoundError
from tests.reference_rows import job_run_rows


def _run_ids(client, plan_id, **kwargs):
    return [row["run_id"] for job in client.iter_jobs(plan_id=plan_id, **kwargs) for row in job_run_rows(job)]


def test_every_plan_pages_completely_without_gaps_or_repeats(simulator, client):
    plan_ids = simulator.workload.plan_ids()
    assert len(plan_ids) == 5
    for plan_id in plan_ids:
        # A page size that does not divide the job count exercises the short last page.
        ids = _run_ids(client, plan_id, page_size=7)
        truth = {r["run_id"] for r in simulator.workload.runs(plan_id)}
        assert len(ids) == len(set(ids)), f"repeated runs in plan {plan_id}"
        assert set(ids) == truth, f"plan {plan_id}: missing {truth - set(ids)}, extra {set(ids) - truth}"
    stats = client.stats
    assert stats["retries"] == 0 and stats["errors"] == 0


def test_current_plan_alias_equals_its_date(simulator, client):
    today = simulator.workload.current_date().isoformat()
    assert sorted(_run_ids(client, "current")) == sorted(_run_ids(client, today))


def test_pages_are_sorted_by_id_and_sized(simulator, client):
    pages = list(client.iter_job_pages(plan_id="current", page_size=10))
    sizes = [len(p) for p in pages]
    assert all(s == 10 for s in sizes[:-1]) and 1 <= sizes[-1] <= 10
    ids = [job["id"] for page in pages for job in page]
    assert ids == sorted(ids)
    assert len(ids) == client.count_jobs(plan_id="current")["count"]


def test_requests_carry_paging_headers_and_default_order(simulator, client_for):
    sent = []
    c = client_for(simulator, event_hooks={"request": [sent.append]})
    jobs = list(c.iter_jobs(plan_id="current", page_size=25))
    pages = [r for r in sent if r.url.path.endswith("/plan/job")]
    assert len(pages) == -(-len(jobs) // 25)
    offsets = [int(r.url.params["offset"]) for r in pages]
    assert offsets == list(range(0, 25 * len(pages), 25))
    for request in pages:
        assert request.headers["Include-Count"] == "true"
        assert request.headers["Accept"] == "application/json"
        assert request.headers["Local-Timezone"] == "UTC"
        assert request.url.params["oql"] == "ORDER BY id ASC"
        assert request.url.params["limit"] == "25"


def test_caller_order_is_kept(simulator, client):
    jobs = list(
        client.iter_jobs(plan_id="current", oql=Oql().order_by("name", desc=True).order_by("id"), page_size=9)
    )
    keys = [(j["name"], j["id"]) for j in jobs]
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)
    assert len({j["id"] for j in jobs}) == len(jobs)


def test_oql_filter_selects_exactly_the_matching_jobs(simulator, client):
    everything = list(client.iter_jobs(plan_id="current"))
    stream = everything[0]["jobStreamName"]
    selected = list(client.iter_jobs(plan_id="current", oql=Oql.eq("jobStreamName", stream), page_size=3))
    assert {j["id"] for j in selected} == {j["id"] for j in everything if j["jobStreamName"] == stream}
    failed = list(client.iter_jobs(plan_id="current", oql=Oql.in_("jobruns.commonStatus", ["ERROR"])))
    assert {j["id"] for j in failed} == {
        j["id"] for j in everything if any(r.get("commonStatus") == "ERROR" for r in j.get("jobruns") or [])
    }


def test_quotes_in_values_cannot_widen_the_query(simulator, client):
    everything = list(client.iter_jobs(plan_id="current"))
    name = everything[0]["name"]
    hostile = f"{name}' OR name != '"
    # Pasted into the text, the value widens the query to every job ...
    widened = list(client.iter_jobs(plan_id="current", oql=f"name = '{hostile}'"))
    assert len(widened) == len(everything) > 1
    # ... built with Oql it stays one literal that matches no job.
    assert list(client.iter_jobs(plan_id="current", oql=Oql.eq("name", hostile))) == []
    assert list(client.iter_jobs(plan_id="current", oql=Oql.like("name", "@'@"))) == []


def test_instant_and_duration_values_filter_server_side(simulator, client):
    now = simulator.clock.now()
    since = now - dt.timedelta(hours=6)
    jobs = list(
        client.iter_jobs(
            plan_id="current",
            oql=Oql.ge("jobruns.timeInfo.actualStartTime", since)
            & Oql.gt("jobruns.timeInfo.elapsedTime", dt.timedelta(seconds=30)),
        )
    )
    assert 0 < len(jobs) < len(list(client.iter_jobs(plan_id="current")))
    for job in jobs:
        rows = job_run_rows(job)
        assert any(r["actual_start"] >= since and (r["elapsed_seconds"] or 0) > 30 for r in rows)


def test_bad_oql_is_a_clear_400_not_retried(simulator, client):
    with pytest.raises(TwsApiError) as info:
        list(client.iter_jobs(plan_id="current", oql="name = = 'x'"))
    assert info.value.status == 400
    assert "GET /twsd/api/v2/plan/job" in str(info.value)
    assert client.stats["retries"] == 0


def test_count_get_job_streams_and_workstations(simulator, client):
    jobs = list(client.iter_jobs(plan_id="current"))
    counted = client.count_jobs(plan_id="current", grouping=["status"])
    assert counted["count"] == len(jobs)
    assert sum(counted["groupedCount"].values()) == len(jobs)
    one = client.get_job(jobs[3]["id"], plan_id="current")
    assert one["id"] == jobs[3]["id"] and one["name"] == jobs[3]["name"]
    with pytest.raises(TwsNotFoundError) as info:
        client.get_job("00000000-0000-0000-0000-000000000000")
    assert info.value.status == 404
    streams = list(client.iter_job_streams(plan_id="current", page_size=4))
    assert {s["id"] for s in streams} >= {j["jobStreamId"] for j in jobs}
    workstations = list(client.iter_workstations(page_size=2))
    assert {w["name"] for w in workstations} >= {j["workstation"] for j in jobs}
    assert client.engine_info()["timezone"] == "UTC"
    with pytest.raises(ValueError, match="grouping"):
        client.count_jobs(grouping="colour")


def test_job_run_rows_types_on_real_pages(simulator, client):
    rows = [
        r for job in client.iter_jobs(plan_id=simulator.workload.plan_ids()[-2]) for r in job_run_rows(job)
    ]
    assert rows
    types = {
        "job_number": int,
        "run_attempt": int,
        "priority": int,
        "return_code": int,
        "is_rerun": bool,
        "last_in_rerun_chain": bool,
        "is_critical": bool,
        "is_late": bool,
        "is_past_deadline": bool,
        "is_max_duration_exceeded": bool,
        "maxdur_seconds": float,
        "deadline_time": dt.datetime,
        "elapsed_seconds": float,
        "estimated_seconds": float,
        "sched_time": dt.datetime,
        "actual_start": dt.datetime,
        "actual_end": dt.datetime,
        "submitted_time": dt.datetime,
    }
    for row in rows:
        assert tuple(row) == JOB_RUN_COLUMNS
        for column in JOB_RUN_COLUMNS:
            value = row[column]
            if value is None:
                continue
            expected = types.get(column, str)
            assert isinstance(value, expected), (column, value)
            if expected is dt.datetime:
                assert value.utcoffset() == dt.timedelta(0)
    assert all(r["run_id"] and r["job_id"] and r["plan_id"] for r in rows)
    assert any(r["return_code"] is not None for r in rows)
    # The jobs' time restrictions arrive (the simulator sets maxdur and deadlines on some jobs).
    assert any(r["maxdur_seconds"] for r in rows) and any(r["deadline_time"] for r in rows)


def test_scope_header_trims_definitions(simulator, client):
    plan_id = simulator.workload.plan_ids()[1]
    full = list(client.iter_jobs(plan_id=plan_id))
    lean = list(client.iter_jobs(plan_id=plan_id, scope="WHOLE_NO_JOB_DEFINITIONS"))
    assert [j["id"] for j in lean] == [j["id"] for j in full]
    assert all("jobDefinition" not in j for j in lean)
    rows_full = [r for j in full for r in job_run_rows(j)]
    rows_lean = [r for j in lean for r in job_run_rows(j)]
    assert [r["run_id"] for r in rows_lean] == [r["run_id"] for r in rows_full]
    assert all(r["task"] is None and r["recovery_option"] is None for r in rows_lean)
    with pytest.raises(ValueError, match="scope must be one of"):
        list(client.iter_jobs(scope="EVERYTHING"))

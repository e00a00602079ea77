"""Every request the client sends, and every response it uses, matches the TWS API spec fixture."""

from __future__ import annotations

import pytest
from openapi_core.validation.request.exceptions import SecurityValidationError

from resync_assets.lib.tws import Oql, TwsClient, TwsSettings
from tests.contract.openapi_check import (
    OpenAPIRequest,
    OpenAPIResponse,
    Recorder,
    load_spec,
    match_operation,
    openapi_for,
    undeclared_parameters,
)


def _exercise(client: TwsClient, sim) -> None:
    """Call every public client method at least once, with every optional parameter used."""
    client.engine_info()
    jobs = list(
        client.iter_jobs(
            plan_id="current", oql=Oql.eq("jobStreamName", "x") | Oql.ne("name", None), page_size=20
        )
    )
    archived = sim.workload.plan_ids()[0]
    list(client.iter_job_pages(plan_id=archived, page_size=30, scope="WHOLE_NO_JOB_DEFINITIONS"))
    client.count_jobs(plan_id="current")
    client.count_jobs(plan_id=archived, grouping=["workstation", "status"])
    client.get_job(jobs[0]["id"], plan_id="current")
    list(client.iter_job_streams(plan_id="current", oql=Oql.like("name", "@"), page_size=5))
    list(client.iter_workstations(page_size=3))
    row = next(r for p in sim.workload.plan_ids() for r in sim.workload.runs(p) if r["status"] == "ABEND")
    client.get_joblog(row["run_id"], plan_id=row["plan_id"])
    client.get_joblog(row["run_id"], from_line=2, to_line=6, content_only=True)
    list(client.follow_joblog(row["run_id"], plan_id=row["plan_id"]))


@pytest.fixture(scope="module")
def api(simulator):
    """openapi-core validator for the shared simulator (building one takes a while)."""
    return openapi_for(simulator.base_url)


@pytest.fixture(scope="module")
def exchanges(simulator):
    """Every request/response of one exercise of the client, for token and for basic auth."""
    from tests.conftest import SIM_PASSWORD, SIM_TOKEN, SIM_USER

    recorded = {}
    for kind, creds in (
        ("token", {"token": SIM_TOKEN}),
        ("basic", {"user": SIM_USER, "password": SIM_PASSWORD}),
    ):
        recorder = Recorder()
        with TwsClient(TwsSettings(simulator.base_url, **creds), event_hooks=recorder.hooks) as client:
            _exercise(client, simulator)
        recorded[kind] = recorder.exchanges
    return recorded


def test_every_operation_the_client_uses_was_exercised(exchanges):
    used = {match_operation(e.request.url.path)[0] for e in exchanges["token"]}
    assert used == {
        "/twsd/api/v2/engine/info",
        "/twsd/api/v2/plan/job",
        "/twsd/api/v2/plan/job/count",
        "/twsd/api/v2/plan/job/{job_id}",
        "/twsd/api/v2/plan/jobstream",
        "/twsd/api/v2/plan/workstation",
        "/twsd/api/v2/plan/job/run/{run_id}/joblog",
    }


@pytest.mark.parametrize("auth", ["token", "basic"])
def test_requests_use_only_declared_parameters_and_headers(exchanges, auth):
    for exchange in exchanges[auth]:
        assert exchange.request.method == "GET"
        assert undeclared_parameters(exchange.request) == [], exchange.request.url


def test_requests_validate_against_the_spec(api, exchanges):
    for exchange in exchanges["token"]:
        errors = list(api.iter_request_errors(OpenAPIRequest(exchange.request)))
        assert errors == [], (exchange.request.url, [f"{e}: {e.__cause__}" for e in errors])


def test_basic_auth_requests_differ_only_in_the_declared_security(api, exchanges):
    # Each operation of the export declares only the JWT bearer scheme, while the document default
    # allows Basic too and real servers accept it; everything but that must validate.
    for exchange in exchanges["basic"]:
        assert exchange.request.headers["Authorization"].startswith("Basic ")
        errors = list(api.iter_request_errors(OpenAPIRequest(exchange.request)))
        assert all(isinstance(e, SecurityValidationError) for e in errors), (exchange.request.url, errors)


def test_responses_validate_against_the_spec(api, exchanges):
    checked = 0
    for exchange in exchanges["token"]:
        assert exchange.response is not None and exchange.response.status_code == 200, exchange.request.url
        errors = list(
            api.iter_response_errors(OpenAPIRequest(exchange.request), OpenAPIResponse(exchange.response))
        )
        assert errors == [], (exchange.request.url, [f"{e}: {e.__cause__}" for e in errors])
        checked += 1
    assert checked >= 10


def test_declared_headers_are_sent_only_where_declared(exchanges):
    spec = load_spec()
    assert spec["openapi"].startswith("3.1")
    for exchange in exchanges["token"]:
        request = exchange.request
        paged = request.url.path.endswith(("/plan/job", "/plan/jobstream", "/plan/workstation"))
        assert ("Include-Count" in request.headers) == paged
        if request.url.path.endswith("/engine/info"):
            assert "Local-Timezone" not in request.headers
        else:
            assert request.headers["Local-Timezone"] == "UTC"
        expected_accept = "text/plain" if request.url.path.endswith("/joblog") else "application/json"
        assert request.headers["Accept"] == expected_accept

"""The simulated REST API: paging, parameters, errors, auth and spec conformance over real HTTP."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from resync_assets.sim.workload import WorkloadConfig

SPEC_PATH = Path(__file__).parents[1] / "fixtures" / "tws_api" / "WA_API3_v2.subset.json"
UUID = re.compile(r"^(\w{8}-)(\w{4}-){3}(\w{12})$")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DURATION = re.compile(r"^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$")


@pytest.fixture(scope="module")
def client(simulator):
    with httpx.Client(base_url=simulator.api_url, auth=("resync", "resync-pw"), timeout=30) as c:
        yield c


def _deviations_relaxed(spec: dict) -> dict:
    """The spec with the one deliberate deviation relaxed: `planId` carries the production day
    `YYYY-MM-DD` (see docs/simulator.md), not a UUID, so its UUID pattern is dropped."""
    spec = copy.deepcopy(spec)
    for schema in spec["components"]["schemas"].values():
        plan_id = schema.get("properties", {}).get("planId")
        if plan_id is not None:
            plan_id.pop("pattern", None)
    return spec


@pytest.fixture(scope="module")
def validate():
    spec = _deviations_relaxed(json.loads(SPEC_PATH.read_text()))
    registry = Registry().with_resource(
        "spec", Resource.from_contents(spec, default_specification=DRAFT202012)
    )

    def check(schema_name: str, instance) -> None:
        validator = Draft202012Validator(
            {"$ref": f"spec#/components/schemas/{schema_name}"}, registry=registry
        )
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]

    return check


# --- paging -----------------------------------------------------------------------------------


def test_paging_walks_every_job_once_in_id_order(client):
    first = client.get("/plan/job", params={"limit": 7}, headers={"Include-Count": "true"}).json()
    total = first["count"]
    seen = []
    offset = 0
    while True:
        page = client.get("/plan/job", params={"limit": 7, "offset": offset}).json()
        seen.extend(j["id"] for j in page["results"])
        if "next" not in page:
            break
        offset += len(page["results"])
    assert len(seen) == total == len(set(seen))
    assert seen == sorted(seen)


def test_next_and_previous_links_are_followable(client):
    page = client.get("/plan/job", params={"limit": 5, "offset": 5, "oql": "folder LIKE '/@'"}).json()
    assert "offset=10" in page["next"] and "offset=0" in page["previous"]
    nxt = client.get(page["next"]).json()
    prev = client.get(page["previous"]).json()
    direct = client.get("/plan/job", params={"limit": 5, "offset": 10}).json()
    assert [j["id"] for j in nxt["results"]] == [j["id"] for j in direct["results"]]
    assert "previous" not in prev
    assert prev["results"][0]["id"] < page["results"][0]["id"]


def test_include_count_false_omits_count(client):
    page = client.get("/plan/job", params={"limit": 2}, headers={"Include-Count": "false"}).json()
    assert "count" not in page and len(page["results"]) == 2
    default = client.get("/plan/job", params={"limit": 2}).json()
    assert default["count"] > 2


def test_last_page_has_no_next(client):
    total = client.get("/plan/job", params={"limit": 1}).json()["count"]
    last = client.get("/plan/job", params={"limit": 10, "offset": total - 3}).json()
    assert len(last["results"]) == 3 and "next" not in last
    beyond = client.get("/plan/job", params={"limit": 10, "offset": total + 5}).json()
    assert beyond["results"] == [] and beyond["count"] == total


@pytest.mark.parametrize(
    "params", [{"limit": "abc"}, {"limit": -1}, {"offset": -5}, {"limit": 100_001}, {"offset": "1.5"}]
)
def test_bad_paging_parameters_are_400(client, params):
    r = client.get("/plan/job", params=params)
    assert r.status_code == 400
    assert r.json()["messageCode"].startswith("AWSJSY")


def test_bad_include_count_header_is_400(client):
    assert client.get("/plan/job", headers={"Include-Count": "maybe"}).status_code == 400


# --- plans --------------------------------------------------------------------------------------


def test_archived_plan_ids_are_production_days(client, simulator):
    ids = simulator.workload.plan_ids()
    assert ids[-1] == simulator.workload.current_date().isoformat()
    for plan_id in ids[:-1]:
        page = client.get("/plan/job", params={"plan_id": plan_id, "limit": 3}).json()
        assert page["results"] and all(j["planId"] == plan_id for j in page["results"])
        assert all(j["archived"] for j in page["results"])
    current = client.get("/plan/job", params={"limit": 3}).json()["results"]
    assert {j["planId"] for j in current} == {ids[-1]}


@pytest.mark.parametrize("plan_id", ["2020-01-01", "2099-01-01", "yesterday", "2025-3-1"])
def test_unknown_plan_is_404(client, plan_id):
    r = client.get("/plan/job", params={"plan_id": plan_id})
    assert r.status_code == 404
    assert "AWSJSY404E" in r.json()["message"]


def test_job_by_id_and_404(client):
    job = client.get("/plan/job", params={"limit": 1}).json()["results"][0]
    again = client.get(f"/plan/job/{job['id']}")
    assert again.status_code == 200 and again.json() == job
    assert client.get("/plan/job/00000000-0000-0000-0000-000000000000").status_code == 404
    desc = client.get(f"/plan/job/{job['id']}/model/description").json()
    assert desc["name"] == job["name"]


def test_runs_of_a_job_are_consistent(client):
    jobs = client.get("/plan/job", params={"plan_id": client.get("/plan/job").json()["results"][0]["planId"]})
    for job in jobs.json()["results"]:
        runs = job["jobruns"]
        assert runs, job["name"]
        assert [r["runAttempt"] for r in runs] == list(range(1, len(runs) + 1))
        assert [r["lastInRerunChain"] for r in runs] == [False] * (len(runs) - 1) + [True]
        assert job["lastRunCommonStatus"] == runs[-1]["commonStatus"]
        assert job["lastRunCompositeStatus"]["status"] == runs[-1]["compositeStatus"]["status"]
        for r in runs:
            assert UUID.match(r["id"]) and r["jobId"] == job["id"]
            assert r["rerunJob"] == (r["runAttempt"] > 1)
            ti = r["timeInfo"]
            for key in ("actualStartTime", "actualEndTime"):
                if key in ti:
                    assert INSTANT.match(ti[key]), ti[key]
            if "elapsedTime" in ti:
                assert DURATION.match(ti["elapsedTime"]), ti["elapsedTime"]
        assert UUID.match(job["id"]) and UUID.match(job["jobStreamId"]) and INSTANT.match(job["schedTime"])


def test_every_state_appears_across_the_window(make_simulator):
    from datetime import UTC, datetime

    from resync_assets.sim.clock import ManualClock

    clock = ManualClock(datetime(2025, 3, 14, 0, 30, tzinfo=UTC))
    sim = make_simulator(WorkloadConfig(seed=3, days=10, jobs=300), clock=clock)
    seen = set()
    with httpx.Client(base_url=sim.api_url, auth=("resync", "resync-pw")) as c:
        for plan_id in sim.workload.plan_ids()[:-1]:
            for job in c.get("/plan/job", params={"plan_id": plan_id}).json()["results"]:
                seen.update((r["compositeStatus"]["status"], r["commonStatus"]) for r in job["jobruns"])
        for _ in range(12):  # the current plan through the day
            for job in c.get("/plan/job").json()["results"]:
                seen.update((r["compositeStatus"]["status"], r["commonStatus"]) for r in job["jobruns"])
            clock.advance(2 * 3600)
    statuses = {s for s, _ in seen}
    assert {"SUCC", "ABEND", "FAIL", "CANCL", "SUPPR", "HOLD", "EXEC", "READY"} <= statuses
    assert {"SUCCESSFUL", "ERROR", "CANCELED", "SUPPRESS", "WAITING", "RUNNING", "READY", "HELD"} <= {
        c for _, c in seen
    }
    assert ("FAIL", "ERROR") in seen and ("ABEND", "ERROR") in seen


# --- filters ------------------------------------------------------------------------------------


def test_oql_filters_on_the_server(client, simulator):
    plan_id = simulator.workload.plan_ids()[0]
    everything = client.get("/plan/job", params={"plan_id": plan_id}).json()["results"]
    failed = client.get(
        "/plan/job", params={"plan_id": plan_id, "oql": "jobruns.compositeStatus.status IN ['ABEND', 'FAIL']"}
    ).json()
    expected = [
        j["id"]
        for j in everything
        if any(r["compositeStatus"]["status"] in ("ABEND", "FAIL") for r in j["jobruns"])
    ]
    assert [j["id"] for j in failed["results"]] == expected and failed["count"] == len(expected)
    ordered = client.get("/plan/job", params={"plan_id": plan_id, "oql": "ORDER BY name DESC, id ASC"}).json()
    names = [j["name"] for j in ordered["results"]]
    assert names == sorted(names, reverse=True)


def test_bad_oql_is_400_with_tws_message(client):
    for oql in ("name = ", "nmae = 'x'", "name = 'it''s"):
        r = client.get("/plan/job", params={"oql": oql})
        assert r.status_code == 400
        body = r.json()
        assert body["messageCode"] == "AWSJSY102E" and "OQL" in body["message"]


def test_quote_escaping_round_trip(client):
    assert client.get("/plan/job", params={"oql": "name = 'O''Brien'"}).json()["count"] == 0


def test_plan_filter(client):
    total = client.get("/plan/job").json()["count"]
    assert client.get("/plan/job", params={"plan_filter": "/@/@#/@/@.@"}).json()["count"] == total
    some = client.get("/plan/job", params={"plan_filter": "/@/@#/FIN/@.@"}).json()
    assert all(j["folder"] == "/FIN/" for j in some["results"])


def test_job_count_grouped(client):
    assert client.get("/plan/job/count").status_code == 400  # plan_filter is required
    r = client.get(
        "/plan/job/count", params={"plan_filter": "/@/@#/@/@.@", "grouping_filters": "workstation,status"}
    ).json()
    assert r["count"] == client.get("/plan/job").json()["count"] == sum(r["groupedCount"].values())
    assert all(len(k.split(";")) == 2 for k in r["groupedCount"])
    assert (
        client.get(
            "/plan/job/count", params={"plan_filter": "/@/@#/@/@.@", "grouping_filters": "colour"}
        ).status_code
        == 400
    )


# --- other objects --------------------------------------------------------------------------


def test_schemas_match_the_spec(client, validate, simulator):
    validate("PaginatedResponseV221", client.get("/plan/job").json())
    validate(
        "PaginatedResponseV221",
        client.get("/plan/job", params={"plan_id": simulator.workload.plan_ids()[0]}).json(),
    )
    streams = client.get("/plan/jobstream").json()
    validate("PaginatedResponseV223", streams)
    one = client.get(f"/plan/jobstream/{streams['results'][0]['id']}").json()
    validate("JobStreamInPlanV2", one)
    assert one["jobs"] and all(j["jobStreamId"] == one["id"] for j in one["jobs"])
    workstations = client.get("/plan/workstation").json()
    validate("PaginatedResponseV226", workstations)
    validate(
        "WorkstationInPlanV2", client.get(f"/plan/workstation/{workstations['results'][0]['id']}").json()
    )
    validate("EngineInfoV2", client.get("/engine/info").json())
    validate(
        "GroupedCountResponse",
        client.get(
            "/plan/job/count", params={"plan_filter": "/@/@#/@/@.@", "grouping_filters": "folder"}
        ).json(),
    )
    validate("IssuesResponseV2", client.get("/plan/job/issues").json())
    defs = client.get("/model/jobdefinition", params={"limit": 5}).json()
    validate("PaginatedResponseV27", defs)
    validate(
        "ModelObjectJobDefinition",
        client.get(f"/model/jobdefinition/{defs['results'][0]['def']['id']}").json(),
    )
    model_streams = client.get("/model/jobstream", params={"limit": 5}).json()
    validate("PaginatedResponseV28", model_streams)


def test_workstations_have_hosts_and_types(client):
    ws = client.get("/plan/workstation").json()["results"]
    assert {"FTA", "AGENT", "POOL", "MANAGER"} <= {w["type"] for w in ws}
    assert all(w["host"] for w in ws)
    only = client.get("/plan/workstation", params={"oql": "type = 'POOL'"}).json()
    assert [w["type"] for w in only["results"]] == ["POOL"]


def test_unknown_ids_and_routes_are_404(client):
    for path in (
        "/plan/jobstream/nope",
        "/plan/workstation/nope",
        "/model/jobdefinition/nope",
        "/model/jobstream/nope",
        "/plan/job/run/nope/joblog",
        "/plan/nothing",
    ):
        assert client.get(path).status_code == 404, path


def test_text_plain_accept_on_job_endpoints(client):
    r = client.get("/plan/job", params={"limit": 1}, headers={"Accept": "text/plain"})
    assert r.headers["content-type"].startswith("text/plain") and json.loads(r.text)["results"]


# --- auth -------------------------------------------------------------------------------------


def test_basic_and_bearer_auth(simulator):
    url = simulator.api_url + "/engine/info"
    assert httpx.get(url, auth=("resync", "resync-pw")).status_code == 200
    assert httpx.get(url, headers={"Authorization": "Bearer resync-token"}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Basic cmVzeW5jOndyb25n"},
        {"Authorization": "Digest x"},
    ],
)
def test_bad_credentials_are_401_without_echo(simulator, headers):
    r = httpx.get(simulator.api_url + "/plan/job", headers=headers)
    assert r.status_code == 401
    assert "wrong" not in r.text and "cmVzeW5j" not in r.text and "resync-pw" not in r.text
    assert "WWW-Authenticate" in r.headers


def test_only_get_is_allowed(simulator):
    r = httpx.post(simulator.api_url + "/plan/job", auth=("resync", "resync-pw"))
    assert r.status_code == 405


def test_scope_header_trims_jobs(client, simulator):
    plan_id = simulator.workload.plan_ids()[0]
    full = client.get("/plan/job", params={"plan_id": plan_id}).json()["results"]
    lean = client.get(
        "/plan/job",
        params={"plan_id": plan_id},
        headers={"scope": "WHOLE_NO_JOB_DEFINITIONS_AND_NO_DEPENDENCIES"},
    ).json()["results"]
    assert [j["id"] for j in lean] == [j["id"] for j in full]
    assert all("jobDefinition" not in j and "jobDefinition" in f for j, f in zip(lean, full))
    assert [{k: v for k, v in f.items() if k != "jobDefinition"} for f in full] == lean
    last = client.get(
        "/plan/job", params={"plan_id": plan_id}, headers={"scope": "WHOLE_LAST_RUN_ONLY"}
    ).json()
    assert [j["jobruns"] for j in last["results"]] == [f["jobruns"][-1:] for f in full]
    assert client.get("/plan/job", headers={"scope": "EVERYTHING"}).status_code == 400


def test_concurrent_cold_requests_agree_with_sequential_ones(make_simulator):
    # Regression: a renderer cache was read by one thread before another had filled it (500s).
    from concurrent.futures import ThreadPoolExecutor

    sim = make_simulator(WorkloadConfig(seed=9, days=6, jobs=200))
    plan_ids = sim.workload.plan_ids()
    requests = [
        (p, scope) for p in plan_ids for scope in ("WHOLE_NO_DEPENDENCIES", "WHOLE_LAST_RUN_ONLY")
    ] * 2

    def fetch(item):
        plan_id, scope = item
        r = httpx.get(
            sim.api_url + "/plan/job",
            params={"plan_id": plan_id},
            headers={"scope": scope},
            auth=("resync", "resync-pw"),
            timeout=60,
        )
        return r.status_code, r.content

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(fetch, requests))
    assert all(status == 200 for status, _ in results)
    for item, (_, body) in zip(requests, results):
        assert body == fetch(item)[1]


def test_warmed_compact_plans_serve_the_same_data(make_simulator):
    config = WorkloadConfig(seed=9, days=4, jobs=300)
    warm = make_simulator(config)
    assert warm.warm(3) > 0
    idx = warm.plans.get(warm.workload.resolve_plan(warm.workload.plan_ids()[0]), True)
    assert idx._jobs is None  # objects dropped, JSON kept compressed
    lazy = make_simulator(config)
    auth = ("resync", "resync-pw")
    for plan_id in warm.workload.plan_ids():
        for params, headers in (
            ({"limit": 77, "offset": 130}, {}),
            ({}, {"scope": "WHOLE_LAST_RUN_ONLY"}),
            ({"oql": "jobruns.compositeStatus.status = 'ABEND' ORDER BY name"}, {}),
            ({"plan_filter": "/@/@#/OPS/@.@"}, {}),
        ):
            a = httpx.get(
                warm.api_url + "/plan/job", params={"plan_id": plan_id, **params}, headers=headers, auth=auth
            )
            b = httpx.get(
                lazy.api_url + "/plan/job", params={"plan_id": plan_id, **params}, headers=headers, auth=auth
            )
            assert a.status_code == 200 and a.content.replace(
                warm.base_url.encode(), b""
            ) == b.content.replace(lazy.base_url.encode(), b"")
        streams = httpx.get(warm.api_url + "/plan/jobstream", params={"plan_id": plan_id}, auth=auth).json()
        assert streams["count"] > 0
        one = httpx.get(
            f"{warm.api_url}/plan/jobstream/{streams['results'][0]['id']}",
            params={"plan_id": plan_id},
            auth=auth,
        ).json()
        job = one["jobs"][0]
        again = httpx.get(f"{warm.api_url}/plan/job/{job['id']}", params={"plan_id": plan_id}, auth=auth)
        assert again.status_code == 200 and again.json() == job
        missing = httpx.get(
            f"{warm.api_url}/plan/job/{job['id'][:-1]}0", params={"plan_id": plan_id}, auth=auth
        )
        assert missing.status_code in (200, 404) and (missing.status_code == 404 or job["id"].endswith("0"))

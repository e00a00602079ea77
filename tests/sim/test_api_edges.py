"""Issue #15 item 9: the simulator's HTTP edges (found by schemathesis) and its planted per-item faults."""

from __future__ import annotations

import httpx
import pytest

from resync_assets.sim.faults import FaultConfig
from tests.conftest import SIM_PASSWORD, SIM_USER

API = "/twsd/api/v2"


@pytest.fixture
def http(simulator):
    with httpx.Client(base_url=simulator.base_url, auth=(SIM_USER, SIM_PASSWORD), timeout=10) as client:
        yield client


def test_head_answers_what_get_would_without_a_body(http):
    for path in ("/plan/job", "/engine/info", "/model/jobstream", "/plan/workstation"):
        got, head = http.get(API + path, params={"limit": 3}), http.head(API + path, params={"limit": 3})
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and int(head.headers["content-length"]) == len(got.content), path
    assert http.head(API + "/plan/job/nope").status_code == 404


@pytest.mark.parametrize("method", ["OPTIONS", "POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"])
def test_other_methods_get_a_json_405(http, method):
    response = http.request(method, API + "/plan/job")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["messageCode"] == "AWSJSY405E" and response.headers["allow"] == "GET, HEAD"


def test_percent_encoded_path_ids_are_decoded(http):
    job = http.get(API + "/plan/job", params={"limit": 1}).json()["results"][0]
    encoded = "".join(f"%{b:02X}" for b in job["id"].encode())
    assert http.get(f"{API}/plan/job/{encoded}").json()["id"] == job["id"]


def test_limit_zero_links_nowhere_and_offsets_are_int32(http):
    body = http.get(API + "/plan/job", params={"limit": 0}).json()
    assert body["results"] == [] and body["count"] > 0 and "next" not in body and "previous" not in body
    assert http.get(API + "/plan/job", params={"offset": 2**31}).status_code == 400
    assert http.get(API + "/plan/job", params={"offset": 2**31 - 1}).status_code == 200
    assert http.get(API + "/plan/job", headers={"Include-Count": "maybe"}).status_code == 400


@pytest.mark.parametrize("kind", ["jobdefinition", "jobstream"])
def test_the_specs_own_oql_examples_on_model_lists(http, kind):
    examples = [
        "name = 'MY_NAME' AND folder LIKE '/FOL@' ORDER BY name DESC",
        "folder IN ['/FOL1','/FOL2']",
        "id = 'id_example' AND (folder = '/FOL' OR name LIKE '@EXAMPLE@')",
    ]
    for oql in examples:
        assert http.get(f"{API}/model/{kind}", params={"oql": oql}).status_code == 200, oql
    first = http.get(f"{API}/model/{kind}", params={"limit": 1}).json()["results"][0]["def"]
    picked = http.get(f"{API}/model/{kind}", params={"oql": f"name = '{first['name']}'"}).json()["results"]
    assert picked and all(item["def"]["name"] == first["name"] for item in picked)


def test_planted_faults_parse_and_apply(make_simulator):
    faults = FaultConfig.parse("poison=R1|R2,poison_mode=cut,odd=R3")
    assert faults.poison == {"R1", "R2"} and faults.poison_mode == "cut" and faults.odd == {"R3"}
    assert FaultConfig.parse(faults.describe()) == faults
    with pytest.raises(ValueError):
        FaultConfig.parse("poison_mode=maybe")
    sim = make_simulator()
    with httpx.Client(base_url=sim.base_url, auth=(SIM_USER, SIM_PASSWORD)) as http:
        job = next(
            j
            for j in http.get(API + "/plan/job", params={"limit": 500}).json()["results"]
            if j.get("jobruns")
        )
        run_id = job["jobruns"][0]["id"]
        sim.set_faults(FaultConfig(odd=frozenset({run_id})))
        odd = http.get(f"{API}/plan/job/{job['id']}").json()["jobruns"][0]
        assert "id" not in odd and odd["runRef"] == run_id

"""The simulator starts, authenticates and serves the basic operations."""

import httpx


def test_engine_info_and_first_page(simulator, sim_auth):
    with httpx.Client(base_url=simulator.api_url, auth=sim_auth) as client:
        info = client.get("/engine/info")
        assert info.status_code == 200
        assert info.json()["timezone"] == "UTC"
        page = client.get("/plan/job", params={"limit": 5}, headers={"Include-Count": "true"})
        assert page.status_code == 200
        body = page.json()
        assert len(body["results"]) == 5
        assert body["count"] >= 5
        assert body["results"][0]["planId"] == simulator.workload.current_date().isoformat()


def test_unauthenticated_request_is_rejected(simulator):
    response = httpx.get(simulator.api_url + "/engine/info")
    assert response.status_code == 401

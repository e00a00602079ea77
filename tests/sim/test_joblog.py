"""Joblogs are served in the TWS stdlist layout and agree with the plan and the ground truth."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from resync_assets.sim.clock import ManualClock
from resync_assets.sim.server import SimulatorServer
from resync_assets.sim.workload import WorkloadConfig

BANNER = re.compile(rb"^={10,}\s*$")
FIELD = re.compile(rb"^= (?P<key>[A-Za-z][A-Za-z ]*?(?:\s*\([^)]*\))?)\s*:\s?(?P<value>.*)$")
NOW = datetime(2025, 3, 14, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim():
    config = WorkloadConfig(seed=5, days=4, jobs=150, abend_scale=2, fail_scale=4, invalid_utf8_rate=0.3)
    with SimulatorServer(config, port=0, clock=ManualClock(NOW)) as server:
        yield server


@pytest.fixture(scope="module")
def client(sim):
    with httpx.Client(base_url=sim.api_url, auth=("resync", "resync-pw"), timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def truth(sim):
    return sim.workload.failure_truth()


def _runs(client, plan_id):
    for job in client.get("/plan/job", params={"plan_id": plan_id}).json()["results"]:
        for run in job["jobruns"]:
            yield job, run


def _blocks(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if BANNER.match(line)]


def test_finished_runs_have_header_and_trailer_matching_the_plan(client, sim):
    plan_id = sim.workload.plan_ids()[1]
    checked = 0
    for job, run in _runs(client, plan_id):
        status = run["compositeStatus"]["status"]
        if status not in ("SUCC", "ABEND"):
            continue
        r = client.get(f"/plan/job/run/{run['id']}/joblog")
        assert r.status_code == 200 and r.headers["content-type"] == "text/plain; charset=utf-8"
        lines = r.content.split(b"\n")[:-1]
        banners = _blocks(lines)
        assert len(banners) == 4 and banners[0] == 0 and banners[-1] == len(lines) - 1
        header = {m["key"].strip(): m["value"] for line in lines[: banners[1]] if (m := FIELD.match(line))}
        assert header[b"JOB"].endswith(b"." + job["name"].encode())
        assert header[b"AGENT"].decode() == run["actualWorkstation"]
        assert int(header[b"Job Number"]) == run["jobNumber"]
        assert b"TWSRCMAP" in header
        if run["actualWorkstation"].startswith(("LNXAGT", "WINAGT")):
            assert header[b"TASK"].startswith(b"<?xml")  # dynamic agent: the JSDL task
        else:
            assert header[b"USER"] and header[b"JCLFILE"]  # classic agent: logon and script
            assert b"AWSBIS307I Starting /opt/hwa/TWS/jobmanrc" in r.content
        trailer = {m["key"].strip(): m["value"] for line in lines[banners[2] :] if (m := FIELD.match(line))}
        assert int(trailer[b"Exit Status"]) == run["returnCode"]
        checked += 1
        if checked >= 40:
            break
    assert checked >= 20


def test_fail_runs_have_no_trailer_and_an_awsb_line(client, sim, truth):
    fails = [t for t in truth if t.status == "FAIL"]
    assert fails
    for t in fails[:10]:
        lines = client.get(f"/plan/job/run/{t.run_id}/joblog").content.split(b"\n")[:-1]
        assert len(_blocks(lines)) == 2  # header only
        assert b"Exit Status" not in b"\n".join(lines)
        assert re.search(rb"AWS[A-Z]{3}\d{3}E", lines[-1])


def test_truth_error_line_number_points_at_the_served_line(client, truth):
    assert len(truth) > 12
    for t in truth:
        lines = client.get(f"/plan/job/run/{t.run_id}/joblog").content.split(b"\n")
        served = lines[t.error_line_number - 1].decode("utf-8")
        assert served == t.error_line


def test_content_only_and_line_window(client, truth):
    t = next(x for x in truth if x.status == "ABEND")
    full = client.get(f"/plan/job/run/{t.run_id}/joblog").content.split(b"\n")[:-1]
    body = client.get(f"/plan/job/run/{t.run_id}/joblog", params={"contentOnly": "true"}).content.split(
        b"\n"
    )[:-1]
    banners = _blocks(full)
    assert body == full[banners[1] + 1 : banners[2]]
    window = client.get(f"/plan/job/run/{t.run_id}/joblog", params={"from_line": 3, "to_line": 5}).content
    assert window.split(b"\n")[:-1] == full[2:5]
    tail = client.get(f"/plan/job/run/{t.run_id}/joblog", params={"from_line": len(full)}).content
    assert tail.split(b"\n")[:-1] == full[-1:]


@pytest.mark.parametrize(
    "params",
    [
        {"from_line": 0},
        {"to_line": "x"},
        {"from_line": 5, "to_line": 2},
        {"contentOnly": "yes"},
        {"follow": "1"},
    ],
)
def test_bad_joblog_parameters_are_400(client, truth, params):
    assert client.get(f"/plan/job/run/{truth[0].run_id}/joblog", params=params).status_code == 400


def test_some_joblogs_carry_invalid_utf8(client, sim):
    plan_id = sim.workload.plan_ids()[0]
    invalid = 0
    for _, run in _runs(client, plan_id):
        if run["compositeStatus"]["status"] in ("SUCC", "ABEND"):
            content = client.get(f"/plan/job/run/{run['id']}/joblog").content
            try:
                content.decode("utf-8")
            except UnicodeDecodeError:
                invalid += 1
                assert content.decode("latin-1")
                if invalid >= 2:
                    break
    assert invalid > 0


def test_joblog_by_oql_selects_one_run(client, truth):
    t = next(x for x in truth if x.status == "ABEND")
    r = client.get("/plan/job/joblog", params={"plan_id": t.plan_id, "oql": f"jobruns.id = '{t.run_id}'"})
    assert r.status_code == 200
    assert r.content == client.get(f"/plan/job/run/{t.run_id}/joblog").content
    many = client.get("/plan/job/joblog", params={"plan_id": t.plan_id, "oql": "folder LIKE '/@'"})
    assert many.status_code == 400
    assert client.get("/plan/job/joblog", params={"plan_id": t.plan_id}).status_code == 400
    none = client.get("/plan/job/joblog", params={"plan_id": t.plan_id, "oql": "name = 'NO_SUCH_JOB'"})
    assert none.status_code == 404


def test_dynamic_agent_logs_show_the_jsdl_task(client, sim):
    plan_id = sim.workload.plan_ids()[0]
    for job, run in _runs(client, plan_id):
        if run["actualWorkstation"].startswith("LNXAGT") and run["compositeStatus"]["status"] == "SUCC":
            text = client.get(f"/plan/job/run/{run['id']}/joblog").content
            assert b"= TASK      : <?xml" in text and b"<jsdle:script>" in text
            assert b"JOBMANRC" not in text
            return
    pytest.fail("no dynamic-agent run found")


def test_large_joblog_knob(make_simulator):
    sim = make_simulator(
        WorkloadConfig(seed=5, days=2, jobs=30, large_joblog_rate=1.0, large_joblog_lines=5000)
    )
    run = next(r for r in sim.workload.runs(sim.workload.plan_ids()[0]) if r["final_status"] == "SUCC")
    r = httpx.get(f"{sim.api_url}/plan/job/run/{run['run_id']}/joblog", auth=("resync", "resync-pw"))
    assert r.content.count(b"\n") > 5000

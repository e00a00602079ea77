"""Every injected fault is either recovered (complete, correct result) or reported after the budget."""

import pytest

from resync_assets.lib.tws import (
    TwsApiError,
    TwsClient,
    TwsConnectionError,
    TwsError,
    TwsProtocolError,
    TwsSettings,
    TwsTimeoutError,
)
from resync_assets.sim.server import FaultConfig
from resync_assets.sim.workload import WorkloadConfig
from tests.reference_rows import job_run_rows

SMALL = WorkloadConfig(seed=11, days=2, jobs=40)


def _settings(sim, sim_auth, **overrides):
    kwargs = {
        "user": sim_auth[0],
        "password": sim_auth[1],
        "backoff_max_seconds": 0.02,
        "backoff_initial_seconds": 0.001,
        "max_retries": 8,
        "breaker_fail_max": 50,
        **overrides,
    }
    return TwsSettings(sim.base_url, **kwargs)


def _run_ids_by_plan(client, sim):
    return {
        plan_id: [
            r["run_id"] for job in client.iter_jobs(plan_id=plan_id, page_size=6) for r in job_run_rows(job)
        ]
        for plan_id in sim.workload.plan_ids()
    }


@pytest.mark.parametrize(
    ("spec", "evidence"),
    [
        ("500=0.3", {"status": 500}),
        ("503=0.3", {"status": 503}),
        ("429=0.3,retry_after=0", {"status": 429}),
        ("truncate=0.3", {}),
        ("reset=0.3", {}),
        ("timeout=0.2,stall=2.5", {}),
        ("latency=0.005:0.02", {"no_retries": True}),
        ("500=0.1,503=0.1,429=0.05,truncate=0.05,reset=0.05,retry_after=0", {}),
    ],
)
def test_faults_are_recovered_with_complete_results(make_simulator, sim_auth, spec, evidence):
    sim = make_simulator(SMALL, faults=FaultConfig.parse(spec + ",seed=3"))
    truth = {
        plan_id: {r["run_id"] for r in sim.workload.runs(plan_id)} for plan_id in sim.workload.plan_ids()
    }
    # Only the stall case needs a short client timeout (a stall of 2.5 s is 5x it); elsewhere a wide
    # one, so that a slow answer on a loaded machine is not taken for a fault (and "no retries" holds).
    timeout = 0.5 if "stall" in spec else 10.0
    with TwsClient(_settings(sim, sim_auth, timeout_seconds=timeout)) as client:
        by_plan = _run_ids_by_plan(client, sim)
        # A run that started and failed (an ABEND has a joblog; a FAIL may have none), in any plan.
        failed = next(
            r
            for plan_id in sim.workload.plan_ids()
            for r in sim.workload.runs(plan_id)
            if r["status"] == "ABEND"
        )
        log = client.get_joblog(failed["run_id"], plan_id=failed["plan_id"])
        stats = client.stats
    for plan_id, ids in by_plan.items():
        assert len(ids) == len(set(ids)) and set(ids) == truth[plan_id], plan_id
    assert log.line_count > 5 and not log.truncated
    if evidence.get("no_retries"):
        assert stats["retries"] == 0
    else:
        assert stats["retries"] > 0
    if "status" in evidence:
        assert stats["status_counts"].get(evidence["status"], 0) > 0
    assert stats["errors"] == 0 and stats["breaker_state"] == "closed"


@pytest.mark.parametrize(
    ("spec", "error", "text"),
    [
        ("500=1.0", TwsApiError, "HTTP 500"),
        ("503=1.0,retry_after=0", TwsApiError, "HTTP 503"),
        ("429=1.0,retry_after=0", TwsApiError, "HTTP 429"),
        ("truncate=1.0", TwsProtocolError, "truncated"),
        ("reset=1.0", (TwsConnectionError, TwsProtocolError), ""),
        ("timeout=1.0,stall=0.5", TwsTimeoutError, "timed out after 0.1 s"),
    ],
)
def test_persistent_faults_are_reported_after_the_retry_budget(make_simulator, sim_auth, spec, error, text):
    sim = make_simulator(SMALL, faults=FaultConfig.parse(spec))
    with TwsClient(_settings(sim, sim_auth, max_retries=2, timeout_seconds=0.1)) as client:
        with pytest.raises(error) as info:
            client.count_jobs(plan_id="current")
        stats = client.stats
    assert stats["requests"] == 3 and stats["retries"] == 2
    assert str(info.value).startswith("GET /twsd/api/v2/plan/job/count")
    assert text in str(info.value)
    assert info.value.endpoint == "GET /twsd/api/v2/plan/job/count"


def test_server_messages_are_kept_in_api_errors(make_simulator, sim_auth):
    sim = make_simulator(SMALL, faults=FaultConfig.parse("503=1.0,retry_after=0"))
    with TwsClient(_settings(sim, sim_auth, max_retries=0)) as client, pytest.raises(TwsApiError) as info:
        client.engine_info()
    assert info.value.status == 503
    assert info.value.tws_message == "AWSJSY503E The service is temporarily unavailable."
    assert "AWSJSY503E" in str(info.value)


def test_retry_after_is_honoured_up_to_the_backoff_cap(make_simulator, sim_auth):
    sim = make_simulator(SMALL, faults=FaultConfig.parse("429=1.0,retry_after=1"))
    with TwsClient(_settings(sim, sim_auth, max_retries=1, backoff_max_seconds=5)) as client:
        with pytest.raises(TwsApiError):
            client.engine_info()
        # The one wait was the server's Retry-After, not the (millisecond) exponential backoff.
        assert client.stats["backoff_seconds"] == pytest.approx(1.0)
        assert client.stats["throttled"] == 2
    with TwsClient(_settings(sim, sim_auth, max_retries=3, backoff_max_seconds=0.01)) as client:
        with pytest.raises(TwsApiError):
            client.engine_info()
        assert client.stats["backoff_seconds"] == pytest.approx(0.03)


def test_client_errors_are_not_retried(make_simulator, sim_auth):
    sim = make_simulator(SMALL)
    with TwsClient(_settings(sim, sim_auth)) as client:
        for call in (
            lambda: client.get_job("nope"),
            lambda: client.get_joblog("nope"),
            lambda: list(client.iter_jobs(oql="(((")),
        ):
            with pytest.raises(TwsError):
                call()
        assert client.stats["retries"] == 0 and client.stats["requests"] == 3


def test_unreachable_server_is_a_connection_error(sim_auth):
    settings = TwsSettings(
        "http://127.0.0.1:9",
        user="u",
        password="p",
        max_retries=1,
        backoff_max_seconds=0.01,
        backoff_initial_seconds=0.001,
    )
    with TwsClient(settings) as client, pytest.raises(TwsConnectionError, match="engine/info: connection"):
        client.engine_info()

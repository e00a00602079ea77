"""Authentication works both ways, fails clearly, and never leaks a credential."""

import base64
import logging

import pytest

from resync_assets.lib.tws import TwsAuthError, TwsClient, TwsError, TwsSettings
from resync_assets.sim.server import FaultConfig

WRONG_PASSWORD = "wr0ng-PASSWORD-q7x"
WRONG_TOKEN = "wr0ng-TOKEN-z9k"


def _texts(exc: BaseException) -> str:
    return " ".join([str(exc), repr(exc), *map(str, exc.args), str(getattr(exc, "tws_message", ""))])


def test_basic_auth_works(simulator, client_for):
    c = client_for(simulator, auth="basic")
    assert c.engine_info()["tenantName"]
    assert c.settings.auth_kind == "basic"


def test_token_auth_works(simulator, client_for):
    c = client_for(simulator, auth="token")
    assert c.settings.auth_kind == "bearer"
    assert c.count_jobs(plan_id="current")["count"] > 0


@pytest.mark.parametrize(
    ("credentials", "secret"),
    [({"user": "resync", "password": WRONG_PASSWORD}, WRONG_PASSWORD), ({"token": WRONG_TOKEN}, WRONG_TOKEN)],
)
def test_wrong_credentials_are_a_clear_auth_error_without_the_secret(
    simulator, client_for, caplog, credentials, secret
):
    caplog.set_level(logging.DEBUG)
    c = client_for(simulator, auth="none", **credentials)
    with pytest.raises(TwsAuthError) as info:
        c.engine_info()
    exc = info.value
    assert exc.status == 401
    assert "GET /twsd/api/v2/engine/info" in str(exc) and "HTTP 401" in str(exc)
    assert "AWSJSY401E" in str(exc)
    assert "RESYNC_TWS_" in str(exc)
    basic = base64.b64encode(f"resync:{WRONG_PASSWORD}".encode()).decode()
    for text in (_texts(exc), caplog.text, repr(c), repr(c.settings)):
        assert secret not in text
        assert basic not in text
        assert "Authorization" not in text
    # Never retried: one request only.
    assert c.stats["requests"] == 1 and c.stats["retries"] == 0
    assert exc.__cause__ is None


def test_no_credentials_is_401(simulator, client_for):
    c = client_for(simulator, auth="none")
    with pytest.raises(TwsAuthError):
        c.engine_info()


def test_retry_logs_and_final_error_hold_no_secret(make_simulator, caplog, sim_token):
    caplog.set_level(logging.DEBUG)
    sim = make_simulator(faults=FaultConfig.parse("500=1.0"))
    settings = TwsSettings(
        sim.base_url, token=sim_token, max_retries=2, backoff_max_seconds=0.01, backoff_initial_seconds=0.001
    )
    with TwsClient(settings) as c, pytest.raises(TwsError) as info:
        list(c.iter_jobs(plan_id="current", oql="name = 'x'"))
    assert "retry 1/2" in caplog.text
    for text in (_texts(info.value), caplog.text):
        assert sim_token not in text
    # The endpoint is named by its path; the query (where filters live) is left out.
    assert "GET /twsd/api/v2/plan/job: HTTP 500" in str(info.value)
    assert "oql" not in str(info.value)

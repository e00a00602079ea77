"""A hanging or failing LLM endpoint cannot stall incident analysis: circuit breaker, time budget, and
no warehouse writer lock held while the endpoint is waited for (real loopback server, real DuckDB)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from resync_assets.lib.llm.client import SKIPPED_BREAKER_OPEN, SKIPPED_BUDGET, LlmAnalyst
from resync_assets.lib.llm.settings import LlmSettings
from tests.llm.test_llm import ERROR_LINE, LOG, SECRET, answer

REPO = Path(__file__).resolve().parents[2]
HANG = ("sleep", 5.0)  # far past every timeout used here


def make_analyst(fake, **overrides) -> LlmAnalyst:
    values = {"timeout_seconds": 0.3, "budget_seconds": 100.0, "breaker_fail_max": 3}
    values.update(overrides)
    return LlmAnalyst(LlmSettings(base_url=fake.base_url, model="test-model", api_key=SECRET, **values))


def window() -> list[tuple[int, str]]:
    lines = LOG.splitlines()
    return [(n, lines[n - 1]) for n in range(ERROR_LINE - 3, ERROR_LINE + 2)]


def test_budget_and_breaker_settings_come_from_the_environment():
    env = {"RESYNC_LLM_BASE_URL": "http://x/v1", "RESYNC_LLM_MODEL": "m"}
    s = LlmSettings.from_env(env)
    assert (s.budget_seconds, s.breaker_fail_max, s.breaker_reset_seconds) == (60.0, 3, 300.0)
    s = LlmSettings.from_env(
        env
        | {
            "RESYNC_LLM_BUDGET_SECONDS": "12.5",
            "RESYNC_LLM_BREAKER_FAIL_MAX": "5",
            "RESYNC_LLM_BREAKER_RESET_SECONDS": "0",
        }
    )
    assert (s.budget_seconds, s.breaker_fail_max, s.breaker_reset_seconds) == (12.5, 5, 0.0)
    for name, value in [
        ("RESYNC_LLM_BUDGET_SECONDS", "a minute"),
        ("RESYNC_LLM_BUDGET_SECONDS", "-1"),
        ("RESYNC_LLM_BREAKER_FAIL_MAX", "2.5"),
        ("RESYNC_LLM_BREAKER_FAIL_MAX", "0"),
        ("RESYNC_LLM_TIMEOUT_SECONDS", "0"),
    ]:
        with pytest.raises(ValueError, match=name):
            LlmSettings.from_env(env | {name: value})


def test_breaker_opens_after_fail_max_failed_requests_and_later_analyses_send_nothing(fake_llm):
    fake_llm.default = HANG
    analyst = make_analyst(fake_llm)
    results = [analyst.refine(window(), {}) for _ in range(6)]
    # 1st analysis: two timeouts; 2nd: the third timeout opens the breaker, its retry is not sent.
    assert len(fake_llm.requests) == 3
    assert [r.status for r in results] == ["error", "error"] + [SKIPPED_BREAKER_OPEN] * 4
    assert [r.attempts for r in results] == [2, 1, 0, 0, 0, 0]
    assert results[1].errors[-1].startswith("retry not sent: circuit breaker open")
    assert all(r.data is None for r in results)
    stats = analyst.stats
    assert stats["requests"] == 3 and stats["failed_requests"] == 3
    assert stats[SKIPPED_BREAKER_OPEN] == 4 and stats[SKIPPED_BUDGET] == 0
    assert stats["breaker_state"] == "open"


def test_breaker_half_opens_after_its_reset_time_and_an_answer_closes_it(fake_llm):
    fake_llm.answers = [HANG, HANG, answer()]
    analyst = make_analyst(fake_llm, breaker_fail_max=2, breaker_reset_seconds=0.0)
    first = analyst.refine(window(), {})
    assert first.status == "error" and analyst.stats["breaker_state"] == "half-open"
    # The reset time (0 s) has passed: one trial request is sent, it answers, the breaker closes.
    second = analyst.refine(window(), {})
    assert second.status == "ok" and len(fake_llm.requests) == 3
    assert analyst.stats["breaker_state"] == "closed"


def test_client_errors_and_invalid_answers_do_not_open_the_breaker(fake_llm):
    # A 404 (wrong model, wrong path) or an answer that fails the schema proves the server is up.
    fake_llm.answers = [("status", 404), ("status", 404), "not json", "{}", ("status", 400), "{}"]
    analyst = make_analyst(fake_llm, breaker_fail_max=1)
    statuses = [analyst.refine(window(), {}).status for _ in range(3)]
    assert statuses == ["error", "invalid", "invalid"]
    assert len(fake_llm.requests) == 6 and analyst.stats["breaker_state"] == "closed"


def test_time_budget_stops_requests_once_spent(fake_llm):
    fake_llm.default = HANG
    # A large breaker threshold: only the budget (1 s of waiting, 0.3 s per request) can stop them.
    analyst = make_analyst(fake_llm, budget_seconds=1.0, breaker_fail_max=1000)
    results = [analyst.refine(window(), {}) for _ in range(20)]
    statuses = Counter(r.status for r in results)
    sent = len(fake_llm.requests)
    assert 2 <= sent <= 6, sent  # about budget / timeout; far below the 40 requests of 20 analyses
    assert statuses["error"] >= 1 and statuses[SKIPPED_BUDGET] == 20 - statuses["error"]
    skipped = next(r for r in results if r.status == SKIPPED_BUDGET)
    assert skipped.attempts == 0 and skipped.errors == ["LLM time budget of 1 s spent"]
    assert analyst.stats[SKIPPED_BUDGET] == statuses[SKIPPED_BUDGET]


def test_a_zero_budget_sends_nothing(fake_llm):
    analyst = make_analyst(fake_llm, budget_seconds=0.0)
    assert analyst.refine(window(), {}).status == SKIPPED_BUDGET
    assert fake_llm.requests == []


# ---------------------------------------------------------------- the incident asset


def _materialize(fake, wh: Path, **llm):
    from resync_assets.defs.incidents.assets import incident_analyses
    from resync_assets.defs.resources import LakehouseResource, LlmResource

    return dg.materialize(
        [incident_analyses],
        resources={
            "lakehouse": LakehouseResource(warehouse_path=str(wh)),
            "llm": LlmResource(base_url=fake.base_url, model="test-model", **llm),
        },
    )


def _stored_llm(wh: Path) -> list[dict]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return [
            json.loads(r[0]) for r in con.execute("select llm from analytics.incident_analyses").fetchall()
        ]
    finally:
        con.close()


@pytest.fixture(scope="module")
def failed_runs_warehouse(tmp_path_factory):
    """A warehouse with the failed runs of a small simulated workload, copied per test."""
    from tests.rca.conftest import build_warehouse, make_workload

    path = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    truth = build_warehouse(path, make_workload(days=2, jobs=40))
    assert len(truth) >= 6
    return path, len(truth)


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "wh.duckdb"
    dst.write_bytes(src.read_bytes())
    return dst


def test_hanging_llm_opens_the_breaker_and_the_asset_records_the_rest_as_skipped(
    fake_llm, failed_runs_warehouse, tmp_path, monkeypatch
):
    src, n_runs = failed_runs_warehouse
    wh = _copy(src, tmp_path)
    monkeypatch.setenv("RESYNC_LLM_API_KEY", SECRET)
    monkeypatch.setenv("RESYNC_LLM_BREAKER_FAIL_MAX", "3")
    fake_llm.default = HANG
    result = _materialize(fake_llm, wh, timeout_seconds=0.3, budget_seconds=100.0)
    assert result.success
    # Three timeouts open the breaker; not one request after that.
    assert len(fake_llm.requests) == 3
    stored = _stored_llm(wh)
    assert len(stored) == n_runs
    statuses = Counter(s["status"] for s in stored)
    asked = n_runs - statuses["skipped"]  # runs with an error line to show
    assert statuses["error"] == 2 and statuses[SKIPPED_BREAKER_OPEN] == asked - 2 >= 3
    assert all(s["used"] is False for s in stored if s["status"] != "skipped")
    (mat,) = result.get_asset_materialization_events()
    metadata = mat.materialization.metadata
    assert metadata["new_llm"].value == dict(statuses)
    calls = metadata["llm_requests"].value
    assert calls["requests"] == 3 and calls[SKIPPED_BREAKER_OPEN] == asked - 2
    assert calls["breaker_state"] == "open"
    assert SECRET not in json.dumps([str(e) for e in result.all_events]) + json.dumps(stored)


def test_spent_budget_leaves_the_remaining_runs_to_the_rules(
    fake_llm, failed_runs_warehouse, tmp_path, monkeypatch
):
    src, n_runs = failed_runs_warehouse
    wh = _copy(src, tmp_path)
    monkeypatch.setenv("RESYNC_LLM_BREAKER_FAIL_MAX", "1000")
    fake_llm.default = HANG
    result = _materialize(fake_llm, wh, timeout_seconds=0.3, budget_seconds=1.0)
    assert result.success
    sent = len(fake_llm.requests)
    assert 2 <= sent <= 6, sent
    statuses = Counter(s["status"] for s in _stored_llm(wh))
    assert sum(statuses.values()) == n_runs
    assert statuses[SKIPPED_BUDGET] >= 3 and SKIPPED_BREAKER_OPEN not in statuses
    assert set(statuses) <= {"error", SKIPPED_BUDGET, "skipped"}
    # A later run does not ask the LLM again about runs already analysed (no re-analysis path).
    fake_llm.default = "{}"
    again = _materialize(fake_llm, wh, timeout_seconds=0.3, budget_seconds=1.0)
    assert again.success and len(fake_llm.requests) == sent
    assert Counter(s["status"] for s in _stored_llm(wh)) == statuses


TAKE_WRITER = """
import sys
from resync_assets.lib.warehouse import writer
with writer(sys.argv[1], lock_timeout_seconds=1.0, what="test: another writer") as con:
    con.execute("create table if not exists main.written_while_llm_waited (n integer)")
    con.execute("insert into main.written_while_llm_waited values (1)")
"""


def test_another_process_writes_the_warehouse_while_the_asset_waits_for_the_llm(
    fake_llm, failed_runs_warehouse, tmp_path
):
    src, _ = failed_runs_warehouse
    wh = _copy(src, tmp_path)
    outcome: dict[int, subprocess.CompletedProcess] = {}

    def another_writer(n: int) -> None:
        # Called by the server while the asset waits for its first answer.
        if n == 1:
            outcome[n] = subprocess.run(
                [sys.executable, "-c", TAKE_WRITER, str(wh)],
                capture_output=True,
                text=True,
                cwd=REPO,
                timeout=120,
                check=False,
            )

    fake_llm.on_request = another_writer
    fake_llm.default = answer()
    result = _materialize(fake_llm, wh, timeout_seconds=60.0, budget_seconds=120.0)
    assert result.success
    assert outcome[1].returncode == 0, outcome[1].stderr[-2000:]
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("select count(*) from main.written_while_llm_waited").fetchone() == (1,)
        assert con.execute("select count(*) from analytics.incident_analyses").fetchone()[0] > 0
    finally:
        con.close()

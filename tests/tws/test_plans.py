"""PlanRunReader: whole plans read in worker processes equal the same plans read in this process."""

from __future__ import annotations

import pytest

from resync_assets.lib.ingest.plans import PROCESS_MIN_PLANS, PlanRunReader, read_plan_runs
from resync_assets.lib.tws import TwsAuthError


def test_worker_processes_read_exactly_what_this_process_reads(simulator, client_for):
    plan_ids = [*simulator.workload.plan_ids(), "1999-01-01"]  # the last one is not on the server
    assert len(plan_ids) >= PROCESS_MIN_PLANS
    local = client_for(simulator, page_size=7)
    expected = {plan_id: read_plan_runs(local, plan_id) for plan_id in plan_ids}
    assert expected["1999-01-01"] is None
    assert sum(t.num_rows for t in expected.values() if t is not None) > 100

    client = client_for(simulator, page_size=7)
    reader = PlanRunReader(client, workers=2, processes=True)
    assert reader.processes
    got = list(reader.read_many(plan_ids))

    assert [plan_id for plan_id, _ in got] == plan_ids  # in the order asked
    for plan_id, table in got:
        if expected[plan_id] is None:
            assert table is None
        else:
            assert table.equals(expected[plan_id]), plan_id
    # The workers' requests are counted on the client that asked for them.
    mine, theirs = local.stats, client.stats
    for key in ("requests", "pages", "items", "bytes_received"):
        assert theirs[key] == mine[key] > 0, key
    assert theirs["status_counts"] == mine["status_counts"]
    assert theirs["status_counts"][404] == 1


def test_an_error_in_a_worker_is_raised_as_the_clients_error(simulator, client_for):
    client = client_for(simulator, password="wrong-password-123", max_retries=0)
    reader = PlanRunReader(client, workers=2, processes=True)
    with pytest.raises(TwsAuthError) as caught:
        list(reader.read_many(simulator.workload.plan_ids()))
    error = caught.value
    assert error.status == 401 and error.endpoint == "GET /twsd/api/v2/plan/job"
    assert error.__cause__ is None  # not wrapped in the pool's remote traceback
    assert "wrong-password-123" not in repr(error) + str(error)
    assert client.stats["status_counts"].get(401, 0) >= 1


def test_a_client_with_hooks_reads_in_threads_so_the_hooks_see_every_request(simulator, client_for):
    seen: list[str] = []
    client = client_for(simulator, event_hooks={"request": [lambda request: seen.append(request.url.path)]})
    reader = PlanRunReader(client, workers=2, processes=True)
    assert not reader.processes
    plan_ids = simulator.workload.plan_ids()
    runs = sum(table.num_rows for _, table in reader.read_many(plan_ids))
    assert runs == sum(len(simulator.workload.runs(p)) for p in plan_ids)
    assert len(seen) == client.stats["requests"] >= len(plan_ids)


UNGUARDED_SCRIPT = """
import sys
from resync_assets.lib.tws import TwsClient, TwsSettings
from resync_assets.lib.ingest.plans import PlanRunReader, read_plan_runs

base_url, user, password, *plans = sys.argv[1:]
client = TwsClient(TwsSettings(base_url, user=user, password=password))
got = [(p, t.num_rows) for p, t in PlanRunReader(client, workers=2, processes=True).read_many(plans)]
expected = [(p, read_plan_runs(client, p).num_rows) for p in plans]
print("SAME" if got == expected else f"DIFFERENT {got} {expected}")
"""


def test_a_script_without_a_main_guard_still_reads_every_plan_once(simulator, sim_auth, tmp_path):
    # Spawned workers re-run an unguarded script and die at start; the reader falls back to threads.
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT)
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, str(script), simulator.base_url, *sim_auth, *simulator.workload.plan_ids()],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PYTHONPATH": str(repo), "PATH": ""},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "SAME"
    assert "reading the 5 remaining plan(s) in this process" in out.stderr
    assert sim_auth[1] not in out.stderr

"""The Dagster UI as a new user meets it: `dagster dev` on loopback, the `everything_job` launched
through the webserver's GraphQL (as the UI's button does), every step and check green, no community
modal, and a screenshot of the global asset graph kept as a test artifact."""

import datetime as dt
import os
from pathlib import Path

import dagster as dg
import pytest

from benchmarks.chromium import find_chromium, screenshot
from benchmarks.dagster_ui import DagsterDev, demo_world
from resync_assets.defs.checks import is_nothing_to_judge
from tests.shared_data import missing

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("RESYNC_TEST_ARTIFACTS", REPO / "test-artifacts"))
END_DATE = dt.date(2026, 11, 30)


@pytest.mark.slow
def test_everything_job_launched_through_the_webserver_succeeds_with_every_check(tmp_path):
    with (
        demo_world(tmp_path / "world", days=2, jobs=20, seed=3, end_date=END_DATE) as env,
        DagsterDev(env, log_path=tmp_path / "dagster_dev.log") as ui,
    ):
        ui.wait_served(timeout=300)
        # The instance disables the "Join the Dagster community" modal (nux) for every browser.
        assert ui.graphql("{ shouldShowNux }")["shouldShowNux"] is False
        run_id = ui.launch("everything_job", tags={"resync/test": "ui"})
        run = ui.wait_run(run_id, timeout=900)
        assert run["status"] == "SUCCESS", ui.log_tail()
        assert run["jobName"] == "everything_job"

        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
            evaluations = [r.dagster_event.event_specific_data for r in records]
            materialized = {
                r.dagster_event.asset_key
                for r in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
            }
        from resync_assets.definitions import defs as load

        repo = load().get_repository_def()
        assert materialized == set(repo.asset_graph.materializable_asset_keys)
        assert {(e.asset_key, e.check_name) for e in evaluations} == {
            (k.asset_key, k.name) for k in repo.asset_graph.asset_check_keys
        }
        # Every check that had something to judge passed; a check of this small world with nothing
        # to judge (no closed plan day, no labelled outcome, too little history ...) warns and says
        # why, which is not a failure (`defs/checks.py`, `nothing_to_judge`).
        # `resync_parts_healthy` judges the environment (this host's CPU and memory, reports sent,
        # the TWS server), not the data: on a shared test machine it may rightly ask for attention.
        failing = [
            f"{e.asset_key.to_user_string()}:{e.check_name}"
            for e in evaluations
            if not e.passed and not is_nothing_to_judge(e) and e.check_name != "resync_parts_healthy"
        ]
        assert not failing, failing
        passed = {e.check_name for e in evaluations if e.passed}
        assert {"job_runs_have_unique_run_ids", "job_runs_freshness"} <= passed, passed

        if find_chromium() is None:
            missing("chromium not installed: no screenshot (.ci/run installs it)")
        png = screenshot(f"{ui.url}/asset-groups", ARTIFACTS / "global_asset_graph.png")
        assert png.stat().st_size > 20_000

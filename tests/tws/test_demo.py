"""`resync demo` pages a simulated history through the client and summarises it."""

import re

from resync_assets.cli import main
from resync_assets.lib.tws import TwsClient, TwsSettings
from resync_assets.lib.tws.collect import archived_plan_ids, collect_all


def test_demo_command_prints_a_complete_summary(capsys):
    assert (
        main(
            [
                "demo",
                "--client-only",
                "--days",
                "3",
                "--jobs",
                "40",
                "--seed",
                "2",
                "--workers",
                "2",
                "--page-size",
                "7",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "plans paged        3" in out
    failed = int(re.search(r"failed runs\s+(\d+)", out).group(1))
    fetched = re.search(r"joblogs fetched\s+(\d+) \(([\d,]+) bytes\); missing (\d+), errors (\d+)", out)
    # The demo runs on today's date, so how many runs fail varies; the accounting must add up.
    assert fetched.group(4) == "0"
    assert int(fetched.group(1)) + int(fetched.group(3)) <= failed
    assert (int(fetched.group(1)) > 0) == (int(fetched.group(2).replace(",", "")) > 0)
    assert re.search(r"paging\s+[\d.]+ s, [\d,]+ runs/s", out)
    assert "breaker closed" in out


def test_collect_all_matches_the_ground_truth(make_simulator, sim_auth):
    sim = make_simulator()
    plan_ids = sim.workload.plan_ids()
    with TwsClient(TwsSettings(sim.base_url, user=sim_auth[0], password=sim_auth[1], page_size=11)) as client:
        summary = collect_all(client, plan_ids, joblog_workers=3)
    truth = [r for p in plan_ids for r in sim.workload.runs(p)]
    assert summary.plans == len(plan_ids)
    assert summary.runs == len(truth)
    assert summary.unique_runs == len({r["run_id"] for r in truth})
    failed = {r["run_id"] for r in truth if r["common_status"] == "ERROR"}
    assert summary.failed_runs == sum(r["common_status"] == "ERROR" for r in truth)
    assert summary.joblogs_fetched + summary.joblogs_missing == len(failed)
    assert summary.joblog_errors == 0 and summary.joblogs_fetched > 0 and summary.joblog_bytes > 0
    assert summary.runs_by_status["SUCCESSFUL"] == sum(r["common_status"] == "SUCCESSFUL" for r in truth)


def test_archived_plan_ids_are_the_days_before_the_end_date():
    import datetime as dt

    assert archived_plan_ids(dt.date(2025, 3, 14), 3) == ["2025-03-11", "2025-03-12", "2025-03-13"]
    assert archived_plan_ids(dt.date(2025, 3, 14), 0) == []

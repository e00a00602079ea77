"""Checks on `tws_raw.job_runs`: key uniqueness and agreement with the API (freshness: freshness.py).

Checks read the warehouse through the read-only `duckdb` resource and take no slot of the writer
pool: a read-only connection waits while a writer of another process holds the file.
"""

import dagster as dg

from resync_assets.defs.checks import nothing_to_judge
from resync_assets.defs.keys import JOB_RUNS
from resync_assets.defs.resources import TwsResource, WarehouseReaderResource
from resync_assets.lib.warehouse import table_exists


@dg.asset_check(
    asset=JOB_RUNS,
    name="job_runs_have_unique_run_ids",
    description="Every row of `tws_raw.job_runs` has a run_id, and no run_id appears twice.",
)
def job_runs_have_unique_run_ids(duckdb: WarehouseReaderResource) -> dg.AssetCheckResult:
    """Passes when `run_id` is a key of `tws_raw.job_runs` (not null, unique); nothing to judge on 0 rows."""
    with duckdb.get_connection() as conn:
        if not table_exists(conn, "tws_raw", "job_runs"):
            return dg.AssetCheckResult(passed=False, description="tws_raw.job_runs does not exist yet")
        rows, distinct, nulls = conn.execute(
            "select count(*), count(distinct run_id), count(*) - count(run_id) from tws_raw.job_runs"
        ).fetchone()
    duplicates = rows - nulls - distinct
    metadata = {
        "rows": dg.MetadataValue.int(rows),
        "distinct_run_ids": dg.MetadataValue.int(distinct),
        "duplicate_rows": dg.MetadataValue.int(duplicates),
        "null_run_ids": dg.MetadataValue.int(nulls),
    }
    if rows == 0:
        return nothing_to_judge("tws_raw.job_runs has no rows", metadata)
    return dg.AssetCheckResult(passed=duplicates == 0 and nulls == 0, metadata=metadata)


@dg.asset_check(
    asset=JOB_RUNS,
    name="job_runs_match_api_count_for_closed_plan_day",
    description="For the most recent closed (archived) plan loaded, the runs the API lists equal the "
    "rows of `tws_raw.job_runs` for that plan.",
)
def job_runs_match_api_count_for_closed_plan_day(
    tws: TwsResource, duckdb: WarehouseReaderResource
) -> dg.AssetCheckResult:
    """Pages through the closed plan on the API and compares its run ids with the loaded rows.

    A closed plan no longer changes, so any difference is a loading defect, not timing. Passes when
    every run the API lists for the plan is loaded and no row labelled with the plan is unknown to
    the API. The API's `/plan/job/count` job count is reported beside (a job has one run per rerun).
    Runs are counted by distinct run_id, so a duplicated row cannot stand in for a missing run
    (duplicates are reported beside; `job_runs_have_unique_run_ids` fails on them). Nothing to judge
    while no closed plan is loaded.
    """
    from resync_assets.lib.ingest.plans import read_plan_runs
    from resync_assets.lib.tws import TwsClient

    with duckdb.get_connection() as conn:
        if not table_exists(conn, "tws_raw", "job_runs"):
            return dg.AssetCheckResult(passed=False, description="tws_raw.job_runs does not exist yet")
        plans = [
            r[0]
            for r in conn.execute(
                "select plan_id from tws_raw.job_runs where plan_id is not null "
                "group by plan_id order by max(sched_time) desc nulls last, plan_id desc"
            ).fetchall()
        ]
    if not plans:
        return nothing_to_judge(
            "tws_raw.job_runs has no rows with a plan", {"plans_loaded": dg.MetadataValue.int(0)}
        )
    with TwsClient(tws.settings()) as client:
        current = None
        for page in client.iter_job_pages(plan_id="current", page_size=1):
            current = page[0].get("planId") if page else None
            break
        closed = [p for p in plans if p != current]
        if current is None and closed:
            # No job in the current plan to name it: the newest plan loaded may still be open.
            closed = closed[1:]
        if not closed:
            return nothing_to_judge(
                "no closed plan day loaded yet",
                {"plans_loaded": dg.MetadataValue.int(len(plans))},
            )
        plan_id = closed[0]
        runs = read_plan_runs(client, plan_id)
        api_run_ids: set[str] = set(runs["run_id"].to_pylist()) if runs is not None else set()
        api_job_count = int(client.count_jobs(plan_id=plan_id).get("count") or 0)
    with duckdb.get_connection() as conn:
        # A run carried forward into the next plan keeps its run_id, and its row the later plan_id:
        # compare by run id, not by the plan_id column.
        loaded_rows, loaded_runs = conn.execute(
            "select count(*), count(distinct run_id) from tws_raw.job_runs where list_contains(?, run_id)",
            [sorted(api_run_ids)],
        ).fetchone()
        labelled = {
            r[0]
            for r in conn.execute(
                "select run_id from tws_raw.job_runs where plan_id = ?", [plan_id]
            ).fetchall()
        }
    extra = len(labelled - api_run_ids)
    missing = len(api_run_ids) - loaded_runs
    return dg.AssetCheckResult(
        passed=missing == 0 and extra == 0,
        metadata={
            "plan_id": dg.MetadataValue.text(str(plan_id)),
            "api_runs": dg.MetadataValue.int(len(api_run_ids)),
            "loaded_runs": dg.MetadataValue.int(loaded_runs),
            "loaded_rows": dg.MetadataValue.int(loaded_rows),
            "api_job_count": dg.MetadataValue.int(api_job_count),
            "runs_missing_from_warehouse": dg.MetadataValue.int(missing),
            "rows_of_plan_not_in_api": dg.MetadataValue.int(extra),
        },
    )


@dg.asset_check(
    asset=JOB_RUNS,
    name="tws_quarantine_is_empty",
    description="No TWS item (run, joblog, job stream, workstation) waits in `tws_raw.quarantine`: each "
    "one there could not be fetched or parsed, is retried on later polls and named with its reason.",
)
def tws_quarantine_is_empty(duckdb: WarehouseReaderResource) -> dg.AssetCheckResult:
    """Warns (the other items loaded) while items wait in quarantine, naming the first few and why."""
    from resync_assets.lib.ingest.quarantine import summary

    with duckdb.get_connection() as conn:
        found = summary(conn, "tws_raw")
    if found is None:
        return nothing_to_judge("tws_raw.quarantine does not exist yet (no ingest since it was added)")
    metadata = {
        "open": dg.MetadataValue.int(found["open"]),
        "resolved": dg.MetadataValue.int(found["resolved"]),
        **{f"open.{source}": dg.MetadataValue.int(n) for source, n in found["by_source"].items()},
    }
    if found["examples"]:
        metadata["first_items"] = dg.MetadataValue.md("\n".join(f"- {e}" for e in found["examples"]))
    return dg.AssetCheckResult(
        passed=found["open"] == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{found['open']} item(s) in quarantine: " + "; ".join(found["examples"][:2])
            if found["open"]
            else "nothing in quarantine"
        ),
        metadata=metadata,
    )

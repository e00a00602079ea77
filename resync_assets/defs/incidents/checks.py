"""Checks on `incident_analyses`: coverage and calibration."""

import dagster as dg

from resync_assets.defs.checks import nothing_to_judge
from resync_assets.defs.keys import INCIDENT_ANALYSES
from resync_assets.defs.resources import WarehouseReaderResource
from resync_assets.lib.joblog.status import FAILED_INTERNAL_STATUSES, sql_list
from resync_assets.lib.warehouse import table_exists

# Below this many labelled rows an ECE says nothing: the check warns that it could not judge.
MIN_LABELLED = 50
FAILED = sql_list(FAILED_INTERNAL_STATUSES)
MAX_ECE = 0.10


@dg.asset_check(
    asset=INCIDENT_ANALYSES,
    name="incident_analyses_cover_every_failed_run",
    description=f"Every failed run ({FAILED}) in `tws_raw.job_runs` has a row in "
    "`analytics.incident_analyses`.",
)
def incident_analyses_cover_every_failed_run(duckdb: WarehouseReaderResource) -> dg.AssetCheckResult:
    """Counts failed runs without an analysis (nothing to judge without job runs or failed runs)."""
    with duckdb.get_connection() as con:
        if not table_exists(con, "tws_raw", "job_runs"):
            return nothing_to_judge("tws_raw.job_runs does not exist yet")
        runs, failed = con.execute(
            f"select count(*), count(distinct run_id) filter (where internal_status in ({FAILED})) "
            "from tws_raw.job_runs"
        ).fetchone()
        counts = {"job_runs": dg.MetadataValue.int(runs), "failed_runs": dg.MetadataValue.int(failed)}
        if runs == 0:
            return nothing_to_judge("tws_raw.job_runs has no rows", counts)
        if failed == 0:
            return nothing_to_judge(f"no failed run among {runs} job runs", counts)
        if not table_exists(con, "analytics", "incident_analyses"):
            return dg.AssetCheckResult(
                passed=False,
                description="analytics.incident_analyses does not exist",
                metadata={**counts, "missing": dg.MetadataValue.int(failed)},
            )
        (missing,) = con.execute(
            "select count(distinct r.run_id) from tws_raw.job_runs r "
            "left join analytics.incident_analyses a on a.run_id = r.run_id "
            f"where r.internal_status in ({FAILED}) and a.run_id is null"
        ).fetchone()
    return dg.AssetCheckResult(
        passed=missing == 0, metadata={**counts, "missing": dg.MetadataValue.int(missing)}
    )


@dg.asset_check(
    asset=INCIDENT_ANALYSES,
    name="incident_confidence_is_calibrated",
    description=f"On analyses with a recorded outcome (resync resolve --outcome), the expected calibration "
    f"error of the stated confidence is at most {MAX_ECE}. With fewer than {MIN_LABELLED} labelled rows "
    "there is nothing to judge: the check does not pass, it warns (severity WARN) and says so.",
)
def incident_confidence_is_calibrated(duckdb: WarehouseReaderResource) -> dg.AssetCheckResult:
    """ECE of confidence against recorded outcomes (latest outcome per run)."""
    from resync_assets.lib.rca.calibration import ece

    with duckdb.get_connection() as con:
        if not (
            table_exists(con, "analytics", "incident_analyses")
            and table_exists(con, "analytics", "incident_resolutions")
        ):
            return _too_few_labelled(0)
        rows = con.execute(
            "select a.confidence, r.outcome = 'correct' from analytics.incident_analyses a join ("
            "  select run_id, arg_max(outcome, recorded_at) as outcome from analytics.incident_resolutions "
            "  where outcome is not null group by run_id) r on r.run_id = a.run_id"
        ).fetchall()
    n = len(rows)
    if n < MIN_LABELLED:
        return _too_few_labelled(n)
    value = ece([r[0] for r in rows], [bool(r[1]) for r in rows])
    return dg.AssetCheckResult(
        passed=value <= MAX_ECE,
        metadata={
            "labelled": dg.MetadataValue.int(n),
            "ece": dg.MetadataValue.float(round(value, 4)),
            "accuracy": dg.MetadataValue.float(round(sum(bool(r[1]) for r in rows) / n, 4)),
            "mean_confidence": dg.MetadataValue.float(round(sum(r[0] for r in rows) / n, 4)),
        },
    )


def _too_few_labelled(n: int) -> dg.AssetCheckResult:
    """Too few labelled analyses for an ECE: nothing to judge, a warning that says why."""
    reason = (
        f"{n} labelled analyses (needs {MIN_LABELLED}; record outcomes with `resync resolve --outcome`)"
        if n
        else f"no labelled analyses yet (needs {MIN_LABELLED}; record outcomes with `resync resolve --outcome`)"
    )
    return nothing_to_judge(reason, {"labelled": dg.MetadataValue.int(n)})

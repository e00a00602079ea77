"""Each asset check made to fail on the broken data it exists to catch, made to pass on good data, and
shown to say "nothing to judge" (a warning, never a pass) on missing or empty input.

The markers `check_fails(name)` / `check_passes(name)` register these tests for the meta-test
(`test_every_check_is_tested.py`), which fails when a check in the Definitions lacks either.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest

from resync_assets.defs.checks import is_nothing_to_judge, nothing_to_judge_reason
from resync_assets.defs.incidents.checks import (
    MIN_LABELLED,
    incident_analyses_cover_every_failed_run,
    incident_confidence_is_calibrated,
)
from resync_assets.defs.ingest.checks import (
    job_runs_have_unique_run_ids,
    job_runs_match_api_count_for_closed_plan_day,
)
from resync_assets.defs.ingest.freshness import FRESHNESS_WINDOW, JOB_RUNS, job_runs_freshness
from resync_assets.defs.patterns.checks import joblog_templates_ids_are_stable
from resync_assets.defs.resources import TwsResource, WarehouseReaderResource
from resync_assets.lib.rca import resolutions, store
from resync_assets.sim.workload import WorkloadConfig
from tests.conftest import SIM_PASSWORD, SIM_USER

FAILED = ("ABEND", "FAIL", "ERROR")


def reader(path) -> WarehouseReaderResource:
    return WarehouseReaderResource(database=str(path))


def passed(result: dg.AssetCheckResult) -> bool:
    """A real pass: passed, and not a nothing-to-judge warning."""
    return result.passed and not is_nothing_to_judge(result)


def failed(result: dg.AssetCheckResult) -> bool:
    """A real failure at ERROR severity, not a nothing-to-judge warning."""
    return (
        not result.passed
        and result.severity == dg.AssetCheckSeverity.ERROR
        and not is_nothing_to_judge(result)
    )


@pytest.fixture
def wh(tmp_path):
    """An empty DuckDB warehouse file."""
    path = tmp_path / "wh.duckdb"
    duckdb.connect(str(path)).close()
    return path


def job_runs_table(path, rows: list[tuple]) -> None:
    """`tws_raw.job_runs` with the columns the checks read: (run_id, plan_id, internal_status)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists tws_raw")
        con.execute(
            "create or replace table tws_raw.job_runs "
            "(run_id varchar, plan_id varchar, internal_status varchar, sched_time timestamptz)"
        )
        if rows:
            con.executemany("insert into tws_raw.job_runs values (?, ?, ?, null)", rows)


# -- job_runs_have_unique_run_ids ---------------------------------------------------------------------


@pytest.mark.check_fails("job_runs_have_unique_run_ids")
@pytest.mark.parametrize(
    "rows,duplicates,nulls",
    [
        ([("r1", "p", "SUCC"), ("r1", "p", "SUCC"), ("r2", "p", "SUCC")], 1, 0),
        ([("r1", "p", "SUCC"), (None, "p", "SUCC")], 0, 1),
    ],
    ids=["duplicate", "null"],
)
def test_unique_run_ids_fails_on_a_duplicate_or_a_null_run_id(wh, rows, duplicates, nulls):
    job_runs_table(wh, rows)
    result = job_runs_have_unique_run_ids(duckdb=reader(wh))
    assert failed(result)
    assert result.metadata["duplicate_rows"].value == duplicates
    assert result.metadata["null_run_ids"].value == nulls


@pytest.mark.check_passes("job_runs_have_unique_run_ids")
def test_unique_run_ids_passes_on_distinct_run_ids(wh):
    job_runs_table(wh, [("r1", "p", "SUCC"), ("r2", "p", "ABEND")])
    result = job_runs_have_unique_run_ids(duckdb=reader(wh))
    assert passed(result)
    assert result.metadata["rows"].value == 2


def test_unique_run_ids_has_nothing_to_judge_on_no_rows_and_fails_without_the_table(wh):
    assert failed(job_runs_have_unique_run_ids(duckdb=reader(wh)))
    job_runs_table(wh, [])
    result = job_runs_have_unique_run_ids(duckdb=reader(wh))
    assert nothing_to_judge_reason(result) == "tws_raw.job_runs has no rows"
    assert result.severity == dg.AssetCheckSeverity.WARN and not result.passed


# -- job_runs_match_api_count_for_closed_plan_day -----------------------------------------------------


@pytest.fixture
def small_sim(make_simulator):
    """Three plan days of 20 jobs; the newest is the current plan, so the one before is closed."""
    return make_simulator(WorkloadConfig(seed=7, days=3, jobs=20), user=SIM_USER, password=SIM_PASSWORD)


def loaded_rows(workload) -> dict[str, tuple]:
    """What a faithful load holds: one row per run, labelled with the newest plan that lists it."""
    rows: dict[str, tuple] = {}
    for plan_id in workload.plan_ids():
        for run in workload.runs(plan_id):
            rows[run["run_id"]] = (run["run_id"], plan_id, "SUCC")
    return rows


def api_check(sim, wh) -> dg.AssetCheckResult:
    tws = TwsResource(base_url=sim.base_url, user=SIM_USER, password=SIM_PASSWORD, token="")
    return job_runs_match_api_count_for_closed_plan_day(tws=tws, duckdb=reader(wh))


@pytest.mark.check_passes("job_runs_match_api_count_for_closed_plan_day")
def test_api_count_passes_when_every_run_of_the_closed_plan_is_loaded(small_sim, wh):
    job_runs_table(wh, list(loaded_rows(small_sim.workload).values()))
    result = api_check(small_sim, wh)
    assert passed(result), result.metadata
    assert result.metadata["plan_id"].value == small_sim.workload.plan_ids()[-2]
    assert result.metadata["api_runs"].value == result.metadata["loaded_runs"].value > 0


@pytest.mark.check_fails("job_runs_match_api_count_for_closed_plan_day")
def test_api_count_fails_when_a_run_of_the_closed_plan_is_missing(small_sim, wh):
    rows = loaded_rows(small_sim.workload)
    closed = small_sim.workload.plan_ids()[-2]
    dropped = next(r for r in rows.values() if r[1] == closed)
    job_runs_table(wh, [r for r in rows.values() if r != dropped])
    result = api_check(small_sim, wh)
    assert failed(result)
    assert result.metadata["runs_missing_from_warehouse"].value == 1


@pytest.mark.check_fails("job_runs_match_api_count_for_closed_plan_day")
def test_api_count_is_not_fooled_by_a_duplicate_standing_in_for_a_missing_run(small_sim, wh):
    rows = loaded_rows(small_sim.workload)
    closed = small_sim.workload.plan_ids()[-2]
    dropped, doubled = [r for r in rows.values() if r[1] == closed][:2]
    job_runs_table(wh, [*(r for r in rows.values() if r != dropped), doubled])
    result = api_check(small_sim, wh)
    assert failed(result)
    assert result.metadata["loaded_rows"].value == result.metadata["api_runs"].value  # count(*) would pass
    assert result.metadata["runs_missing_from_warehouse"].value == 1


@pytest.mark.check_fails("job_runs_match_api_count_for_closed_plan_day")
def test_api_count_fails_on_a_row_labelled_with_the_plan_that_the_api_does_not_list(small_sim, wh):
    rows = loaded_rows(small_sim.workload)
    closed = small_sim.workload.plan_ids()[-2]
    job_runs_table(wh, [*rows.values(), ("not-a-run", closed, "SUCC")])
    result = api_check(small_sim, wh)
    assert failed(result)
    assert result.metadata["rows_of_plan_not_in_api"].value == 1


def test_api_count_has_nothing_to_judge_without_a_closed_plan(small_sim, wh):
    job_runs_table(wh, [])
    result = api_check(small_sim, wh)
    assert nothing_to_judge_reason(result) == "tws_raw.job_runs has no rows with a plan"
    assert result.metadata["plans_loaded"].value == 0
    current = small_sim.workload.plan_ids()[-1]
    job_runs_table(wh, [r for r in loaded_rows(small_sim.workload).values() if r[1] == current])
    result = api_check(small_sim, wh)
    assert nothing_to_judge_reason(result) == "no closed plan day loaded yet"


# -- job_runs_freshness (tws_raw/job_runs) -----------------------------------------------------------


def freshness(instance) -> dg.AssetCheckResult:
    return job_runs_freshness(dg.build_asset_check_context(instance=instance))


@pytest.mark.check_fails("job_runs_freshness")
def test_freshness_fails_when_the_last_load_is_older_than_the_window(monkeypatch):
    from resync_assets.defs.ingest import freshness as module

    with dg.DagsterInstance.ephemeral() as instance:
        never = freshness(instance)
        assert failed(never) and never.description == "never updated"
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=JOB_RUNS))
        later = dt.datetime.now(dt.UTC) + FRESHNESS_WINDOW + dt.timedelta(minutes=1)
        monkeypatch.setattr(module, "_now", lambda: later)
        result = freshness(instance)
    assert failed(result)
    assert "more than 30 min" in result.description and result.metadata["lag_minutes"].value > 30


@pytest.mark.check_passes("job_runs_freshness")
def test_freshness_passes_right_after_a_load():
    with dg.DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=JOB_RUNS))
        result = freshness(instance)
    assert passed(result)
    assert result.metadata["lag_minutes"].value < FRESHNESS_WINDOW.total_seconds() / 60


# -- incident_analyses_cover_every_failed_run ---------------------------------------------------------


def analyses_table(path, run_ids: list[str]) -> None:
    with duckdb.connect(str(path)) as con:
        store.ensure_tables(con)
        for run_id in run_ids:
            con.execute(
                "insert into analytics.incident_analyses (run_id, confidence) values (?, 0.5)", [run_id]
            )


@pytest.mark.check_fails("incident_analyses_cover_every_failed_run")
def test_coverage_fails_when_a_failed_run_has_no_analysis(wh):
    job_runs_table(wh, [("r1", "p", "ABEND"), ("r2", "p", "FAIL"), ("r3", "p", "SUCC")])
    analyses_table(wh, ["r1"])
    result = incident_analyses_cover_every_failed_run(duckdb=reader(wh))
    assert failed(result)
    assert result.metadata["missing"].value == 1 and result.metadata["failed_runs"].value == 2


@pytest.mark.check_fails("incident_analyses_cover_every_failed_run")
def test_coverage_fails_when_failed_runs_exist_but_no_analyses_table(wh):
    job_runs_table(wh, [("r1", "p", "ERROR")])
    result = incident_analyses_cover_every_failed_run(duckdb=reader(wh))
    assert failed(result)
    assert result.metadata["missing"].value == 1


@pytest.mark.check_passes("incident_analyses_cover_every_failed_run")
def test_coverage_passes_when_every_failed_run_is_analysed(wh):
    job_runs_table(wh, [("r1", "p", "ABEND"), ("r2", "p", "FAIL"), ("r3", "p", "SUCC")])
    analyses_table(wh, ["r1", "r2"])
    result = incident_analyses_cover_every_failed_run(duckdb=reader(wh))
    assert passed(result)
    assert result.metadata["failed_runs"].value == 2


def test_coverage_has_nothing_to_judge_without_runs_or_failed_runs(wh):
    assert nothing_to_judge_reason(incident_analyses_cover_every_failed_run(duckdb=reader(wh))) == (
        "tws_raw.job_runs does not exist yet"
    )
    job_runs_table(wh, [])
    assert nothing_to_judge_reason(incident_analyses_cover_every_failed_run(duckdb=reader(wh))) == (
        "tws_raw.job_runs has no rows"
    )
    job_runs_table(wh, [("r1", "p", "SUCC")])
    assert nothing_to_judge_reason(incident_analyses_cover_every_failed_run(duckdb=reader(wh))) == (
        "no failed run among 1 job runs"
    )


# -- incident_confidence_is_calibrated ----------------------------------------------------------------


def labelled(path, outcomes: list[tuple[float, str]]) -> None:
    """Analyses with the given confidence and a recorded outcome each."""
    now = dt.datetime(2025, 3, 14, tzinfo=dt.UTC)
    with duckdb.connect(str(path)) as con:
        store.ensure_tables(con)
        for i, (confidence, outcome) in enumerate(outcomes):
            con.execute(
                "insert into analytics.incident_analyses (run_id, confidence, ended_at) values (?, ?, ?)",
                [f"r{i}", confidence, now - dt.timedelta(hours=i)],
            )
            resolutions.record(
                con, resolutions.Resolution(run_id=f"r{i}", cause="c", fix="f", outcome=outcome)
            )


@pytest.mark.check_passes("incident_confidence_is_calibrated")
def test_calibration_passes_when_confidence_matches_the_outcomes(wh):
    # 0.8 stated, 80 % correct: ECE 0.
    labelled(wh, [(0.8, "correct" if i % 5 else "incorrect") for i in range(60)])
    result = incident_confidence_is_calibrated(duckdb=reader(wh))
    assert passed(result)
    assert result.metadata["ece"].value == pytest.approx(0.0, abs=1e-9)


@pytest.mark.check_fails("incident_confidence_is_calibrated")
def test_calibration_fails_when_confidence_overstates_the_outcomes(wh):
    labelled(wh, [(0.95, "correct" if i % 2 else "incorrect") for i in range(60)])
    result = incident_confidence_is_calibrated(duckdb=reader(wh))
    assert failed(result)
    assert result.metadata["ece"].value == pytest.approx(0.45, abs=0.01)


def test_calibration_has_nothing_to_judge_below_the_minimum_of_labelled_rows(wh):
    reason = nothing_to_judge_reason(incident_confidence_is_calibrated(duckdb=reader(wh)))
    assert reason.startswith("no labelled analyses yet")
    labelled(wh, [(0.95, "incorrect")] * (MIN_LABELLED - 1))
    result = incident_confidence_is_calibrated(duckdb=reader(wh))
    assert nothing_to_judge_reason(result).startswith(
        f"{MIN_LABELLED - 1} labelled analyses (needs {MIN_LABELLED}"
    )
    assert result.metadata["labelled"].value == MIN_LABELLED - 1


# -- joblog_templates_ids_are_stable ------------------------------------------------------------------

LINES = (
    [
        f"{verb} file /data/in/{n}.csv for job {job} rc={rc}"
        for n in range(1, 4)
        for job, verb, rc in [("ETL_LOAD", "Loaded", 0), ("ETL_SEND", "Sent", 0), ("ETL_LOAD", "Rejected", 8)]
    ]
    + [f"connection to db{n} refused after {n} retries" for n in range(3)]
    + [f"ORA-{n:05d}: unique constraint violated in table T{n}" for n in range(3)]
)


def templates_table(path, lines: list[str] = LINES) -> list[tuple[int, str]]:
    """Mine `lines`, persist the miner and `analytics.joblog_templates` (template_id, example)."""
    from resync_assets.lib.patterns.miner import TemplateMiner

    miner = TemplateMiner()
    miner.add_many(lines)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists analytics")
        miner.save(con, "analytics")
        con.execute(
            "create or replace table analytics.joblog_templates as "
            "select template_id, example from analytics.pattern_miner_templates"
        )
        return con.execute(
            "select template_id, example from analytics.joblog_templates order by 1"
        ).fetchall()


@pytest.mark.check_passes("joblog_templates_ids_are_stable")
def test_template_ids_pass_when_every_example_maps_back_to_its_template(wh):
    rows = templates_table(wh)
    assert len(rows) >= 3
    result = joblog_templates_ids_are_stable(duckdb=reader(wh))
    assert passed(result), result.metadata
    assert result.metadata["checked"].value == len(rows)


@pytest.mark.check_fails("joblog_templates_ids_are_stable")
def test_template_ids_fail_when_a_stored_example_maps_to_another_template(wh):
    (first, _), (second, other_example), *_ = templates_table(wh)
    with duckdb.connect(str(wh)) as con:
        con.execute(
            "update analytics.joblog_templates set example = ? where template_id = ?", [other_example, first]
        )
    result = joblog_templates_ids_are_stable(duckdb=reader(wh))
    assert failed(result)
    assert result.metadata["moved"].value == 1
    assert result.metadata["examples"].value == [[first, second]]


def distinct_words_line(i: int) -> str:
    """A line of four letter-only words shared with no other i < 2,511 (no digits for the masks)."""
    letters = "abcdefghijklmnopqrstuvwxyz"

    def word(n: int, k: int) -> str:
        return "".join(letters[(n // 26**p) % 26] for p in range(3)) + letters[k]

    return " ".join(word(i * 7 + k, k) for k in range(4))


def test_template_ids_judge_every_template_not_a_first_window(wh):
    lines = [distinct_words_line(i) for i in range(2_500)]
    rows = templates_table(wh, lines)
    assert len(rows) > 2_000
    last_id, _ = rows[-1]
    with duckdb.connect(str(wh)) as con:
        con.execute(
            "update analytics.joblog_templates set example = ? where template_id = ?", [rows[0][1], last_id]
        )
    result = joblog_templates_ids_are_stable(duckdb=reader(wh))
    assert failed(result)
    assert result.metadata["checked"].value == len(rows)


def test_template_ids_have_nothing_to_judge_without_templates(wh):
    assert nothing_to_judge_reason(joblog_templates_ids_are_stable(duckdb=reader(wh))) == (
        "analytics.joblog_templates does not exist yet"
    )
    templates_table(wh)
    with duckdb.connect(str(wh)) as con:
        con.execute("delete from analytics.joblog_templates")
    assert nothing_to_judge_reason(joblog_templates_ids_are_stable(duckdb=reader(wh))) == (
        "analytics.joblog_templates has no rows"
    )

"""Joblog body extraction and the joblog pattern tables."""

import datetime as dt

import polars as pl
import pytest

from resync_assets.lib.patterns.joblogs import (
    extract_error_lines,
    is_error_line,
    joblog_body_lines,
    weekly_growth,
)
from resync_assets.lib.patterns.miner import TemplateMiner
from resync_assets.lib.rca.failure_modes import build_pattern_tables
from tests.patterns.joblog_samples import BANNER, DYNAMIC_JOBLOG, classic_joblog

UTC = dt.UTC
ORA_1555 = 'ORA-01555: snapshot too old: rollback segment number {n} with name "_SYSSMU{n}_12$" too small'
STEP_FAILED = "2025-03-14 23:58:44 ERROR gl_extract: step 1/3 failed, sqlplus exit=19"
NO_FILE = "SQL*Loader-500: Unable to open file (/data/in/employees_{n}.csv)"


def test_body_drops_header_preamble_and_trailer():
    text = classic_joblog(
        "GL_EXTRACT_02", ["2025-03-14 23:41:08 INFO  gl_extract: start", ORA_1555.format(n=9)]
    )
    body = joblog_body_lines(text)
    assert body == [(15, "2025-03-14 23:41:08 INFO  gl_extract: start"), (16, ORA_1555.format(n=9))]


def test_dynamic_agent_task_block_is_header():
    assert [line for _, line in joblog_body_lines(DYNAMIC_JOBLOG)] == [
        "purge_tmp: removing files older than 7 days under /data/tmp",
        "find: '/data/tmp/archive': Permission denied",
        "purge_tmp: 1 error(s), exiting 1",
    ]


def test_log_without_trailer_keeps_everything_after_header():
    text = classic_joblog("J", ["still running"]).split("AWSBIS308I")[0]
    assert [line for _, line in joblog_body_lines(text)] == ["still running"]


def test_content_only_log_is_all_body():
    assert joblog_body_lines("a\n\nb\n") == [(1, "a"), (3, "b")]
    assert joblog_body_lines("") == [] and joblog_body_lines(None) == []


def test_job_output_with_a_banner_line_stays_body():
    text = classic_joblog("J", ["report", BANNER, "totals 12"])
    assert [line for _, line in joblog_body_lines(text)] == ["report", "totals 12"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (ORA_1555.format(n=9), True),
        ("AWSBHT001E The job could not be launched", True),
        ("find: '/data/tmp/archive': Permission denied", True),
        ("java.lang.OutOfMemoryError: Java heap space", True),
        ('Exception in thread "main" java.io.IOException: broken', True),
        ("2025-03-14 23:41:08 INFO  gl_extract: step 1/3 spooling", False),
        ("load finished with 0 errors", False),
        ("purge_tmp: removing files older than 7 days", False),
    ],
)
def test_is_error_line(line, expected):
    assert is_error_line(line) is expected


def test_extract_error_lines_keeps_line_numbers():
    text = classic_joblog("J", ["ok step", ORA_1555.format(n=9), STEP_FAILED])
    assert extract_error_lines(text) == [(16, ORA_1555.format(n=9)), (17, STEP_FAILED)]


def test_weekly_growth_of_a_geometric_series():
    assert weekly_growth([10, 13, 16.9, 21.97]) == pytest.approx(0.30, abs=1e-6)
    assert weekly_growth([8, 8, 8]) == pytest.approx(0.0, abs=1e-9)
    assert weekly_growth([5]) is None
    assert weekly_growth([20, 10, 5]) == pytest.approx(-0.5, abs=1e-6)


def _joblogs() -> pl.DataFrame:
    """Eight weeks of runs: ORA-01555 grows 30 %/week, a file error is flat, successes are noise."""
    start = dt.datetime(2025, 1, 6, 22, 0, tzinfo=UTC)  # a Monday
    rows = []
    n = 0
    ora_per_week = [10, 13, 17, 22, 29, 37, 48, 63]  # ~ 10 * 1.3**week
    for week in range(8):
        for i in range(ora_per_week[week]):
            n += 1
            job = ["GL_EXTRACT_01", "GL_EXTRACT_02", "AR_EXTRACT"][i % 3]
            rows.append(
                (
                    f"r{n}",
                    job,
                    "ABEND",
                    start + dt.timedelta(days=7 * week, minutes=i),
                    classic_joblog(job, ["starting", ORA_1555.format(n=n % 17), STEP_FAILED], jobnum=n),
                )
            )
        for i in range(6):
            n += 1
            rows.append(
                (
                    f"r{n}",
                    "HR_LOAD",
                    "ABEND",
                    start + dt.timedelta(days=7 * week + 1, minutes=i),
                    classic_joblog("HR_LOAD", ["loading", NO_FILE.format(n=n)], rc=1, jobnum=n),
                )
            )
        for i in range(5):
            n += 1
            rows.append(
                (
                    f"r{n}",
                    "PURGE",
                    "SUCC",
                    start + dt.timedelta(days=7 * week + 2, minutes=i),
                    classic_joblog("PURGE", [f"purged {n} files"], rc=0, jobnum=n),
                )
            )
    n += 1
    rows.append((f"r{n}", "NEVER_STARTED", "FAIL", start + dt.timedelta(days=50), ""))
    return pl.DataFrame(
        rows,
        schema={
            "run_id": pl.Utf8,
            "job_name": pl.Utf8,
            "internal_status": pl.Utf8,
            "actual_end": pl.Datetime("us", "UTC"),
            "text": pl.Utf8,
        },
        orient="row",
    ).with_columns(workstation=pl.lit("FTAPRD01"))


def test_pattern_tables_templates_and_daily_counts():
    tables = build_pattern_tables(_joblogs())
    templates = tables["joblog_templates"]
    ora = templates.filter(pl.col("template").str.starts_with("ORA-01555"))
    assert ora.height == 1
    assert (
        ora["template"][0]
        == 'ORA-01555: snapshot too old: rollback segment number <*> with name "<*>" too small'
    )
    assert ora["line_count"][0] == ora["run_count"][0] == sum([10, 13, 17, 22, 29, 37, 48, 63])
    assert ora["first_seen"][0] == dt.datetime(2025, 1, 6, 22, 0, tzinfo=UTC)
    daily = ora["daily_counts"][0]
    assert [d["count"] for d in daily] == [10, 13, 17, 22, 29, 37, 48, 63]
    counts = tables["joblog_template_daily_counts"]
    assert counts.columns == ["template_id", "day", "count"]
    assert counts.filter(pl.col("template_id") == ora["template_id"][0])["count"].sum() == 239
    purge = templates.filter(pl.col("template").str.starts_with("purged"))
    assert purge["template"][0] == "purged <*> files" and purge["error_line_count"][0] == 0
    # Preamble and banners never become templates.
    assert not templates.filter(pl.col("template").str.contains("JOBMANRC|AWSBIS30|Exit Status")).height


def test_failure_mode_clusters_and_growth():
    clusters = build_pattern_tables(_joblogs())["joblog_pattern_clusters"]
    assert clusters.height == 3
    ora = clusters.row(0, named=True)
    assert ora["representative_template"].startswith("ORA-01555: snapshot too old")
    assert ora["runs"] == 239
    assert ora["jobs_affected"] == 3
    assert ora["jobs"] == ["AR_EXTRACT", "GL_EXTRACT_01", "GL_EXTRACT_02"]
    assert [w["runs"] for w in ora["weekly"]] == [10, 13, 17, 22, 29, 37, 48, 63]
    assert ora["weekly"][0]["week"] == "2025-W02"
    assert ora["growth_per_week"] == pytest.approx(0.30, abs=0.02)
    assert ora["trend"] == "increasing"
    assert "increasing 30 %/week" in ora["summary"]
    assert "239 failed runs of 3 jobs" in ora["summary"]

    no_file = clusters.filter(pl.col("representative_template").str.starts_with("SQL*Loader-500")).row(
        0, named=True
    )
    assert no_file["runs"] == 48 and no_file["jobs"] == ["HR_LOAD"]
    assert no_file["trend"] == "stable"
    assert no_file["growth_per_week"] == pytest.approx(0.0, abs=0.05)

    empty = clusters.filter(pl.col("cluster_id") == 0).row(0, named=True)
    assert empty["representative_template"] == "(no joblog output)"
    assert empty["runs"] == 1 and empty["jobs"] == ["NEVER_STARTED"]


def test_template_ids_stable_when_mining_continues(tmp_path):
    import duckdb

    logs = _joblogs()
    first, second = logs.head(100), logs.slice(100)
    miner = TemplateMiner()
    build_pattern_tables(first, miner)
    path = str(tmp_path / "p.duckdb")
    with duckdb.connect(path) as con:
        miner.save(con, schema="analytics")
    with duckdb.connect(path) as con:
        resumed = TemplateMiner.load(con, schema="analytics")
    resumed_ids = build_pattern_tables(second, resumed)["joblog_lines"]["template_id"].to_list()
    straight = TemplateMiner()
    build_pattern_tables(first, straight)
    assert build_pattern_tables(second, straight)["joblog_lines"]["template_id"].to_list() == resumed_ids


def test_arrow_input_is_accepted():
    tables = build_pattern_tables(_joblogs().head(20).to_arrow())
    assert tables["joblog_templates"].height > 0

"""The one joblog model: status sets shared with ingest and dbt, layout cleaning, error-line choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from resync_assets.lib.joblog.errorline import scan
from resync_assets.lib.joblog.layout import body_lines, clean_line
from resync_assets.lib.joblog.status import (
    FAILED_INTERNAL_STATUSES,
    TERMINAL_COMMON_STATUSES,
    render_dbt_macro,
    status_class,
)
from tests.patterns.joblog_samples import classic_joblog

REPO = Path(__file__).resolve().parents[2]


def test_dbt_macro_is_generated_from_the_status_sets():
    macro = (REPO / "dbt_project" / "macros" / "status_class.sql").read_text()
    assert macro == render_dbt_macro(), (
        "dbt_project/macros/status_class.sql differs from lib/joblog/status.py: regenerate it with "
        "`python -m resync_assets.lib.joblog.status > dbt_project/macros/status_class.sql`"
    )


def test_every_reader_uses_the_same_failed_statuses():
    from resync_assets.defs.incidents import checks
    from resync_assets.lib.ingest import source
    from resync_assets.lib.ingest.config import IngestConfig
    from resync_assets.lib.rca import store

    assert set(IngestConfig(Path("w"), Path("l"), Path("p")).joblog_statuses) == FAILED_INTERNAL_STATUSES
    assert set(store.FAILED_STATUSES) == FAILED_INTERNAL_STATUSES
    assert source.TERMINAL_COMMON_STATUSES is TERMINAL_COMMON_STATUSES
    assert all(f"'{s}'" in checks.FAILED for s in FAILED_INTERNAL_STATUSES)


@pytest.mark.parametrize(
    ("internal", "common", "expected"),
    [
        ("ABEND", "ERROR", "failure"),
        ("DONE", "ERROR", "failure"),
        ("SUCC", "SUCCESSFUL", "success"),
        ("SUPPR", "SUCCESSFUL", "other"),
        (None, "ERROR", "failure"),
        ("EXEC", "RUNNING", "running"),
        ("CANCL", None, "cancelled"),
    ],
)
def test_status_class_matches_the_dbt_macro(internal, common, expected):
    import duckdb
    import jinja2

    assert status_class(internal, common) == expected
    env = jinja2.Environment()
    module = env.from_string(render_dbt_macro()).module
    sql = module.status_class("i", "c")
    got = duckdb.sql(
        f"select {sql} from (select ?::varchar as i, ?::varchar as c)", params=[internal, common]
    )
    assert got.fetchall()[0][0] == expected


def test_ansi_colour_codes_are_removed_not_blanked():
    assert clean_line("\x1b[1;31mORA-00060:\x1b[0m deadlock detected") == "ORA-00060: deadlock detected"
    assert clean_line("\x1b]0;title\x07ok \x00 nul") == "ok   nul"


def test_scan_picks_the_cause_not_the_wrapper_and_keeps_line_numbers():
    text = classic_joblog(
        "J", ["starting", "Host key verification failed.", "2025-03-14 01:00:00 ERROR j: step failed, rc=255"]
    )
    found = scan(text)
    assert found.pick.text == "Host key verification failed."
    assert found.pick.line_no == 16 and found.is_specific
    assert found.header.job == "J" and found.header.exit_status == 19
    assert [n for n, _ in body_lines(text)] == [15, 16, 17]


def test_a_wrapper_alone_is_not_specific():
    found = scan(classic_joblog("J", ["starting", "2025-03-14 01:00:00 ERROR j: step failed, rc=1"]))
    assert found.pick is not None and found.pick.is_wrapper and not found.is_specific

"""The streaming template miner: grouping, stability, persistence in DuckDB."""

import datetime as dt

import duckdb
import pytest

from resync_assets.lib.patterns.miner import MinerConfig, TemplateMiner, mine_templates

UTC = dt.UTC

JOBLOG_LINES = [
    'ORA-01555: snapshot too old: rollback segment number 9 with name "_SYSSMU9_1203948812$" too small',
    "ORA-00060: deadlock detected while waiting for resource",
    'ORA-01555: snapshot too old: rollback segment number 12 with name "_SYSSMU12_99$" too small',
    "SQL*Loader-500: Unable to open file (/data/in/employees.csv)",
    "ORA-00060: deadlock detected while waiting for resource",
    "SQL*Loader-500: Unable to open file (/data/in/payroll_20250314.csv)",
    "AWSBHT001E The job FTAPRD01#GL_CLOSE.GL_EXTRACT_02 could not be launched",
    "find: '/data/tmp/archive': Permission denied",
    "AWSBHT001E The job FTAPRD02#AR_LOAD.AR_LOAD_01 could not be launched",
    "find: '/data/tmp/spool': Permission denied",
    "2025-03-14 23:41:08 INFO  gl_extract: step 1/3 spooling journal lines",
    "2025-03-15 01:02:03 INFO  gl_extract: step 2/3 spooling journal lines",
    "curl: (7) Failed to connect to files.example.com port 443: Connection refused",
    "curl: (28) Operation timed out after 30001 milliseconds with 0 out of 0 bytes received",
]


def test_same_shape_lines_share_a_template():
    miner = TemplateMiner()
    a = miner.add("Receiving block blk_123 src: /10.0.0.1:5000 dest: /10.0.0.2:50010")
    b = miner.add("Receiving block blk_-987 src: /10.0.0.7:6000 dest: /10.0.0.8:50010")
    assert a.is_new and not b.is_new
    assert a.template_id == b.template_id
    assert b.template == "Receiving block <*> src: /<*> dest: /<*>"
    assert b.params == ("blk_-987", "10.0.0.7:6000", "10.0.0.8:50010")


def test_joblog_failure_modes_do_not_merge():
    templates = mine_templates(JOBLOG_LINES)
    by_line = dict(zip(JOBLOG_LINES, templates))
    assert by_line[JOBLOG_LINES[0]] == by_line[JOBLOG_LINES[2]]
    assert (
        by_line[JOBLOG_LINES[0]]
        == 'ORA-01555: snapshot too old: rollback segment number <*> with name "<*>" too small'
    )
    assert by_line[JOBLOG_LINES[1]] != by_line[JOBLOG_LINES[0]]
    assert by_line[JOBLOG_LINES[3]] == by_line[JOBLOG_LINES[5]] == "SQL*Loader-500: Unable to open file (<*>)"
    assert by_line[JOBLOG_LINES[6]] == by_line[JOBLOG_LINES[8]]
    assert "AWSBHT001E" in by_line[JOBLOG_LINES[6]]
    assert by_line[JOBLOG_LINES[7]] == by_line[JOBLOG_LINES[9]] == "find: '<*>': Permission denied"
    assert by_line[JOBLOG_LINES[10]] == by_line[JOBLOG_LINES[11]]
    assert by_line[JOBLOG_LINES[12]] != by_line[JOBLOG_LINES[13]]
    assert len(set(templates)) == 8


def test_masked_lines_do_not_split_into_many_clusters():
    # Regression: drain3 ignores `<*>` masks in its similarity, so mostly-variable lines split.
    miner = TemplateMiner()
    for i in range(2000):
        miner.add(f"{i} 10.0.{i % 256}.1 {i * 7} 0x{i:08x} /data/{i}/f.csv done")
    assert len(miner) == 1


def test_repeated_lines_return_to_their_cluster():
    miner = TemplateMiner()
    first = miner.add("job GL_EXTRACT_02 ended rc 19").template_id
    miner.add("job AR_LOAD ended rc 8")
    assert miner.add("job GL_EXTRACT_02 ended rc 19").template_id == first
    assert miner.clusters[first].size == 2


def test_match_does_not_learn():
    miner = TemplateMiner()
    tid = miner.add("ORA-00060: deadlock detected while waiting for resource").template_id
    hit = miner.match("ORA-00060: deadlock detected while waiting for resource")
    assert hit.template_id == tid and not hit.is_new
    miss = miner.match("completely unrelated words here")
    assert miss.template_id is None
    assert len(miner) == 1 and miner.clusters[tid].size == 1


def test_add_many_equals_add():
    lines = JOBLOG_LINES * 3
    one = TemplateMiner()
    ids_one = [one.add(line).template_id for line in lines]
    many = TemplateMiner()
    assert many.add_many(lines) == ids_one
    assert {c: x.size for c, x in many.clusters.items()} == {c: x.size for c, x in one.clusters.items()}


def _stream(n: int) -> list[str]:
    out = []
    for i in range(n):
        out.append(JOBLOG_LINES[i % len(JOBLOG_LINES)].replace("9", str(i % 10)))
        out.append(f"purge_tmp: removing files older than {i % 9} days under /data/tmp{i % 4}")
        out.append(f"step {i % 5} of job {['A', 'B', 'C'][i % 3]}_LOAD ended at 2025-03-{1 + i % 28:02d}")
    return out


def test_save_load_gives_same_ids_and_results(tmp_path):
    lines = _stream(120)
    ts = dt.datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
    straight = TemplateMiner()
    expected = [(r.template_id, r.is_new, r.params) for r in (straight.add(x, ts=ts) for x in lines)]

    path = str(tmp_path / "miner.duckdb")
    first = TemplateMiner()
    got = [(r.template_id, r.is_new, r.params) for r in (first.add(x, ts=ts) for x in lines[:150])]
    with duckdb.connect(path) as con:
        first.save(con, schema="analytics")
    with duckdb.connect(path) as con:
        resumed = TemplateMiner.load(con, schema="analytics")
    assert {c: x.template for c, x in resumed.clusters.items()} == {
        c: x.template for c, x in first.clusters.items()
    }
    got += [(r.template_id, r.is_new, r.params) for r in (resumed.add(x, ts=ts) for x in lines[150:])]
    assert got == expected
    assert {c: (x.template, x.size) for c, x in resumed.clusters.items()} == {
        c: (x.template, x.size) for c, x in straight.clusters.items()
    }


def test_saved_templates_table(tmp_path):
    miner = TemplateMiner()
    t0 = dt.datetime(2025, 3, 1, tzinfo=UTC)
    t1 = dt.datetime(2025, 3, 8, tzinfo=UTC)
    miner.add("ORA-00060: deadlock detected while waiting for resource", ts=t1)
    miner.add("ORA-00060: deadlock detected while waiting for resource", ts=t0)
    path = str(tmp_path / "m.duckdb")
    with duckdb.connect(path) as con:
        miner.save(con, schema="analytics")
        rows = con.execute(
            "SELECT template_id, template, token_count, size, first_seen, last_seen, example "
            "FROM analytics.pattern_miner_templates"
        ).fetchall()
    assert len(rows) == 1
    tid, template, token_count, size, first, last, example = rows[0]
    assert (tid, size, token_count) == (1, 2, 8)
    assert template == example == "ORA-00060: deadlock detected while waiting for resource"
    assert first.astimezone(UTC) == t0 and last.astimezone(UTC) == t1


def test_incremental_add_after_load_continues_ids(tmp_path):
    miner = TemplateMiner()
    miner.add("alpha beta gamma")
    path = str(tmp_path / "m.duckdb")
    with duckdb.connect(path) as con:
        miner.save(con)
        miner.add("one two three four five")
        miner.save(con)  # saving again replaces the state
    with duckdb.connect(path) as con:
        loaded = TemplateMiner.load(con)
    new = loaded.add("completely different line of text here now")
    assert new.is_new and new.template_id == 3
    again = loaded.add("alpha beta gamma")
    assert again.template_id == 1 and not again.is_new


def test_load_from_empty_database_gives_empty_miner(tmp_path):
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        miner = TemplateMiner.load(con, schema="nothing_here")
    assert len(miner) == 0


def test_config_round_trips(tmp_path):
    config = MinerConfig(similarity=0.7, prefix_depth=1, max_children=10)
    miner = TemplateMiner(config)
    with duckdb.connect(str(tmp_path / "c.duckdb")) as con:
        miner.save(con, schema="s")
        assert TemplateMiner.load(con, schema="s").config == config


@pytest.mark.parametrize("line", ["", "   ", "\ufffd\ufffd"])
def test_odd_lines_are_accepted(line):
    miner = TemplateMiner()
    result = miner.add(line)
    assert result.template_id == 1


def test_save_inside_callers_transaction(tmp_path):
    miner = TemplateMiner()
    miner.add("ORA-00060: deadlock detected while waiting for resource")
    with duckdb.connect(str(tmp_path / "t.duckdb")) as con:
        con.execute("BEGIN TRANSACTION")
        miner.save(con, schema="analytics")
        con.execute("COMMIT")
        assert TemplateMiner.load(con, schema="analytics").template_of(1) == (
            "ORA-00060: deadlock detected while waiting for resource"
        )


def test_save_of_many_templates_round_trips(tmp_path):
    # Regression: row-by-row inserts made saving thousands of templates take minutes.
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa"]
    miner = TemplateMiner()
    for i in range(3000):
        miner.add(f"{words[i % 10]} {words[(i // 10) % 10]} step {words[(i // 100) % 10]} failed")
    with duckdb.connect(str(tmp_path / "many.duckdb")) as con:
        miner.save(con, schema="analytics")
        loaded = TemplateMiner.load(con, schema="analytics")
    assert len(loaded) == len(miner) >= 100
    assert {c: x.template for c, x in loaded.clusters.items()} == {
        c: x.template for c, x in miner.clusters.items()
    }

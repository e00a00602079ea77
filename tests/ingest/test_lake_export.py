"""The lake export rewrites only the parts of a table that changed: plan-day partitions, or the file."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from resync_assets.lib.ingest.warehouse import export_lake


def _sql(warehouse, *statements):
    con = duckdb.connect(str(warehouse))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def test_export_skips_unchanged_tables_and_rewrites_changed_ones(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    _sql(
        warehouse,
        "create schema s",
        "create table s.t as select range as id, 'L1' as _dlt_load_id, 'x' as _dlt_id from range(10)",
        "create table s.plain as select 1 as a",
    )  # no change stamp: always written
    lake = tmp_path / "lake"

    written = export_lake(warehouse, "s", lake, ["t", "plain"])
    t_file, plain_file = lake / "s" / "t" / "t.parquet", lake / "s" / "plain" / "plain.parquet"
    assert written == [t_file, plain_file]
    assert pq.read_table(t_file).column_names == ["id"]
    t_inode, plain_inode = t_file.stat().st_ino, plain_file.stat().st_ino

    assert export_lake(warehouse, "s", lake, ["t", "plain"]) == [plain_file]
    assert t_file.stat().st_ino == t_inode  # unchanged: not rewritten
    assert plain_file.stat().st_ino != plain_inode

    _sql(warehouse, "insert into s.t values (99, 'L2', 'y')")
    assert export_lake(warehouse, "s", lake, ["t"]) == [t_file]
    assert pq.read_table(t_file).num_rows == 11

    # An update that keeps the count still comes with a newer load id.
    _sql(warehouse, "update s.t set id = 100, _dlt_load_id = 'L3' where id = 99")
    export_lake(warehouse, "s", lake, ["t"])
    assert 100 in pq.read_table(t_file)["id"].to_pylist()

    t_file.unlink()  # a missing file is written again
    assert export_lake(warehouse, "s", lake, ["t"]) == [t_file]
    assert pq.read_table(t_file).num_rows == 11
    assert not any(p.name.endswith(".tmp") for p in lake.rglob("*"))


def _lake_rows(folder):
    return sorted(
        (row["run_id"], row["plan_id"])
        for f in folder.glob("plan_id=*/*.parquet")
        for row in pq.read_table(f).to_pylist()
    )


def test_a_table_with_plan_ids_is_partitioned_and_only_touched_days_are_rewritten(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    _sql(
        warehouse,
        "create schema s",
        "create table s.runs (run_id varchar, plan_id varchar, last_seen_at timestamptz)",
        "insert into s.runs select 'r' || range, '2025-03-0' || (1 + range % 3), "
        "timestamptz '2025-03-04 00:00:00+00' from range(9)",
        "insert into s.runs values ('orphan', null, timestamptz '2025-03-04 00:00:00+00')",
    )
    lake = tmp_path / "lake"
    folder = lake / "s" / "runs"
    (folder).mkdir(parents=True)
    (folder / "runs.parquet").write_bytes(b"a file of the older one-file layout")

    written = export_lake(warehouse, "s", lake, ["runs"])
    day = {d: folder / f"plan_id=2025-03-0{d}" for d in (1, 2, 3)}
    assert {f.parent for f in written} == {*day.values(), folder / "plan_id=__HIVE_DEFAULT_PARTITION__"}
    assert not (folder / "runs.parquet").exists()
    expected = sorted((f"r{k}", f"2025-03-0{1 + k % 3}") for k in range(9))
    assert _lake_rows(folder) == sorted([*expected, ("orphan", None)])
    inode = {d: next(day[d].glob("*.parquet")).stat().st_ino for d in day}

    assert export_lake(warehouse, "s", lake, ["runs"]) == []  # nothing changed, nothing written

    # A run carried forward from day 1 to day 2 changes both days and no other.
    _sql(
        warehouse,
        "update s.runs set plan_id = '2025-03-02', last_seen_at = timestamptz '2025-03-05 00:00:00+00' "
        "where run_id = 'r0'",
    )
    written = export_lake(warehouse, "s", lake, ["runs"])
    assert {f.parent for f in written} == {day[1], day[2]}
    assert next(day[3].glob("*.parquet")).stat().st_ino == inode[3]
    assert ("r0", "2025-03-02") in _lake_rows(folder) and ("r0", "2025-03-01") not in _lake_rows(folder)

    # A day whose rows are all gone disappears from the lake.
    _sql(warehouse, "delete from s.runs where plan_id = '2025-03-03'")
    assert export_lake(warehouse, "s", lake, ["runs"]) == []
    assert not day[3].exists()
    assert len(_lake_rows(folder)) == 7
    assert not any(p.name.endswith(".tmp") for p in lake.rglob("*"))

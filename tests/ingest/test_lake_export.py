"""The lake export rewrites a table's Parquet file only when the table changed."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from resync_assets.lib.ingest.warehouse import export_lake


def test_export_skips_unchanged_tables_and_rewrites_changed_ones(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema s")
    con.execute("create table s.t as select range as id, 'L1' as _dlt_load_id, 'x' as _dlt_id from range(10)")
    con.execute("create table s.plain as select 1 as a")  # no dlt load ids: always written
    con.close()
    lake = tmp_path / "lake"

    written = export_lake(warehouse, "s", lake, ["t", "plain"])
    t_file, plain_file = lake / "s" / "t" / "t.parquet", lake / "s" / "plain" / "plain.parquet"
    assert written == [t_file, plain_file]
    assert pq.read_table(t_file).column_names == ["id"]
    t_inode, plain_inode = t_file.stat().st_ino, plain_file.stat().st_ino

    assert export_lake(warehouse, "s", lake, ["t", "plain"]) == [t_file, plain_file]
    assert t_file.stat().st_ino == t_inode  # unchanged: not rewritten
    assert plain_file.stat().st_ino != plain_inode

    con = duckdb.connect(str(warehouse))
    con.execute("insert into s.t values (99, 'L2', 'y')")
    con.close()
    export_lake(warehouse, "s", lake, ["t"])
    assert pq.read_table(t_file).num_rows == 11

    # An update that keeps the count still comes with a newer load id.
    con = duckdb.connect(str(warehouse))
    con.execute("update s.t set id = 100, _dlt_load_id = 'L3' where id = 99")
    con.close()
    export_lake(warehouse, "s", lake, ["t"])
    assert 100 in pq.read_table(t_file)["id"].to_pylist()

    t_file.unlink()  # a missing file is written again
    export_lake(warehouse, "s", lake, ["t"])
    assert pq.read_table(t_file).num_rows == 11
    assert not any(p.name.endswith(".tmp") for p in lake.rglob("*"))

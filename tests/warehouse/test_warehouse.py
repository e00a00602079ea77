"""The warehouse seam: where it is, read-only connections while a writer works, and one writer at a time."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from resync_assets.lib import warehouse
from tests.rca.conftest import build_warehouse, make_workload

REPO = Path(__file__).resolve().parents[2]
RESYNC = [sys.executable, "-m", "resync_assets.cli"]

# Holds the writer for a while in another process, writing one row, then exits.
HOLD = """
import sys, time
from resync_assets.lib.warehouse import writer
with writer(sys.argv[1], what="holder test") as con:
    con.execute("create table if not exists held (n int)")
    con.execute("insert into held values (1)")
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(path: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_the_path_is_explicit_else_the_environment_else_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv(warehouse.WAREHOUSE_ENV, raising=False)
    assert warehouse.warehouse_path() == Path("data/warehouse.duckdb")
    monkeypatch.setenv(warehouse.WAREHOUSE_ENV, str(tmp_path / "env.duckdb"))
    assert warehouse.warehouse_path() == tmp_path / "env.duckdb"
    assert warehouse.warehouse_path(tmp_path / "x.duckdb") == tmp_path / "x.duckdb"
    assert warehouse.warehouse_path("  ") == tmp_path / "env.duckdb"


def test_read_only_is_none_without_a_warehouse_and_sees_what_exists(tmp_path):
    path = tmp_path / "wh.duckdb"
    with warehouse.read_only(path) as con:
        assert con is None
    with warehouse.writer(path) as con:
        con.execute("create schema analytics")
        con.execute("create table analytics.t (n int)")
    with warehouse.read_only(path) as con:
        assert warehouse.table_exists(con, "analytics", "t")
        assert not warehouse.table_exists(con, "analytics", "missing")
        assert "analytics.t" in warehouse.existing_tables(con)
        with pytest.raises(duckdb.Error):
            con.execute("insert into analytics.t values (1)")


def test_a_reader_waits_for_a_writer_in_another_process_and_gives_up_with_a_clear_error(tmp_path):
    path = tmp_path / "wh.duckdb"
    proc = hold(path, 1.5)
    try:
        with pytest.raises(warehouse.WarehouseBusy, match="locked by a writer"):
            warehouse.connect_read_only(path, wait_seconds=0.3)
        with warehouse.read_only(path, wait_seconds=20) as con:
            assert con.execute("select count(*) from held").fetchone() == (1,)
    finally:
        proc.wait(timeout=30)


def test_a_second_writer_waits_naming_the_holder_then_writes(tmp_path):
    path = tmp_path / "wh.duckdb"
    told: list[str] = []
    proc = hold(path, 1.0)
    try:
        with (
            pytest.raises(warehouse.WarehouseLockTimeout, match="holder test"),
            warehouse.writer(path, lock_timeout_seconds=0.2, on_wait=told.append),
        ):
            pass
        with warehouse.writer(path, lock_timeout_seconds=30, what="second", on_wait=told.append) as con:
            con.execute("insert into held values (2)")
    finally:
        proc.wait(timeout=30)
    assert told and all("holder test" in m and "waiting for the warehouse write lock" in m for m in told)
    with warehouse.read_only(path) as con:
        assert sorted(con.execute("select n from held").fetchall()) == [(1,), (2,)]


def test_a_writer_nested_in_the_held_lock_does_not_wait_for_itself(tmp_path):
    path = tmp_path / "wh.duckdb"
    with warehouse.write_lock(path, 0.5, what="outer"):
        with warehouse.writer(path, lock_timeout_seconds=0.5) as con:
            con.execute("create table t (n int)")
        # Another thread of the same process is a different writer: it waits.
        failed: list[BaseException] = []

        def other() -> None:
            try:
                with warehouse.write_lock(path, 0.2):
                    pass
            except warehouse.WarehouseLockTimeout as exc:
                failed.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert failed


def test_an_asset_materialization_and_resync_resolve_at_once_both_land(tmp_path):
    # The incident asset and an operator's `resync resolve` write the same warehouse together: one
    # waits for the other's lock (saying so), and neither loses what it wrote.
    from tests.rca.test_assets import materialize

    wh = tmp_path / "wh.duckdb"
    truth = build_warehouse(wh, make_workload(days=6, jobs=80))
    run_id = truth[0].run_id
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    results: dict = {}

    def asset() -> None:
        results["asset"] = materialize(wh).success

    worker = threading.Thread(target=asset)
    worker.start()
    time.sleep(0.2)
    resolves = [
        subprocess.run(
            [
                *RESYNC,
                "resolve",
                "--run-id",
                truth[i].run_id,
                "--cause",
                "feed late",
                "--fix",
                "rerun",
                "--outcome",
                "correct",
                "--warehouse",
                str(wh),
            ],
            check=False,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )
        for i in range(3)
    ]
    worker.join(timeout=300)
    assert results["asset"] is True
    for done in resolves:
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    with warehouse.read_only(wh) as con:
        analysed = con.execute("select count(*) from analytics.incident_analyses").fetchone()[0]
        resolved = {r[0] for r in con.execute("select run_id from analytics.incident_resolutions").fetchall()}
    assert analysed == len(truth)
    assert {truth[i].run_id for i in range(3)} <= resolved and run_id in resolved


READ = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("reading", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_writer_waits_for_a_reader_in_another_process_to_close(tmp_path):
    # Regression: a read-only session elsewhere (a check, a notebook) made a writer fail at once.
    path = tmp_path / "wh.duckdb"
    with warehouse.writer(path) as con:
        con.execute("create table t (n int)")
    reader = subprocess.Popen(
        [sys.executable, "-c", READ, str(path), "1.0"], stdout=subprocess.PIPE, text=True
    )
    assert reader.stdout.readline().strip() == "reading"
    told: list[str] = []
    try:
        with warehouse.writer(path, lock_timeout_seconds=30, on_wait=told.append) as con:
            con.execute("insert into t values (1)")
    finally:
        reader.wait(timeout=30)
    assert told == ["waiting for readers in other processes to close wh.duckdb"]
    with warehouse.read_only(path) as con:
        assert con.execute("select count(*) from t").fetchall() == [(1,)]


def test_a_reader_of_a_missing_warehouse_is_told_at_once_not_after_the_busy_wait(tmp_path):
    missing = tmp_path / "never-loaded.duckdb"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        warehouse.connect_read_only(missing, wait_seconds=3600)
    assert not missing.exists()

"""Host-metrics files: layout, schema, atomic writes and reading them back."""

import datetime as dt
import os
import re
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from resync_assets.lib.metrics import (
    HOST_METRICS_SCHEMA,
    host_metrics_files,
    read_host_metrics,
    store,
    write_samples,
)

from .conftest import T0, make_row

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "DATA_CONTRACTS.md"


def visible_parquet(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def test_file_layout_and_name(tmp_path):
    rows = [make_row(T0 + dt.timedelta(seconds=s)) for s in (7, 0, 3)]
    path = write_samples(rows, tmp_path)
    assert path.parent == tmp_path / "host=agent01" / "date=2026-11-26"
    assert re.fullmatch(r"20261126T080000-[0-9a-f]{8}\.parquet", path.name)
    assert visible_parquet(tmp_path) == [path]
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_written_schema_equals_host_metrics_schema(tmp_path):
    path = write_samples([make_row()], tmp_path)
    assert pq.read_schema(path).equals(HOST_METRICS_SCHEMA)


def test_round_trip_keeps_values(tmp_path):
    row = make_row()
    write_samples([row], tmp_path)
    table = read_host_metrics(tmp_path)
    assert table.schema.equals(HOST_METRICS_SCHEMA)
    (back,) = table.to_pylist()
    assert back == row


def test_schema_matches_the_documented_contract():
    text = CONTRACT.read_text()
    section = text.split("## Host metrics", 1)[1]
    documented = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("column", "---"):
            for name in cells[0].split(","):
                documented.append((name.strip(), cells[1].replace("float64", "double")))
    actual = [(f.name, str(f.type).replace("item: ", "")) for f in HOST_METRICS_SCHEMA]
    assert actual == documented


def test_rows_of_several_dates_or_hosts_are_refused(tmp_path):
    with pytest.raises(ValueError, match="partitions"):
        write_samples([make_row(T0), make_row(T0 + dt.timedelta(days=1))], tmp_path)
    with pytest.raises(ValueError, match="partitions"):
        write_samples([make_row(host="a"), make_row(host="b")], tmp_path)
    assert visible_parquet(tmp_path) == []


@pytest.mark.parametrize("host", ["..", "a/b"])
def test_host_that_cannot_name_a_folder_is_refused(tmp_path, host):
    with pytest.raises(ValueError, match="partition folder"):
        write_samples([make_row(host=host)], tmp_path)


def test_partition_date_is_the_utc_date():
    tz = dt.timezone(dt.timedelta(hours=-5))
    # 22:00 on the 25th in UTC-5 is 03:00 on the 26th in UTC.
    assert store.partition_key(make_row(dt.datetime(2026, 11, 25, 22, 0, tzinfo=tz))) == (
        "agent01",
        "2026-11-26",
    )


def test_write_that_fails_midway_leaves_no_visible_file_and_no_partial_data(tmp_path, monkeypatch):
    write_samples([make_row(T0)], tmp_path)
    real_write_table = pq.write_table

    def crash_midway(table, where, **kwargs):
        real_write_table(table.slice(0, 1), where, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(store.pq, "write_table", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        write_samples([make_row(T0 + dt.timedelta(minutes=m)) for m in (1, 2, 3)], tmp_path)

    assert len(visible_parquet(tmp_path)) == 1
    assert [
        p.name for p in (tmp_path / "host=agent01" / "date=2026-11-26").iterdir() if p.name.startswith(".")
    ] == []
    assert read_host_metrics(tmp_path).column("ts").to_pylist() == [T0]


def test_reader_during_a_write_sees_only_finished_files(tmp_path, monkeypatch):
    write_samples([make_row(T0)], tmp_path)
    real_replace = os.replace
    seen = {}

    def replace_after_reading(src, dst):
        # At this instant the new file is fully written and fsynced, but not yet renamed.
        seen["temp_exists"] = Path(src).exists() and Path(src).name.startswith(".")
        seen["rows"] = read_host_metrics(tmp_path).num_rows
        seen["files"] = host_metrics_files(tmp_path)
        real_replace(src, dst)

    monkeypatch.setattr(store.os, "replace", replace_after_reading)
    path = write_samples([make_row(T0 + dt.timedelta(minutes=m)) for m in (1, 2)], tmp_path)

    assert seen["temp_exists"] is True
    assert seen["rows"] == 1
    assert path not in seen["files"]
    assert read_host_metrics(tmp_path).num_rows == 3


def test_leftover_temp_file_from_a_killed_writer_is_ignored(tmp_path):
    write_samples([make_row(T0)], tmp_path)
    folder = tmp_path / "host=agent01" / "date=2026-11-26"
    (folder / ".20261126T090000-deadbeef.parquet.tmp").write_bytes(b"PAR1 truncated")
    assert [p.name for p in host_metrics_files(tmp_path)] == [p.name for p in visible_parquet(tmp_path)]
    assert read_host_metrics(tmp_path).num_rows == 1


def test_concurrent_reader_never_sees_a_partial_batch(tmp_path):
    batch, batches = 5, 25
    done = threading.Event()
    observed, errors = [], []

    def reader():
        while not done.is_set():
            try:
                observed.append(read_host_metrics(tmp_path).num_rows)
            except Exception as exc:  # noqa: BLE001 - a torn file or anything else, for the main thread
                errors.append(exc)
                return

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for b in range(batches):
            rows = [make_row(T0 + dt.timedelta(minutes=b, seconds=s)) for s in range(batch)]
            write_samples(rows, tmp_path)
    finally:
        done.set()
        thread.join()
    assert errors == [], errors
    assert observed and all(n % batch == 0 for n in observed)
    assert read_host_metrics(tmp_path).num_rows == batch * batches


def test_read_host_metrics_spans_hosts_and_dates_sorted(tmp_path):
    write_samples([make_row(T0 + dt.timedelta(days=1), host="b")], tmp_path)
    write_samples([make_row(T0, host="b")], tmp_path)
    write_samples([make_row(T0, host="a")], tmp_path)
    table = read_host_metrics(tmp_path)
    assert list(zip(table.column("host").to_pylist(), table.column("ts").to_pylist())) == [
        ("a", T0),
        ("b", T0),
        ("b", T0 + dt.timedelta(days=1)),
    ]
    assert table.column_names == HOST_METRICS_SCHEMA.names


def test_read_host_metrics_of_missing_root_is_empty_with_schema(tmp_path):
    table = read_host_metrics(tmp_path / "nothing")
    assert table.num_rows == 0
    assert table.schema.equals(HOST_METRICS_SCHEMA)

"""Joblogs fetched once per failed run with their flags; host-metrics Parquet merged on (host, ts)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from resync_assets.common.host_metrics import HOST_METRICS_SCHEMA
from resync_assets.lib.ingest import run_host_metrics_ingest, run_tws_ingest
from resync_assets.lib.ingest.host_metrics import HostMetricsError
from resync_assets.lib.metrics.store import write_samples
from resync_assets.sim.workload import WorkloadConfig
from tests.ingest.conftest import make_cfg, query, settings_for, table_snapshot

MAX_BYTES = 20_000


@pytest.fixture(scope="module")
def joblog_world(tmp_path_factory):
    """A simulator with many failures, invalid UTF-8 and oversized joblogs, loaded twice."""
    from resync_assets.sim.clock import ManualClock
    from resync_assets.sim.server import SimulatorServer
    from tests.conftest import SIM_NOW, SIM_PASSWORD, SIM_USER

    config = WorkloadConfig(
        seed=11,
        days=3,
        jobs=50,
        abend_scale=4.0,
        invalid_utf8_rate=0.5,
        large_joblog_rate=0.5,
        large_joblog_lines=2_000,
    )
    with SimulatorServer(config, user=SIM_USER, password=SIM_PASSWORD, clock=ManualClock(SIM_NOW)) as sim:
        cfg = make_cfg(
            tmp_path_factory.mktemp("joblogs"),
            joblog_max_bytes=MAX_BYTES,
            joblog_success_sample_rate=0.2,
            joblog_workers=4,
        )
        first = run_tws_ingest(settings_for(sim), cfg)
        snapshot = table_snapshot(cfg, "joblogs")
        second = run_tws_ingest(settings_for(sim), cfg)
        yield cfg, first, second, snapshot


def test_every_failed_run_has_its_joblog_fetched_once(joblog_world):
    cfg, first, second, snapshot = joblog_world
    failed = {
        r[0]
        for r in query(
            cfg, "select run_id from tws_raw.job_runs where internal_status in ('ABEND', 'FAIL', 'ERROR')"
        )
    }
    logged = {r[0] for r in query(cfg, "select run_id from tws_raw.joblogs")}
    assert failed and failed <= logged
    assert first.joblogs_fetched + first.joblogs_missing >= len(failed)
    assert second.joblogs_fetched == 0 and second.table("joblogs").rows_added == 0
    assert table_snapshot(cfg, "joblogs") == snapshot


def test_the_success_sample_is_stable_and_only_of_successful_runs(joblog_world):
    cfg, _, second, _ = joblog_world
    sampled = query(
        cfg,
        "select r.common_status, count(*) from tws_raw.joblogs j join tws_raw.job_runs r "
        "using (run_id) where r.internal_status not in ('ABEND', 'FAIL', 'ERROR') group by 1",
    )
    successful = query(cfg, "select count(*) from tws_raw.job_runs where common_status = 'SUCCESSFUL'")[0][0]
    assert [s for s, _ in sampled] == ["SUCCESSFUL"]
    assert 0 < sampled[0][1] < successful
    assert second.joblogs_fetched == 0  # the same runs are chosen again, and they are already there


def test_invalid_utf8_and_truncation_flags_land_with_the_text(joblog_world):
    cfg, first, _, _ = joblog_world
    rows = query(
        cfg,
        "select text, byte_size, encoding, had_invalid_utf8, truncated, line_count "
        "from tws_raw.joblogs where text is not null",
    )
    invalid = [r for r in rows if r[3]]
    truncated = [r for r in rows if r[4]]
    assert invalid and all("\ufffd" in r[0] for r in invalid)
    assert all("\ufffd" not in r[0] for r in rows if not r[3])
    assert truncated and all(r[1] == MAX_BYTES and "truncated" in r[0].splitlines()[-1] for r in truncated)
    assert all(r[1] <= MAX_BYTES and r[2] for r in rows)
    assert first.joblogs_truncated == len(truncated) and first.joblogs_invalid_utf8 == len(invalid)
    assert first.joblog_bytes == sum(r[1] for r in rows)
    types = dict(
        query(
            cfg,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'tws_raw' and table_name = 'joblogs'",
        )
    )
    assert types["fetched_at"] == "TIMESTAMP WITH TIME ZONE" and types["byte_size"] == "BIGINT"
    assert types["had_invalid_utf8"] == types["truncated"] == "BOOLEAN"


# --------------------------------------------------------------------------------------- host metrics


def _sample(host: str, ts: dt.datetime, cpu: float) -> dict:
    return {
        "host": host,
        "ts": ts,
        "source": "collector",
        "cpu_percent": cpu,
        "cpu_per_core": [cpu, cpu / 2],
        "load_1m": 0.5,
        "load_5m": 0.4,
        "load_15m": 0.3,
        "memory_percent": 40.0,
        "memory_used_bytes": 4 << 30,
        "memory_total_bytes": 16 << 30,
        "swap_percent": 0.0,
        "disk_percent": 70.0,
        "disks": [{"mount": "/", "total_bytes": 100, "used_bytes": 70, "percent": 70.0}],
        "disk_read_bytes_per_s": 1.0,
        "disk_write_bytes_per_s": 2.0,
        "net_sent_bytes_per_s": 3.0,
        "net_recv_bytes_per_s": 4.0,
        "process_rss_bytes": 123,
        "cpu_health": "HEALTHY",
        "memory_health": "HEALTHY",
        "disk_health": "HEALTHY",
    }


def _write_day(root, host: str, day: dt.date, n: int, cpu: float = 10.0, start_minute: int = 0):
    t0 = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(minutes=start_minute)
    return write_samples([_sample(host, t0 + dt.timedelta(minutes=i), cpu) for i in range(n)], root)


def test_host_metrics_load_merges_on_host_and_ts_and_reads_only_changed_folders(tmp_path):
    root = tmp_path / "metrics"
    cfg = make_cfg(tmp_path)
    day1, day2 = dt.date(2025, 3, 13), dt.date(2025, 3, 14)
    for host in ("tws-a", "tws-b"):
        _write_day(root, host, day1, 30)
        _write_day(root, host, day2, 20)

    first = run_host_metrics_ingest([root], cfg)
    again = run_host_metrics_ingest([root], cfg)
    _write_day(root, "tws-a", day2, 10, cpu=99.0, start_minute=15)  # 5 samples repeat, 5 are new
    third = run_host_metrics_ingest([root], cfg)

    assert (first.table("host_metrics").rows_added, first.files_read) == (100, 4)
    assert (again.table("host_metrics").rows_added, again.files_read) == (0, 0)
    assert third.files_read == 2  # only the folder that changed
    assert (third.table("host_metrics").rows_added, third.table("host_metrics").rows_updated) == (5, 5)
    assert query(cfg, "select count(*), count(distinct (host, ts)) from tws_raw.host_metrics")[0] == (
        105,
        105,
    )
    assert query(cfg, "select count(*) from tws_raw.host_metrics where cpu_percent = 99")[0][0] == 10
    types = dict(
        query(
            cfg,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'tws_raw' and table_name = 'host_metrics'",
        )
    )
    assert types["ts"] == "TIMESTAMP WITH TIME ZONE"
    assert (
        types["cpu_per_core"] == "DOUBLE[]"
        and types["disks"].startswith("STRUCT(")
        and types["disks"].endswith("[]")
    )
    lake = pq.read_table(cfg.lake_dir / "tws_raw" / "host_metrics" / "host_metrics.parquet")
    assert lake.num_rows == 105 and lake.schema.field("disks").type == HOST_METRICS_SCHEMA.field("disks").type


def test_a_bad_host_metrics_file_stops_the_load_before_anything_is_written(tmp_path):
    root = tmp_path / "metrics"
    cfg = make_cfg(tmp_path)
    _write_day(root, "tws-a", dt.date(2025, 3, 13), 5)
    run_host_metrics_ingest([root], cfg)
    before = table_snapshot(cfg, "host_metrics")
    _write_day(root, "tws-a", dt.date(2025, 3, 14), 5)
    bad = root / "host=tws-a" / "date=2025-03-14" / "20250314T000000-deadbeef.parquet"
    pq.write_table(pa.table({"host": ["tws-a"], "cpu": [1.0]}), bad)

    with pytest.raises(HostMetricsError, match="deadbeef.parquet.*missing column"):
        run_host_metrics_ingest([root], cfg)

    assert table_snapshot(cfg, "host_metrics") == before
    bad.unlink()
    assert run_host_metrics_ingest([root], cfg).table("host_metrics").rows_added == 5


def test_a_missing_metrics_folder_loads_nothing(tmp_path):
    report = run_host_metrics_ingest([tmp_path / "nowhere"], make_cfg(tmp_path))
    assert report.table("host_metrics").rows_total == 0 and report.files_read == 0

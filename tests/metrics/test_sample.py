"""build_sample turns fed readings into contract rows: values, units, rates and health."""

import datetime as dt

import pytest

from resync_assets.lib.metrics import (
    DEGRADED,
    HEALTHY,
    HOST_METRICS_SCHEMA,
    UNHEALTHY,
    DiskUsage,
    build_sample,
    counter_rate,
)

from .conftest import T0, make_readings


def test_row_has_exactly_the_contract_columns():
    row = build_sample(make_readings(), None, "agent01", T0)
    assert list(row) == HOST_METRICS_SCHEMA.names


def test_values_and_units_from_readings():
    row = build_sample(make_readings(), None, "agent01", T0)
    assert row["host"] == "agent01"
    assert row["source"] == "collector"
    assert row["ts"] == T0
    assert row["cpu_percent"] == 20.0
    assert row["cpu_per_core"] == [10.0, 30.0]
    assert (row["load_1m"], row["load_5m"], row["load_15m"]) == (0.5, 0.4, 0.3)
    assert row["memory_percent"] == pytest.approx(25.0)
    assert row["memory_used_bytes"] == 2_000_000_000
    assert row["memory_total_bytes"] == 8_000_000_000
    assert row["swap_percent"] == pytest.approx(10.0)
    assert row["disks"] == [{"mount": "/", "total_bytes": 100_000, "used_bytes": 40_000, "percent": 40.0}]
    assert row["disk_percent"] == 40.0
    assert row["process_rss_bytes"] == 50_000_000
    assert (row["cpu_health"], row["memory_health"], row["disk_health"]) == (HEALTHY, HEALTHY, HEALTHY)


def test_rate_is_byte_delta_over_elapsed_seconds():
    previous = make_readings(monotonic=10.0, disk_read_bytes=5_000_000)
    current = make_readings(monotonic=12.0, disk_read_bytes=6_000_000)
    row = build_sample(current, previous, "agent01", T0)
    assert row["disk_read_bytes_per_s"] == 500_000.0


def test_every_rate_uses_its_own_counter():
    previous = make_readings(
        monotonic=0.0, disk_read_bytes=0, disk_write_bytes=0, net_sent_bytes=0, net_recv_bytes=0
    )
    current = make_readings(
        monotonic=4.0, disk_read_bytes=400, disk_write_bytes=800, net_sent_bytes=1200, net_recv_bytes=1600
    )
    row = build_sample(current, previous, "agent01", T0)
    assert row["disk_read_bytes_per_s"] == 100.0
    assert row["disk_write_bytes_per_s"] == 200.0
    assert row["net_sent_bytes_per_s"] == 300.0
    assert row["net_recv_bytes_per_s"] == 400.0


def test_unchanged_counters_give_zero_rate():
    previous = make_readings(monotonic=1.0)
    current = make_readings(monotonic=2.0)
    assert build_sample(current, previous, "agent01", T0)["net_sent_bytes_per_s"] == 0.0


def test_counter_reset_gives_no_rate_instead_of_a_negative_one():
    previous = make_readings(monotonic=10.0, net_recv_bytes=9_000_000, disk_write_bytes=1_000)
    current = make_readings(monotonic=12.0, net_recv_bytes=1_000, disk_write_bytes=3_000)
    row = build_sample(current, previous, "agent01", T0)
    assert row["net_recv_bytes_per_s"] is None
    assert row["disk_write_bytes_per_s"] == 1_000.0


def test_first_sample_without_previous_has_no_rates():
    row = build_sample(make_readings(), None, "agent01", T0)
    rates = [row[c] for c in HOST_METRICS_SCHEMA.names if c.endswith("_bytes_per_s")]
    assert rates == [None, None, None, None]


@pytest.mark.parametrize(
    ("current", "previous", "elapsed", "expected"),
    [
        (1_000_000, 0, 2.0, 500_000.0),
        (10, 10, 1.0, 0.0),
        (5, 10, 1.0, None),
        (10, 5, 0.0, None),
        (10, 5, -1.0, None),
        (None, 5, 1.0, None),
        (10, None, 1.0, None),
    ],
)
def test_counter_rate(current, previous, elapsed, expected):
    assert counter_rate(current, previous, elapsed) == expected


def test_platform_without_io_counters_gives_null_rates():
    previous = make_readings(monotonic=1.0, disk_read_bytes=None)
    current = make_readings(monotonic=2.0, disk_read_bytes=None)
    assert build_sample(current, previous, "agent01", T0)["disk_read_bytes_per_s"] is None


def test_disk_percent_is_the_fullest_mount_and_drives_disk_health():
    disks = (
        DiskUsage("/", 1000, 100, 900),
        DiskUsage("/opt/IBM/TWA", 1000, 960, 40),
        DiskUsage("/var", 1000, 870, 130),
    )
    row = build_sample(make_readings(disks=disks), None, "agent01", T0)
    assert [d["mount"] for d in row["disks"]] == ["/", "/opt/IBM/TWA", "/var"]
    assert row["disk_percent"] == 96.0
    assert row["disk_health"] == UNHEALTHY


def test_disk_percent_excludes_root_reserved_blocks_like_df():
    # 100 total, 50 used, 45 free: 5 reserved for root are not usable by jobs.
    assert DiskUsage("/", 100, 50, 45).percent == pytest.approx(50 / 95 * 100)


def test_no_readable_disk_gives_null_disk_percent_and_health():
    row = build_sample(make_readings(disks=()), None, "agent01", T0)
    assert row["disks"] == []
    assert row["disk_percent"] is None
    assert row["disk_health"] is None


def test_health_per_resource():
    readings = make_readings(
        cpu_percent=85.0, memory_total_bytes=100, memory_used_bytes=95, disks=(DiskUsage("/", 10, 1, 9),)
    )
    row = build_sample(readings, None, "agent01", T0)
    assert (row["cpu_health"], row["memory_health"], row["disk_health"]) == (DEGRADED, UNHEALTHY, HEALTHY)


def test_host_without_swap_reports_zero_swap_percent():
    row = build_sample(make_readings(swap_total_bytes=0, swap_used_bytes=0), None, "agent01", T0)
    assert row["swap_percent"] == 0.0


def test_ts_is_normalised_to_utc():
    cet = dt.timezone(dt.timedelta(hours=1))
    row = build_sample(make_readings(), None, "agent01", dt.datetime(2026, 11, 26, 9, 0, tzinfo=cet))
    assert row["ts"] == T0
    assert row["ts"].utcoffset() == dt.timedelta(0)


def test_naive_ts_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        build_sample(make_readings(), None, "agent01", dt.datetime(2026, 11, 26, 8, 0))


def test_empty_host_is_rejected():
    with pytest.raises(ValueError, match="host"):
        build_sample(make_readings(), None, "", T0)


def test_simulator_source_is_recorded():
    assert build_sample(make_readings(), None, "sim01", T0, source="simulator")["source"] == "simulator"

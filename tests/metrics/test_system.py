"""Reading this machine with psutil, mount selection, and the stateful monitor."""

import datetime as dt
import os
from collections import namedtuple

import psutil
import pytest

from resync_assets.lib.metrics import (
    HEALTHY,
    HOST_METRICS_SCHEMA,
    SystemResourceMonitor,
    read_system,
    select_mounts,
)

from .conftest import T0, make_readings

Part = namedtuple("Part", "device mountpoint fstype opts")


@pytest.fixture(scope="module")
def two_real_rows():
    monitor = SystemResourceMonitor(cpu_samples=2, cpu_interval=0.05)
    first = monitor.sample()
    second = monitor.sample()
    return first, second, psutil.Process(os.getpid()).memory_info().rss


def test_real_sample_fields_and_units(two_real_rows):
    row, _, _ = two_real_rows
    assert list(row) == HOST_METRICS_SCHEMA.names
    assert row["host"] and row["source"] == "collector"
    assert row["ts"].tzinfo is not None
    assert 0.0 <= row["cpu_percent"] <= 100.0
    assert len(row["cpu_per_core"]) == psutil.cpu_count()
    assert all(0.0 <= c <= 100.0 for c in row["cpu_per_core"])
    assert min(row["load_1m"], row["load_5m"], row["load_15m"]) >= 0.0
    assert row["memory_total_bytes"] == psutil.virtual_memory().total
    assert 0 < row["memory_used_bytes"] <= row["memory_total_bytes"]
    assert 0.0 < row["memory_percent"] <= 100.0
    assert 0.0 <= row["swap_percent"] <= 100.0


def test_real_sample_disks_include_root(two_real_rows):
    row, _, _ = two_real_rows
    mounts = {d["mount"]: d for d in row["disks"]}
    assert "/" in mounts
    root = mounts["/"]
    assert 0 < root["used_bytes"] <= root["total_bytes"]
    assert 0.0 < root["percent"] <= 100.0
    assert row["disk_percent"] == max(d["percent"] for d in row["disks"])
    assert row["disk_health"] in {"HEALTHY", "DEGRADED", "UNHEALTHY"}


def test_real_sample_rss_is_this_process(two_real_rows):
    row, second, rss_now = two_real_rows
    assert row["process_rss_bytes"] > 0
    assert second["process_rss_bytes"] == pytest.approx(rss_now, rel=0.1)


@pytest.mark.parametrize(
    "column",
    ["disk_read_bytes_per_s", "disk_write_bytes_per_s", "net_sent_bytes_per_s", "net_recv_bytes_per_s"],
)
def test_real_rates_are_present_from_the_first_sample_and_non_negative(two_real_rows, column):
    first, second, _ = two_real_rows
    assert first[column] is not None and first[column] >= 0.0
    assert second[column] is not None and second[column] >= 0.0


def test_read_system_counters_only_reads_just_the_counters():
    readings = read_system(counters_only=True)
    assert readings.disks == () and readings.cpu_per_core == ()
    assert readings.net_recv_bytes is not None and readings.net_recv_bytes >= 0


def test_select_mounts_skips_pseudo_filesystems_and_images():
    parts = [
        Part("/dev/vda1", "/", "ext4", "rw"),
        Part("proc", "/proc", "proc", "rw"),
        Part("tmpfs", "/dev/shm", "tmpfs", "rw"),
        Part("tmpfs", "/tmp", "tmpfs", "rw"),
        Part("cgroup2", "/sys/fs/cgroup", "cgroup2", "rw"),
        Part("/dev/loop3", "/snap/core/1", "squashfs", "ro"),
        Part("/dev/sr0", "/media/cd", "iso9660", "ro"),
        Part("/dev/vdb1", "/opt/IBM/TWA", "xfs", "rw"),
        Part("nfs01:/export", "/mnt/share", "nfs4", "rw"),
    ]
    assert select_mounts(parts) == ["/", "/mnt/share", "/opt/IBM/TWA"]


def test_select_mounts_keeps_container_overlay_root_and_measures_bind_mounts_once():
    parts = [
        Part("overlay", "/", "overlay", "rw"),
        Part("/dev/vda1", "/etc/resolv.conf", "ext4", "rw"),
        Part("/dev/vda1", "/etc/hosts", "ext4", "rw"),
        Part("/dev/vda1", "/data", "ext4", "rw"),
    ]
    assert select_mounts(parts) == ["/", "/data"]


class FedReader:
    """A read_system stand-in returning prepared readings and recording how it was called."""

    def __init__(self, readings):
        self.readings = list(readings)
        self.calls = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return self.readings.pop(0)


def test_monitor_primes_rates_on_first_sample_then_chains_previous_counters():
    reader = FedReader(
        [
            make_readings(monotonic=0.0, net_sent_bytes=0),
            make_readings(monotonic=0.5, net_sent_bytes=1_000),
            make_readings(monotonic=2.5, net_sent_bytes=5_000),
        ]
    )
    monitor = SystemResourceMonitor(
        host="agent01", cpu_samples=4, cpu_interval=0.1, priming_seconds=0.0, reader=reader, clock=lambda: T0
    )
    first = monitor.sample()
    second = monitor.sample()
    assert [c["counters_only"] for c in reader.calls] == [True, False, False]
    assert all(c["cpu_samples"] == 4 and c["cpu_interval"] == 0.1 for c in reader.calls)
    assert first["net_sent_bytes_per_s"] == 2_000.0
    assert second["net_sent_bytes_per_s"] == 2_000.0
    assert first["host"] == "agent01" and first["ts"] == T0
    assert first["cpu_health"] == HEALTHY


def test_monitor_defaults_to_this_host_name():
    import socket

    monitor = SystemResourceMonitor(reader=FedReader([]), clock=lambda: T0)
    assert monitor.host == socket.gethostname()


def test_monitor_rejects_zero_cpu_samples():
    with pytest.raises(ValueError):
        SystemResourceMonitor(cpu_samples=0)


def test_monitor_uses_its_clock_for_ts():
    later = T0 + dt.timedelta(hours=1)
    reader = FedReader([make_readings(monotonic=0.0), make_readings(monotonic=1.0)])
    monitor = SystemResourceMonitor(host="h", priming_seconds=0.0, reader=reader, clock=lambda: later)
    assert monitor.sample()["ts"] == later

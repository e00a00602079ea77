"""Reading the local host with psutil, and a stateful monitor that turns readings into rows."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from resync_assets.common.host_metrics import SOURCE_COLLECTOR
from resync_assets.lib.metrics.sample import DiskUsage, Readings, build_sample

# Filesystems that are not storage the scheduler's jobs write to. squashfs / iso9660 / udf are
# read-only images (snap packages, media) that are always "100 % full" and would make every such
# host UNHEALTHY; tmpfs is memory and is already counted under memory. overlay is kept: it is the
# root filesystem of a container.
PSEUDO_FILESYSTEMS = frozenset(
    {
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts",
        "devtmpfs", "efivarfs", "fuse.gvfsd-fuse", "fuse.portal", "fuse.lxcfs", "fusectl",
        "hugetlbfs", "iso9660", "mqueue", "nsfs", "proc", "pstore", "ramfs", "rpc_pipefs",
        "securityfs", "selinuxfs", "squashfs", "sysfs", "tmpfs", "tracefs", "udf", "devfs",
        "nullfs", "fdescfs", "linprocfs", "linsysfs",
    }
)  # fmt: skip
_PSEUDO_MOUNT_PREFIXES = ("/proc", "/sys", "/dev", "/run")


def select_mounts(partitions: Iterable[Any]) -> list[str]:
    """Pick the mount points worth measuring from psutil-style partitions.

    Each partition has `device`, `mountpoint`, `fstype` and `opts` attributes (psutil's `sdiskpart`).
    Pseudo filesystems, CD-ROMs and mounts under /proc, /sys, /dev and /run are skipped; a block
    device mounted several times (bind mounts) is measured once, at its shortest mount point, since
    every mount of it reports the same space.
    """
    chosen: dict[str, str] = {}
    for part in partitions:
        fstype = (part.fstype or "").lower()
        mount = part.mountpoint
        if not fstype or fstype in PSEUDO_FILESYSTEMS or "cdrom" in (part.opts or ""):
            continue
        if any(mount == p or mount.startswith(p + "/") for p in _PSEUDO_MOUNT_PREFIXES):
            continue
        key = part.device if part.device.startswith("/dev/") else f"{part.device}@{mount}"
        if key not in chosen or len(mount) < len(chosen[key]):
            chosen[key] = mount
    return sorted(chosen.values())


def read_system(
    cpu_samples: int = 3,
    cpu_interval: float = 0.1,
    *,
    process: Any = None,
    counters_only: bool = False,
) -> Readings:
    """Read the local host once with psutil: the only function here that touches the system.

    CPU is the mean of `cpu_samples` blocking samples of `cpu_interval` seconds each (per core and
    overall), so one busy instant does not decide the health state. `process` is the psutil.Process
    whose RSS is reported (default: this process). With `counters_only`, only the cumulative I/O
    counters and the clock are read, to prime rates. Mounts that cannot be read (permission denied,
    stale network mounts) are left out.
    """
    import psutil

    if cpu_samples < 1:
        raise ValueError("cpu_samples must be >= 1")
    if counters_only:
        return Readings(monotonic=time.monotonic(), **_io_counters(psutil))

    per_core_runs = [psutil.cpu_percent(interval=cpu_interval, percpu=True) for _ in range(cpu_samples)]
    n_cores = len(per_core_runs[0])
    per_core = tuple(sum(run[i] for run in per_core_runs) / cpu_samples for i in range(n_cores))
    cpu_percent = sum(per_core) / n_cores if n_cores else 0.0

    load_1m, load_5m, load_15m = psutil.getloadavg()
    vm = psutil.virtual_memory()
    swap = psutil.swap_memory()

    disks = []
    for mount in select_mounts(psutil.disk_partitions(all=True)):
        try:
            usage = psutil.disk_usage(mount)
        except OSError:
            continue
        if usage.total > 0:
            disks.append(DiskUsage(mount, usage.total, usage.used, usage.free))

    proc = process if process is not None else psutil.Process(os.getpid())
    try:
        rss = proc.memory_info().rss
    except psutil.Error:
        rss = None

    return Readings(
        cpu_percent=cpu_percent,
        cpu_per_core=per_core,
        load_1m=load_1m,
        load_5m=load_5m,
        load_15m=load_15m,
        # total - available, the same basis as psutil's memory percent, so used/total == percent.
        memory_total_bytes=vm.total,
        memory_used_bytes=vm.total - vm.available,
        swap_total_bytes=swap.total,
        swap_used_bytes=swap.used,
        disks=tuple(disks),
        process_rss_bytes=rss,
        monotonic=time.monotonic(),
        **_io_counters(psutil),
    )


def _io_counters(psutil: Any) -> dict:
    disk = psutil.disk_io_counters(perdisk=False)
    net = psutil.net_io_counters(pernic=False)
    return {
        "disk_read_bytes": disk.read_bytes if disk else None,
        "disk_write_bytes": disk.write_bytes if disk else None,
        "net_sent_bytes": net.bytes_sent if net else None,
        "net_recv_bytes": net.bytes_recv if net else None,
    }


class SystemResourceMonitor:
    """Samples the local host into host-metrics rows, keeping the previous counters for I/O rates.

    Safe to share between threads (a Dagster asset, a CLI loop). The first `sample()` reads the I/O
    counters, waits at least `priming_seconds`, then reads again, so even the first row has rates.
    `reader` and `clock` exist so tests can feed readings and times.
    """

    def __init__(
        self,
        host: str | None = None,
        *,
        cpu_samples: int = 3,
        cpu_interval: float = 0.1,
        priming_seconds: float = 0.2,
        source: str = SOURCE_COLLECTOR,
        reader: Callable[..., Readings] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        if cpu_samples < 1:
            raise ValueError("cpu_samples must be >= 1")
        self.host = host or socket.gethostname()
        self.cpu_samples = cpu_samples
        self.cpu_interval = cpu_interval
        self.priming_seconds = priming_seconds
        self.source = source
        self._reader = reader or read_system
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._previous: Readings | None = None
        self._process: Any = None
        self._lock = threading.Lock()

    def _read(self, counters_only: bool = False) -> Readings:
        if self._reader is read_system and self._process is None:
            import psutil

            self._process = psutil.Process(os.getpid())
        return self._reader(
            cpu_samples=self.cpu_samples,
            cpu_interval=self.cpu_interval,
            process=self._process,
            counters_only=counters_only,
        )

    def sample(self) -> dict:
        """Read the host now and return one contract row (see `build_sample`)."""
        with self._lock:
            if self._previous is None:
                self._previous = self._read(counters_only=True)
                # CPU sampling already spans cpu_samples * cpu_interval; only wait for the rest.
                remaining = self.priming_seconds - self.cpu_samples * self.cpu_interval
                if remaining > 0:
                    time.sleep(remaining)
            readings = self._read()
            row = build_sample(readings, self._previous, self.host, self._clock(), source=self.source)
            self._previous = readings
            return row

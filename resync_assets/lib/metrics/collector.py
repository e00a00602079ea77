"""The sampling loop behind `resync collect-metrics`: sample at an interval, flush in batches."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from resync_assets.lib.metrics.store import partition_key, write_samples


@dataclass
class CollectorResult:
    """What a collector run did: rows sampled and files written."""

    samples: int = 0
    files: list[Path] = field(default_factory=list)


def run_collector(
    monitor,
    out_dir: str | os.PathLike,
    *,
    interval: float,
    count: int | None = None,
    flush_every: int = 15,
    stop: threading.Event | None = None,
    on_sample: Callable[[dict], None] | None = None,
    on_flush: Callable[[Path, int], None] | None = None,
) -> CollectorResult:
    """Call `monitor.sample()` every `interval` seconds until `count` samples or `stop` is set.

    Rows are written with `write_samples` every `flush_every` samples, whenever the next row belongs
    to another UTC date (one file never spans two date partitions), and at the end, including when
    stopped or when sampling fails, so a stop signal loses nothing already sampled. Sampling is
    paced on the monotonic clock from the start of each sample; a late sample is not followed by a
    burst of catch-up samples.
    """
    if interval <= 0:
        raise ValueError("interval must be > 0")
    if flush_every < 1:
        raise ValueError("flush_every must be >= 1")
    if count is not None and count < 1:
        raise ValueError("count must be >= 1")
    stop = stop or threading.Event()
    result = CollectorResult()
    buffer: list[dict] = []

    def flush() -> None:
        if not buffer:
            return
        path = write_samples(buffer, out_dir)
        result.files.append(path)
        if on_flush:
            on_flush(path, len(buffer))
        buffer.clear()

    next_at = time.monotonic()
    try:
        while not stop.is_set():
            row = monitor.sample()
            result.samples += 1
            if buffer and partition_key(buffer[0]) != partition_key(row):
                flush()
            buffer.append(row)
            if on_sample:
                on_sample(row)
            if len(buffer) >= flush_every:
                flush()
            if count is not None and result.samples >= count:
                break
            next_at += interval
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()
                delay = 0.0
            stop.wait(delay)
    finally:
        flush()
    return result

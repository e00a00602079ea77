"""The collector loop: batching, date-boundary flushes, stopping and failures."""

import datetime as dt
import threading

import pytest

from resync_assets.lib.metrics import read_host_metrics, run_collector

from .conftest import T0, make_row


class ScriptedMonitor:
    """Returns prepared rows from sample(); raises once the script is exhausted if asked to."""

    def __init__(self, times, fail_after=False):
        self.rows = [make_row(t) for t in times]
        self.fail_after = fail_after
        self.calls = 0

    def sample(self):
        self.calls += 1
        if not self.rows and self.fail_after:
            raise RuntimeError("sensor gone")
        return self.rows.pop(0)


def minutes(n, start=T0):
    return [start + dt.timedelta(minutes=i) for i in range(n)]


def test_flushes_a_file_per_batch_and_the_remainder(tmp_path):
    flushed = []
    result = run_collector(
        ScriptedMonitor(minutes(7)),
        tmp_path,
        interval=0.001,
        count=7,
        flush_every=3,
        on_flush=lambda path, n: flushed.append(n),
    )
    assert result.samples == 7
    assert flushed == [3, 3, 1]
    assert len(result.files) == 3 and all(p.exists() for p in result.files)
    assert read_host_metrics(tmp_path).column("ts").to_pylist() == minutes(7)


def test_flushes_at_the_utc_date_boundary(tmp_path):
    times = minutes(4, start=dt.datetime(2026, 11, 26, 23, 58, tzinfo=dt.UTC))
    result = run_collector(ScriptedMonitor(times), tmp_path, interval=0.001, count=4, flush_every=100)
    assert [p.parent.name for p in result.files] == ["date=2026-11-26", "date=2026-11-27"]
    assert read_host_metrics(tmp_path).num_rows == 4


def test_stop_flushes_what_was_sampled(tmp_path):
    # No --count: only the stop event ends this run.
    stop = threading.Event()
    sampled = []

    def on_sample(row):
        sampled.append(row)
        if len(sampled) == 2:
            stop.set()

    monitor = ScriptedMonitor(minutes(10))
    result = run_collector(monitor, tmp_path, interval=0.001, flush_every=100, stop=stop, on_sample=on_sample)
    assert monitor.calls == 2
    assert result.samples == 2 and len(result.files) == 1
    assert read_host_metrics(tmp_path).column("ts").to_pylist() == minutes(2)


def test_sampling_failure_still_flushes_buffered_rows(tmp_path):
    with pytest.raises(RuntimeError, match="sensor gone"):
        run_collector(ScriptedMonitor(minutes(2), fail_after=True), tmp_path, interval=0.001, flush_every=100)
    assert read_host_metrics(tmp_path).num_rows == 2


@pytest.mark.parametrize(
    "kwargs", [{"interval": 0}, {"interval": 1, "flush_every": 0}, {"interval": 1, "count": 0}]
)
def test_invalid_settings_are_refused(tmp_path, kwargs):
    with pytest.raises(ValueError):
        run_collector(ScriptedMonitor([]), tmp_path, **kwargs)


def test_stop_wakes_a_long_wait_between_samples(tmp_path):
    stop = threading.Event()
    monitor = ScriptedMonitor(minutes(3))
    # Set from the first sample: the loop must not then sleep out the hour-long interval.
    result = run_collector(
        monitor, tmp_path, interval=3600, flush_every=100, stop=stop, on_sample=lambda row: stop.set()
    )
    assert result.samples == 1 and monitor.calls == 1
    assert read_host_metrics(tmp_path).num_rows == 1

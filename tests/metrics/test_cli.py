"""`resync collect-metrics` end to end in a subprocess."""

import signal
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from resync_assets.lib.metrics import HOST_METRICS_SCHEMA, host_metrics_files, read_host_metrics

CMD = [sys.executable, "-m", "resync_assets.cli", "collect-metrics"]


def test_count_run_writes_one_file_with_all_rows(tmp_path):
    proc = subprocess.run(
        CMD
        + [
            "--interval",
            "0.2",
            "--count",
            "3",
            "--flush-every",
            "3",
            "--out",
            str(tmp_path),
            "--host",
            "agent01",
            "--cpu-samples",
            "2",
            "--cpu-sample-seconds",
            "0.05",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    (path,) = host_metrics_files(tmp_path)
    assert path.parent.parent.name == "host=agent01"
    assert pq.read_schema(path).equals(HOST_METRICS_SCHEMA)
    table = read_host_metrics(tmp_path)
    assert table.num_rows == 3
    assert set(table.column("source").to_pylist()) == {"collector"}
    assert all(rss > 0 for rss in table.column("process_rss_bytes").to_pylist())
    assert proc.stdout.count("sample ") == 3
    assert f"wrote 3 rows to {path}" in proc.stdout


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_a_run_flushes_and_exits_cleanly(tmp_path, signum):
    proc = subprocess.Popen(
        CMD
        + [
            "--interval",
            "0.2",
            "--flush-every",
            "1000",
            "--out",
            str(tmp_path),
            "--host",
            "agent01",
            "--cpu-samples",
            "1",
            "--cpu-sample-seconds",
            "0.05",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = 0
        while seen < 2:
            line = proc.stdout.readline()
            assert line, "collector exited before sampling"
            seen += line.startswith("sample ")
        proc.send_signal(signum)
        rest, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    total = seen + rest.count("sample ")
    assert len(host_metrics_files(tmp_path)) == 1
    assert read_host_metrics(tmp_path).num_rows == total
    assert f"collected {total} samples into 1 files" in stderr


@pytest.mark.parametrize("bad", [["--interval", "0"], ["--count", "0"], ["--flush-every", "-1"]])
def test_invalid_arguments_exit_with_usage_error(tmp_path, bad):
    proc = subprocess.run(
        CMD + bad + ["--out", str(tmp_path)], check=False, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "must be" in proc.stderr
    assert host_metrics_files(tmp_path) == []

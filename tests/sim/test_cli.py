"""`resync sim serve|truth|host-metrics` from the command line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx
import pyarrow.parquet as pq
import pytest

from resync_assets.cli import build_parser


def _resync(*args: str) -> list[str]:
    return [sys.executable, "-m", "resync_assets.cli", *args]


def test_every_sim_subcommand_has_help():
    parser = build_parser()
    for sub in ("serve", "truth", "host-metrics"):
        with pytest.raises(SystemExit) as info:
            parser.parse_args(["sim", sub, "--help"])
        assert info.value.code == 0


def test_serve_prints_url_serves_and_stops_on_sigterm():
    proc = subprocess.Popen(
        _resync(
            "sim",
            "serve",
            "--port",
            "0",
            "--days",
            "2",
            "--jobs",
            "20",
            "--password",
            "s3cret-pw",
            "--token",
            "s3cret-token",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert match, line
        base = match.group(1)
        r = httpx.get(base + "/twsd/api/v2/engine/info", headers={"Authorization": "Bearer s3cret-token"})
        assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "s3cret" not in line + out + err


def test_serve_rejects_bad_faults():
    r = subprocess.run(
        _resync("sim", "serve", "--port", "0", "--faults", "500=2"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2 and "--faults" in r.stderr


def test_truth_writes_parquet(tmp_path):
    out = tmp_path / "truth.parquet"
    r = subprocess.run(
        _resync(
            "sim",
            "truth",
            "--days",
            "5",
            "--jobs",
            "80",
            "--seed",
            "3",
            "--end-date",
            "2025-03-14",
            "--out",
            str(out),
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    table = pq.read_table(out)
    assert table.num_rows > 0
    assert {"run_id", "signature_id", "error_line_number", "incident_id"} <= set(table.column_names)


def test_host_metrics_writes_contract_layout(tmp_path):
    r = subprocess.run(
        _resync(
            "sim",
            "host-metrics",
            "--days",
            "2",
            "--jobs",
            "40",
            "--end-date",
            "2025-03-14",
            "--out",
            str(tmp_path),
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    files = sorted(tmp_path.glob("host=*/date=*/*.parquet"))
    assert files and not list(tmp_path.rglob("*.tmp"))
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{8}\.parquet", files[0].name)
    table = pq.read_table(files[0])
    assert set(table.column("source").to_pylist()) == {"simulator"}

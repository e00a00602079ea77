"""`resync analyze` and `resync resolve` end to end, as subprocesses, on a real DuckDB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.rca.conftest import build_warehouse, joblog_bytes

REPO = Path(__file__).resolve().parents[2]


def resync(*args: str, tmp_path: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    base = dict(os.environ)
    for var in ("RESYNC_LLM_BASE_URL", "RESYNC_LLM_MODEL", "RESYNC_LLM_API_KEY", "RESYNC_TWS_BASE_URL"):
        base.pop(var, None)
    base.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "resync_assets.cli", *args],
        capture_output=True,
        text=True,
        env=base,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_analyze_a_file_without_any_warehouse(tmp_path, workload):
    truth = workload.failure_truth()[0]
    path = tmp_path / "run.log"
    path.write_bytes(joblog_bytes(workload, truth.run_id))
    proc = resync(
        "analyze",
        "--joblog",
        str(path),
        "--json",
        "--warehouse",
        str(tmp_path / "none.duckdb"),
        tmp_path=tmp_path,
    )
    (line,) = proc.stdout.splitlines()  # exactly one JSON object
    data = json.loads(line)
    assert data["error_line_number"] == truth.error_line_number
    assert data["error_line"] == truth.error_line
    assert data["family"] == truth.family
    assert data["similar"] == []
    assert 0.0 <= data["confidence"] <= 1.0
    assert not (tmp_path / "none.duckdb").exists()  # read-only: never creates a warehouse


def recurring_pair(workload):
    """Two failed runs of one job with the same signature (the second later)."""
    seen = {}
    for t in sorted(workload.failure_truth(), key=lambda t: t.end):
        key = (t.job_name, t.signature_id)
        if key in seen and t.status == "ABEND":
            return seen[key], t
        if t.status == "ABEND":
            seen[key] = t
    raise AssertionError("no recurring failure in the workload")


def test_resolution_round_trip_shows_the_fix_first_and_learns_confidence(tmp_path, workload):
    first, later = recurring_pair(workload)
    wh = tmp_path / "wh.duckdb"
    later_log = tmp_path / "later.log"
    later_log.write_bytes(joblog_bytes(workload, later.run_id))
    first_log = tmp_path / "first.log"
    first_log.write_bytes(joblog_bytes(workload, first.run_id))

    before = json.loads(
        resync(
            "analyze", "--joblog", str(later_log), "--json", "--warehouse", str(wh), tmp_path=tmp_path
        ).stdout
    )
    args = (
        "resolve",
        "--run-id",
        first.run_id,
        "--cause",
        "upstream feed arrived late",
        "--fix",
        "moved the job after the feed with a file dependency",
        "--outcome",
        "correct",
        "--by",
        "ops-anna",
        "--joblog",
        str(first_log),
        "--warehouse",
        str(wh),
    )
    assert "recorded" in resync(*args, tmp_path=tmp_path).stdout
    assert "already recorded" in resync(*args, tmp_path=tmp_path).stdout  # idempotent

    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute(
        "select run_id, cause, fix, outcome, resolved_by, recorded_at, job_name, signature_id "
        "from analytics.incident_resolutions"
    ).fetchall()
    con.close()
    assert len(rows) == 1
    assert rows[0][:5] == (
        first.run_id,
        "upstream feed arrived late",
        "moved the job after the feed with a file dependency",
        "correct",
        "ops-anna",
    )
    assert rows[0][5] is not None and rows[0][6] == first.job_name and rows[0][7] == first.signature_id

    after = json.loads(
        resync(
            "analyze", "--joblog", str(later_log), "--json", "--warehouse", str(wh), tmp_path=tmp_path
        ).stdout
    )
    top = after["similar"][0]
    assert top["run_id"] == first.run_id and top["same_pattern"] is True
    assert top["resolution"]["fix"] == "moved the job after the feed with a file dependency"
    assert after["steps"][0]["source"] == "resolution"
    assert "moved the job after the feed" in after["steps"][0]["text"]
    # One more "correct" outcome for this pattern raises the stated confidence.
    assert after["confidence"] > before["confidence"]

    text = resync("analyze", "--joblog", str(later_log), "--warehouse", str(wh), tmp_path=tmp_path).stdout
    assert "Recorded fix for this pattern" in text and "Similar incidents:" in text


def test_analyze_by_run_id_reads_the_warehouse(tmp_path, workload):
    wh = tmp_path / "wh.duckdb"
    truth = build_warehouse(wh, workload, days=[workload.failure_truth()[-1].plan_id])
    t = truth[-1]
    data = json.loads(
        resync("analyze", "--run-id", t.run_id, "--json", "--warehouse", str(wh), tmp_path=tmp_path).stdout
    )
    assert data["run_id"] == t.run_id
    assert data["job_name"] == t.job_name
    assert data["error_line_number"] == t.error_line_number


def test_analyze_by_run_id_fetches_the_joblog_from_tws_when_not_in_the_warehouse(tmp_path, simulator):
    from tests.conftest import SIM_PASSWORD, SIM_USER

    failed = [t for t in simulator.workload.failure_truth() if t.status == "ABEND"][-1]
    env = {
        "RESYNC_TWS_BASE_URL": simulator.base_url,
        "RESYNC_TWS_USER": SIM_USER,
        "RESYNC_TWS_PASSWORD": SIM_PASSWORD,
    }
    data = json.loads(
        resync(
            "analyze",
            "--run-id",
            failed.run_id,
            "--json",
            "--warehouse",
            str(tmp_path / "none.duckdb"),
            tmp_path=tmp_path,
            env=env,
        ).stdout
    )
    assert data["error_line_number"] == failed.error_line_number
    assert data["family"] == failed.family


def test_the_analyze_path_does_not_import_dagster_or_openai(tmp_path, workload):
    path = tmp_path / "run.log"
    path.write_bytes(joblog_bytes(workload, workload.failure_truth()[0].run_id))
    code = (
        "import sys, io, contextlib\nfrom resync_assets.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['analyze', '--joblog', {str(path)!r}, '--json', '--no-llm'])\n"
        "print(sorted(m for m in ('dagster', 'openai', 'polars') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"

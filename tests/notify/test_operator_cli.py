"""`resync incidents list|show|ack|resolve`, the `resync resolve` alias, and `resync status`."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from resync_assets.cli import main
from resync_assets.lib.health import CRITICAL, OK, UNKNOWN, WARN, collect_status
from resync_assets.lib.health.status import probe_tws
from resync_assets.lib.warehouse import read_only, writer
from tests.report.conftest import free_port
from tests.report.warehouse_fixture import make_warehouse


@pytest.fixture
def wh(tmp_path):
    path = make_warehouse(tmp_path / "w.duckdb")
    with writer(path) as con:
        con.execute("update analytics.incident_analyses set raw_score = 0.7, confidence = 0.6")
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_filters_open_and_since(wh, capsys):
    code, out, _ = run(capsys, "incidents", "list", "--warehouse", str(wh))
    assert code == 0
    lines = out.splitlines()[1:]
    assert [line.split()[2] for line in lines] == [
        "resolved" if "run-1" in line else "open" for line in lines
    ]
    assert [next(w for w in line.split() if w.startswith("run-")) for line in lines] == [
        "run-3",
        "run-2",
        "run-1",
        "run-old",
    ]
    code, out, _ = run(
        capsys, "incidents", "list", "--open", "--since", "2026-11-30", "--json", "--warehouse", str(wh)
    )
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["run_id"] for r in rows] == ["run-3", "run-2"] and {r["state"] for r in rows} == {"open"}


def test_show_ack_and_resolve_feed_the_record(wh, capsys):
    code, out, _ = run(capsys, "incidents", "show", "run-1", "--warehouse", str(wh))
    assert code == 0 and "[resolved]" in out and "fix added datafile" in out
    assert "fix steps:\n    1. Extend the tablespace\n       $ df -h" in out

    assert run(
        capsys, "incidents", "ack", "run-2", "--by", "anna", "--note", "on it", "--warehouse", str(wh)
    )[1] == ("incident run-2 acknowledged\n")
    assert "already acknowledged" in run(capsys, "incidents", "ack", "run-2", "--warehouse", str(wh))[1]
    assert run(capsys, "incidents", "ack", "nope", "--warehouse", str(wh))[0] == 1
    code, out, _ = run(capsys, "incidents", "show", "run-2", "--json", "--warehouse", str(wh))
    detail = json.loads(out)
    assert detail["state"] == "acked" and detail["acknowledged"]["acked_by"] == "anna"

    code, _, err = run(
        capsys, "incidents", "resolve", "run-2", "--outcome", "incorrect", "--warehouse", str(wh)
    )
    assert code == 2 and "give --cause" in err
    code, out, _ = run(
        capsys, "incidents", "resolve", "run-2", "--outcome", "correct", "--fix", "added a datafile",
        "--by", "anna", "--warehouse", str(wh),
    )  # fmt: skip
    assert code == 0 and "recorded (outcome correct)" in out
    # `resync resolve` is the same command under its old options
    code, out, _ = run(
        capsys, "resolve", "--run-id", "run-3", "--cause", "disk /data full", "--fix", "purged logs",
        "--outcome", "incorrect", "--warehouse", str(wh),
    )  # fmt: skip
    assert code == 0 and "for run run-3 recorded" in out
    with read_only(wh) as con:
        rows = con.execute(
            "select run_id, cause, fix, outcome, resolved_by, job_name, raw_score from analytics.incident_resolutions "
            "where run_id in ('run-2', 'run-3') order by run_id"
        ).fetchall()
        from resync_assets.lib.rca.store import learned_calibration

        cal = learned_calibration(con)
    assert rows == [
        ("run-2", "tablespace USERS full", "added a datafile", "correct", "anna", "MART_BUILD", 0.7),
        ("run-3", "disk /data full", "purged logs", "incorrect", None, "LEDGER_LOAD", 0.7),
    ]
    assert "+ 2 resolutions" in cal.source  # the outcomes feed the calibration
    code, out, _ = run(capsys, "incidents", "list", "--open", "--json", "--warehouse", str(wh))
    assert [json.loads(line)["run_id"] for line in out.splitlines()] == ["run-old"]


def test_status_reports_what_needs_attention(wh, capsys):
    now = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    status = collect_status(wh, now=now, probe_host=False)
    by = {i.name: i for i in status.items}
    assert by["nearest_capacity_eta"].state == WARN and "by 2026-12-14" in by["nearest_capacity_eta"].value
    assert by["drift_alerts"].state == WARN and by["drift_alerts"].value == "1 on 2026-12-06: job_duration"
    assert by["open_incidents"].value == "3 open, 0 new in 24 h not acknowledged"
    assert by["last_poll"].state == WARN  # no ingestion in this warehouse
    assert by["warehouse"].state == OK and by["tws_api"].state == UNKNOWN
    assert by["last_report"].value == "none sent yet"
    assert status.exit_code == 1
    code, out, _ = run(capsys, "status", "--warehouse", str(wh))
    assert code >= 1 and "nearest_capacity_eta" in out and "host_cpu" in out and "data_disk" in out
    code, out, _ = run(capsys, "status", "--json", "--warehouse", str(wh / "missing.duckdb"))
    assert code == 2 and json.loads(out)["items"][0]["state"] == CRITICAL


def test_tws_probe_reports_reachability_and_the_breaker(monkeypatch):
    from resync_assets.lib.tws import TwsSettings
    from resync_assets.sim.server import SimulatorServer
    from resync_assets.sim.workload import WorkloadConfig

    with SimulatorServer(
        WorkloadConfig(seed=1, days=1, jobs=5), host="127.0.0.1", port=0, user="u", password="pw"
    ) as sim:
        item = probe_tws(lambda: TwsSettings(sim.base_url, user="u", password="pw"))
    assert item.state == OK and item.value == "reachable (circuit breaker closed)"
    down = probe_tws(lambda: TwsSettings(f"http://127.0.0.1:{free_port()}", user="u", password="secret-pw"))
    assert down.state == CRITICAL and down.value.startswith("unreachable (circuit breaker")
    assert "secret-pw" not in down.detail

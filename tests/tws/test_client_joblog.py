"""Joblogs: whole, by line range, header-less, badly encoded, capped, and followed while running."""

import threading
import time
from datetime import UTC, datetime

import pytest

from resync_assets.lib.tws import TwsClient, TwsNotFoundError, TwsSettings
from resync_assets.sim.clock import ManualClock
from resync_assets.sim.workload import WorkloadConfig
from tests.conftest import SIM_NOW


def _failed_run(sim):
    row = next(
        r for plan_id in sim.workload.plan_ids() for r in sim.workload.runs(plan_id) if r["status"] == "ABEND"
    )
    return row, sim.workload.find_run(row["run_id"])


def _expected(sim, run) -> str:
    return b"".join(line + b"\n" for line in sim.workload.joblog(run).lines).decode("utf-8")


def test_whole_joblog_matches_the_server(simulator, client):
    row, run = _failed_run(simulator)
    log = client.get_joblog(row["run_id"], plan_id=row["plan_id"])
    assert log.text == _expected(simulator, run)
    assert log.byte_size == len(log.text.encode())
    assert log.line_count == len(run_lines := simulator.workload.joblog(run).lines) and run_lines
    assert (log.truncated, log.had_invalid_utf8, log.encoding) == (False, False, "utf-8")
    assert log.run_id == row["run_id"]


def test_line_ranges(simulator, client):
    row, run = _failed_run(simulator)
    lines = _expected(simulator, run).splitlines()
    window = client.get_joblog(row["run_id"], from_line=3, to_line=7)
    assert window.text.splitlines() == lines[2:7] and window.line_count == 5
    tail = client.get_joblog(row["run_id"], from_line=len(lines) - 1)
    assert tail.text.splitlines() == lines[-2:]
    head = client.get_joblog(row["run_id"], to_line=2)
    assert head.text.splitlines() == lines[:2]
    with pytest.raises(ValueError, match="to_line"):
        client.get_joblog(row["run_id"], from_line=5, to_line=2)


def test_content_only_drops_header_and_trailer(simulator, client):
    row, run = _failed_run(simulator)
    full = simulator.workload.joblog(run)
    body = client.get_joblog(row["run_id"], content_only=True)
    assert body.text.encode().splitlines() == list(full.body())
    assert "= Exit Status" not in body.text


def test_unknown_run_is_not_found(client):
    with pytest.raises(TwsNotFoundError, match="HTTP 404") as info:
        client.get_joblog("b47fb000-0000-0000-0000-000000000000")
    assert info.value.endpoint.startswith("GET /twsd/api/v2/plan/job/run/")


def test_invalid_utf8_is_replaced_and_flagged(make_simulator, client_for):
    sim = make_simulator(WorkloadConfig(seed=3, days=1, jobs=30, invalid_utf8_rate=1.0))
    c = client_for(sim)
    row = next(
        r for p in sim.workload.plan_ids() for r in sim.workload.runs(p) if r["status"] in ("SUCC", "ABEND")
    )
    raw = b"".join(line + b"\n" for line in sim.workload.joblog(sim.workload.find_run(row["run_id"])).lines)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    log = c.get_joblog(row["run_id"])
    assert log.had_invalid_utf8 is True
    assert "\ufffd" in log.text
    assert log.text == raw.decode("utf-8", errors="replace")
    assert log.byte_size == len(raw)


def test_size_cap_truncates_with_marker(simulator, client_for):
    row, run = _failed_run(simulator)
    full = _expected(simulator, run).encode()
    c = client_for(simulator, joblog_max_bytes=300)
    log = c.get_joblog(row["run_id"])
    assert log.truncated is True and log.byte_size == 300
    assert log.text.endswith("[resync: joblog truncated at 300 bytes]\n")
    assert log.text.startswith(full[:250].decode())
    # The per-call cap wins over the setting; a cap above the size keeps everything.
    assert c.get_joblog(row["run_id"], max_bytes=len(full)).truncated is False
    assert c.get_joblog(row["run_id"], max_bytes=len(full) - 1).truncated is True


def test_large_joblog_is_streamed_up_to_the_cap(make_simulator, client_for):
    sim = make_simulator(
        WorkloadConfig(seed=3, days=1, jobs=20, large_joblog_rate=1.0, large_joblog_lines=30_000)
    )
    row = next(r for p in sim.workload.plan_ids() for r in sim.workload.runs(p) if r["status"] == "SUCC")
    c = client_for(sim, joblog_max_bytes=100_000)
    log = c.get_joblog(row["run_id"])
    assert log.truncated and log.byte_size == 100_000
    assert c.stats["bytes_received"] == 100_000
    whole = c.get_joblog(row["run_id"], max_bytes=50_000_000)
    assert not whole.truncated and whole.line_count > 30_000


def test_follow_on_a_finished_run_returns_the_whole_log(simulator, client):
    row, run = _failed_run(simulator)
    assert list(client.follow_joblog(row["run_id"])) == _expected(simulator, run).splitlines()


def test_follow_streams_a_running_job_until_it_ends(make_simulator, sim_auth):
    clock = ManualClock(SIM_NOW)
    sim = make_simulator(WorkloadConfig(seed=7, days=2, jobs=60), clock=clock)
    # A run of the current plan that starts later today and lasts a while: jump to just after its start.
    later = [
        sim.workload.find_run(r["run_id"])
        for r in sim.workload.runs("current")
        if r["start"] is not None and r["start"] > SIM_NOW and r["final_status"] in ("SUCC", "ABEND")
    ]
    run = max(later, key=lambda r: r.end - r.start)
    clock.set(datetime.fromtimestamp(run.start + (run.end - run.start) * 0.2, UTC))
    now = clock.timestamp()
    partial = sim.workload.joblog(run, as_of=now).lines
    settings = TwsSettings(sim.base_url, user=sim_auth[0], password=sim_auth[1])
    lines: list[str] = []
    first_lines = threading.Event()

    def follow():
        with TwsClient(settings) as c:
            for line in c.follow_joblog(run.id):
                lines.append(line)
                first_lines.set()

    worker = threading.Thread(target=follow)
    worker.start()
    assert first_lines.wait(10), "no line arrived while the job runs"
    steps = 8
    for _ in range(steps):
        clock.advance((run.end - now) / steps + 0.5)
        time.sleep(0.06)
    worker.join(20)
    assert not worker.is_alive()
    final = b"".join(x + b"\n" for x in sim.workload.joblog(run).lines).decode("utf-8", errors="replace")
    assert lines == final.splitlines()
    assert len(lines) > len(partial) > 0


def test_joblog_windows_page_through_every_line(make_simulator, client_for):
    sim = make_simulator(
        WorkloadConfig(seed=3, days=1, jobs=20, large_joblog_rate=1.0, large_joblog_lines=2_500)
    )
    row = next(r for p in sim.workload.plan_ids() for r in sim.workload.runs(p) if r["status"] == "SUCC")
    c = client_for(sim)
    whole = c.get_joblog(row["run_id"], max_bytes=50_000_000)
    windows = list(c.iter_joblog_windows(row["run_id"], lines_per_window=1000))
    assert [w.line_count for w in windows[:-1]] == [1000] * (len(windows) - 1)
    assert "".join(w.text for w in windows) == whole.text
    assert len(windows) == whole.line_count // 1000 + 1

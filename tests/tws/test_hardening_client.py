"""Issue #15 item 7, client side: path segments, joblog windows on servers that ignore line ranges,
close-delimited bodies, bounded settings and a missing CA bundle named."""

from __future__ import annotations

import pytest

from resync_assets.lib.tws import TwsClient, TwsSettings


@pytest.mark.parametrize("run_id", [".", ".."])
def test_dot_segments_are_refused_not_resolved(run_id):
    with TwsClient(TwsSettings("http://127.0.0.1:9", token="t")) as client, pytest.raises(ValueError):
        client.get_joblog(run_id)


def test_joblog_windows_end_when_the_server_ignores_line_ranges(serve):
    body = b"".join(b"line %d\n" % i for i in range(10))
    calls = []

    def handle(path, query):
        calls.append(query)
        return 200, {"Content-Type": "text/plain"}, body

    base_url = serve(handle)
    with TwsClient(TwsSettings(base_url, token="t")) as client:
        for window in (10, 4):
            calls.clear()
            windows = list(client.iter_joblog_windows("R1", lines_per_window=window))
            assert [w.line_count for w in windows] == [10], window
            assert len(calls) <= 2


def test_a_close_delimited_body_is_flagged(make_simulator, sim_auth):
    from resync_assets.sim.faults import FaultConfig

    sim = make_simulator()
    run = next(
        r for p in sim.workload.plan_ids() for r in sim.workload.runs(p) if r["status"] in ("ABEND", "SUCC")
    )
    user, password = sim_auth
    with TwsClient(TwsSettings(sim.base_url, user=user, password=password)) as client:
        whole = client.get_joblog(run["run_id"])
        sim.set_faults(FaultConfig(poison=frozenset({run["run_id"]}), poison_mode="cut"))
        cut = client.get_joblog(run["run_id"])
    assert not whole.close_delimited and "Exit Status" in whole.text
    assert cut.close_delimited and 0 < len(cut.text) < len(whole.text)


def test_settings_are_bounded_and_a_missing_ca_bundle_is_named(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        TwsSettings("https://tws.example", token="t", ca_bundle=str(tmp_path / "ca.pem"))
    for name, value in (("timeout_seconds", 1e9), ("max_retries", 10_000), ("backoff_max_seconds", 1e7)):
        with pytest.raises(ValueError, match=name):
            TwsSettings("https://tws.example", token="t", **{name: value})

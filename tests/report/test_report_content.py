"""The report's content: every section read from its table with the known values, and plain
"no forecast yet" messages when the forecaster's tables do not exist."""

import datetime as dt
import email
import email.policy

import pytest

from resync_assets.lib.report import IsoWeek, build_report, gather
from resync_assets.lib.report.week import IsoWeek as Week
from resync_assets.lib.warehouse import read_only
from tests.report.warehouse_fixture import HOSTS, JOB_A_NAME, SUNDAY, WEEK


def test_iso_week_parsing_and_the_week_a_monday_report_covers():
    w = Week.parse("2026-W49")
    assert (w.start, w.end, str(w)) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6), "2026-W49")
    assert Week.reported_on(dt.date(2026, 12, 7)) == w  # Monday 07:00: the week that just ended
    assert str(Week.reported_on(dt.date(2027, 1, 4))) == "2026-W53"
    # the default of every report: never a week that is not over yet
    for day in (dt.date(2026, 12, 7), dt.date(2026, 12, 9), dt.date(2026, 12, 13)):
        assert Week.last_complete(day) == w, day
    assert Week.last_complete(dt.date(2026, 12, 6)) == Week.parse("2026-W48")  # Sunday: W49 not over
    for bad in ("2026-49", "2026-W54", "W49", ""):
        with pytest.raises(ValueError, match="ISO week"):
            Week.parse(bad)


def test_every_section_comes_from_its_table(warehouse):
    with read_only(warehouse) as con:
        d = gather(con, IsoWeek.parse(WEEK))
    k = d.kpis
    assert (k.runs, k.failures, k.previous_runs, k.previous_failures) == (1050, 21, 980, 14)
    assert k.failure_rate == pytest.approx(0.02)
    assert (k.incidents, k.incidents_resolved, k.incidents_open) == (3, 1, 2)
    assert d.runs.history[-1] == (SUNDAY, 150.0) and len(d.runs.history) == 56
    assert d.runs.model == "ets" and len(d.runs.forecast) == 28
    assert d.runs.forecast[0].yhat == 151.0 and d.runs.forecast[0].lower_80 == 141.0
    assert [s.label for s in d.job_runtimes] == [JOB_A_NAME]
    assert d.job_runtimes[0].history[-1] == (SUNDAY, 600.0) and d.job_runtimes[0].forecast[0].yhat == 700
    # hosts: the week's highest daily p95 of the hourly p95 (70 / 71 alternating → 71 at p95)
    by_host = {h.host: h for h in d.hosts}
    assert by_host[HOSTS[0]].cpu == pytest.approx(71.0) and by_host[HOSTS[0]].memory == 50
    assert by_host[HOSTS[1]].disk == 10 and by_host[HOSTS[1]].state == "HEALTHY"
    cpu = {s.label: s for s in d.host_series["cpu"]}
    assert cpu[HOSTS[0]].forecast[0].yhat == 72.0 and cpu[HOSTS[1]].forecast == []
    (eta,) = d.etas
    assert (eta.host, eta.resource, eta.threshold, eta.eta_50, eta.eta_10, eta.weeks_to_50, eta.prob_cross) == (
        HOSTS[0], "cpu", 85.0, dt.date(2026, 12, 14), dt.date(2026, 12, 7), 2, 1.0,
    )  # fmt: skip
    assert by_host[HOSTS[0]].nearest_eta == eta
    # growing pattern first, with this week's count from its weekly list
    assert [(p.template[:10], p.runs_this_week, p.trend) for p in d.patterns] == [
        ("No space l", 9, "increasing"), ("ORA-01653:", 4, "stable"),
    ]  # fmt: skip
    groups = {(i.job, i.cause): i for i in d.incidents}
    mart = groups[("MART_BUILD", "tablespace USERS full")]
    assert (mart.failures, mart.resolved, mart.fix) == (2, 1, "added datafile")
    assert groups[("LEDGER_LOAD", "disk /data full")].failures == 1  # run-old is in the week before
    assert [(f.check, f.drift_detected, f.report_date) for f in d.drift] == [
        ("job_duration", True, SUNDAY), ("status_mix", False, SUNDAY),
    ]  # fmt: skip
    assert "duration_seconds" in d.drift[0].details
    assert [(r.priority, r.deadline) for r in d.recommendations] == [
        ("P1", dt.date(2026, 12, 14)), ("P2", dt.date(2027, 1, 15)), ("P3", dt.date(2027, 2, 1)),
    ]  # fmt: skip
    # a job key (a hash in the warehouse) is shown by the job's name from marts.dim_jobs
    rec = d.recommendations[2]
    assert (rec.subject, rec.subject_key, rec.action) == (
        JOB_A_NAME,
        "kA",
        f"Investigate runtime trend of {JOB_A_NAME}",
    )
    assert [(a.subject, a.kind, a.expected_cross) for a in d.alerts] == [
        (JOB_A_NAME, "runtime_trend", dt.date(2027, 1, 4))
    ]
    assert d.missing == {}
    assert "marts.agg_job_runs__daily" in d.sources["workload"]


def test_missing_forecast_tables_say_so_plainly(bare_warehouse, tmp_path):
    with read_only(bare_warehouse) as con:
        built = build_report(con, IsoWeek.parse(WEEK), tmp_path / "reports")
    d = built.data
    assert d.kpis.runs == 1050 and d.runs.forecast == [] and d.etas == []
    for section in ("workload_forecast", "hosts_forecast", "etas", "recommendations", "alerts"):
        assert d.missing[section].startswith("no forecast yet"), section
    assert d.missing["drift"].startswith("no drift report yet")
    html = built.html_path.read_text()
    assert "no forecast yet (analytics.capacity_forecasts not in the warehouse)" in html
    assert "no forecast yet" in built.text and "no drift report yet" in built.text
    # the key jobs fall back to the longest-running ones; every chart is still drawn, without forecasts
    assert [c.name for c in built.charts] == [
        "workload",
        "runtimes",
        "host_cpu",
        "host_memory",
        "host_disk",
        "patterns",
    ]
    assert [s.label for s in d.job_runtimes] == [JOB_A_NAME, "LNXAGT02#/FIN/GL_CLOSE.LEDGER_LOAD"]


def test_an_empty_warehouse_still_renders(tmp_path):
    from resync_assets.lib.warehouse import writer

    path = tmp_path / "empty.duckdb"
    with writer(path) as con:
        con.execute("select 1")
    with read_only(path) as con:
        built = build_report(con, IsoWeek.parse(WEEK), tmp_path)
    assert built.charts == []
    assert "no data yet (marts.agg_job_runs__daily not in the warehouse)" in built.html_path.read_text()


def test_html_and_text_carry_the_numbers(warehouse, tmp_path):
    with read_only(warehouse) as con:
        built = build_report(con, IsoWeek.parse(WEEK), tmp_path)
    html = built.html_path.read_text()
    assert "1,050" in html and "2.00 %" in html and "+7 % vs previous week" in html
    assert "Add 2 vCPU to lnxprd3" in html and '<span class="p1">P1</span>' in html
    assert "cpu &ge; 85 % by 2026-12-14" in html
    assert html.count('src="data:image/png;base64,') == len(built.charts) == 6
    assert "source: analytics.capacity_recommendations" in html
    text = built.text
    assert (
        "[P1] Add 2 vCPU to lnxprd3 before the CPU reaches 85 % (lnxprd3.example.net; by 2026-12-14)" in text
    )
    assert "MART_BUILD x2 (oracle), resolved 1/2: tablespace USERS full" in text
    msg = email.message_from_bytes(
        built.message("r@x.test", ["a@x.test"]).as_bytes(), policy=email.policy.default
    )
    assert (
        msg["Subject"] == "[resync] Weekly capacity report 2026-W49: 1,050 runs, 21 failed, 3 recommendations"
    )

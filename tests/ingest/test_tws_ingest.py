"""run_tws_ingest over real HTTP against the simulator into a temp DuckDB: counts, re-runs, live plans."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from resync_assets.lib.ingest import IngestConfig, IngestReport, run_tws_ingest
from resync_assets.lib.ingest.records import JOB_RUN_COLUMNS
from resync_assets.lib.ingest.source import TWS_TABLES
from resync_assets.sim.workload import WorkloadConfig
from tests.conftest import SIM_NOW
from tests.ingest.conftest import (
    api_rows,
    loaded_runs,
    make_cfg,
    query,
    settings_for,
    table_snapshot,
    truth_runs,
)

TERMINAL = {"SUCC", "ABEND", "FAIL", "CANCL", "SUPPR"}
MIDNIGHT = SIM_NOW.replace(hour=0, minute=0, second=1)


@pytest.fixture(scope="module")
def first_load(simulator, tmp_path_factory):
    """One first load of the session simulator, shared by the tests that only read it."""
    cfg = make_cfg(tmp_path_factory.mktemp("first_load"))
    return cfg, run_tws_ingest(settings_for(simulator), cfg)


def test_first_load_has_every_run_of_every_plan_once_with_its_current_state(simulator, first_load):
    cfg, report = first_load

    truth = truth_runs(simulator)
    loaded = loaded_runs(cfg)
    assert set(loaded) == set(truth)
    assert query(cfg, "select count(*), count(distinct run_id) from tws_raw.job_runs")[0] == (
        len(truth),
        len(truth),
    )
    assert {k: v[0] for k, v in loaded.items()} == {k: t["status"] for k, t in truth.items()}
    assert {k: v[1] for k, v in loaded.items()} == {k: t["plan_id"] for k, t in truth.items()}
    ended = {k for k, t in truth.items() if t["status"] in TERMINAL}
    assert {k: loaded[k][2] for k in ended} == {k: truth[k]["return_code"] for k in ended}
    assert report.table("job_runs").rows_added == len(truth)
    assert report.table("job_runs").rows_total == len(truth)
    assert set(report.plans_loaded) == set(simulator.workload.plan_ids())
    assert report.plans_loaded[0] == SIM_NOW.date().isoformat()


def test_job_runs_columns_and_types_follow_the_contract(simulator, first_load):
    cfg, _ = first_load

    types = dict(
        query(
            cfg,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'tws_raw' and table_name = 'job_runs'",
        )
    )
    assert set(types) == set(JOB_RUN_COLUMNS) | {"first_seen_at", "last_seen_at"}
    for col in (
        "sched_time",
        "actual_start",
        "actual_end",
        "submitted_time",
        "first_seen_at",
        "last_seen_at",
    ):
        assert types[col] == "TIMESTAMP WITH TIME ZONE", col
    assert types["elapsed_seconds"] == types["estimated_seconds"] == "DOUBLE"
    assert types["job_number"] == "BIGINT" and types["return_code"] == "INTEGER"
    assert query(cfg, "select count(*) from tws_raw.job_runs where actual_end < actual_start")[0][0] == 0
    # The lake holds the same runs, one folder per plan day, each file with every column.
    files = sorted((cfg.lake_dir / "tws_raw" / "job_runs").glob("plan_id=*/*.parquet"))
    lake = pa.concat_tables([pq.read_table(f) for f in files])
    assert sorted(lake["run_id"].to_pylist()) == sorted(
        r[0] for r in query(cfg, "select run_id from tws_raw.job_runs")
    )
    assert {f.parent.name for f in files} == {f"plan_id={p}" for p in simulator.workload.plan_ids()}
    assert all(
        set(pq.read_table(f)["plan_id"].to_pylist()) == {f.parent.name.split("=", 1)[1]} for f in files
    )
    assert lake.schema.field("actual_start").type == pa.timestamp("us", tz="UTC")
    assert lake.schema.field("elapsed_seconds").type == pa.float64()
    assert not any(p.name.endswith(".tmp") for p in cfg.lake_dir.rglob("*"))


def test_snapshot_tables_hold_one_row_per_key(simulator, first_load):
    cfg, report = first_load
    assert (
        query(cfg, "select count(*) - count(distinct (jobstream_id, plan_id)) from tws_raw.job_streams")[0][0]
        == 0
    )
    assert {r[0] for r in query(cfg, "select distinct plan_id from tws_raw.job_streams")} == set(
        simulator.workload.plan_ids()
    )
    workstations = query(cfg, "select workstation_id, name, node_name, snapshot_at from tws_raw.workstations")
    assert (
        len(workstations)
        == len({w[0] for w in workstations})
        == len(simulator.workload.topology.workstations)
    )
    assert all(w[1] and w[2] and w[3] for w in workstations)
    assert query(cfg, "select count(*), count(full_version) from tws_raw.engine_info")[0] == (1, 1)
    assert report.table("engine_info").rows_added == 1


def test_second_run_on_an_unchanged_plan_adds_and_updates_nothing(simulator, first_load, tmp_path):
    cfg = _copy(first_load[0], tmp_path)
    first = first_load[1]
    before = table_snapshot(cfg, "job_runs")
    joblogs_before = table_snapshot(cfg, "joblogs")

    second = run_tws_ingest(settings_for(simulator), cfg)

    assert first.joblogs_fetched > 0
    assert second.table("job_runs").rows_added == 0
    assert second.table("job_runs").rows_updated == 0
    assert second.joblogs_fetched == 0
    assert table_snapshot(cfg, "job_runs") == before  # first_seen_at / last_seen_at untouched too
    assert table_snapshot(cfg, "joblogs") == joblogs_before
    # Closed archived days are not asked for again: only the current plan is re-read.
    assert second.plans_loaded == [SIM_NOW.date().isoformat()]


def test_a_later_poll_loads_exactly_the_new_and_changed_runs(make_simulator, tmp_path):
    sim = make_simulator(clock=_clock(MIDNIGHT))
    cfg = make_cfg(tmp_path)
    run_tws_ingest(settings_for(sim), cfg)
    served_before = api_rows(sim)
    seen_before = dict(query(cfg, "select run_id, first_seen_at from tws_raw.job_runs"))

    sim.clock.advance(4 * 3600)
    served_after = api_rows(sim)
    report = run_tws_ingest(settings_for(sim), cfg)

    new = set(served_after) - set(served_before)
    changed = {k for k in served_before if k in served_after and served_before[k] != served_after[k]}
    assert changed, "the workload should move in four hours"
    assert report.table("job_runs").rows_added == len(new)
    assert report.table("job_runs").rows_updated == len(changed)
    rows = {
        r[0]: r[1:]
        for r in query(
            cfg, "select run_id, first_seen_at, last_seen_at, internal_status from tws_raw.job_runs"
        )
    }
    assert all(rows[k][0] == seen_before[k] for k in seen_before)  # first_seen_at preserved
    assert all(rows[k][1] > rows[k][0] for k in changed)
    assert {k: rows[k][2] for k in served_after} == {k: r["internal_status"] for k, r in served_after.items()}


def test_polling_a_live_plan_through_a_rollover_ends_with_every_runs_final_status(make_simulator, tmp_path):
    sim = make_simulator(clock=_clock(MIDNIGHT))
    cfg = make_cfg(tmp_path)
    for _ in range(3):  # 00:00, 08:00, 16:00
        run_tws_ingest(settings_for(sim), cfg)
        sim.clock.advance(8 * 3600)
    sim.clock.advance(4 * 3600)
    run_tws_ingest(settings_for(sim), cfg)  # 04:00 on the next day, after the rollover

    truth = truth_runs(sim)
    loaded = loaded_runs(cfg)
    assert set(loaded) == set(truth)
    assert {k: v[0] for k, v in loaded.items()} == {k: t["status"] for k, t in truth.items()}
    yesterday = [k for k, t in truth.items() if t["plan_id"] == MIDNIGHT.date().isoformat()]
    assert yesterday and all(truth[k]["status"] == truth[k]["final_status"] for k in yesterday)


def test_a_rollover_between_two_polls_loses_no_final_state_of_the_previous_day(make_simulator, tmp_path):
    sim = make_simulator(clock=_clock(MIDNIGHT.replace(hour=22)))
    cfg = make_cfg(tmp_path)
    run_tws_ingest(settings_for(sim), cfg)
    day = MIDNIGHT.date().isoformat()
    open_before = query(
        cfg,
        "select count(*) from tws_raw.job_runs where plan_id = ? and "
        "internal_status not in ('SUCC', 'ABEND', 'FAIL', 'CANCL', 'SUPPR')",
        [day],
    )[0][0]
    assert open_before > 0, "some runs of the day should still be open at 22:00"

    sim.clock.advance(4 * 3600)  # 02:00 next day: the 22:00 plan is archived now
    report = run_tws_ingest(settings_for(sim), cfg)

    assert day in report.plans_loaded
    truth = truth_runs(sim)
    loaded = loaded_runs(cfg)
    assert set(loaded) == set(truth)
    assert {k: v[0] for k, v in loaded.items()} == {k: t["status"] for k, t in truth.items()}
    assert {k: v[1] for k, v in loaded.items()} == {k: t["plan_id"] for k, t in truth.items()}


def test_a_subset_of_tables_loads_only_those(simulator, cfg):
    report = run_tws_ingest(settings_for(simulator), cfg, tables=["workstations", "engine_info"])

    assert set(report.tables) == {"workstations", "engine_info"}
    tables = {
        r[0]
        for r in query(
            cfg,
            "select table_name from information_schema.tables "
            "where table_schema = 'tws_raw' and table_name not like '_dlt%'",
        )
    }
    # The quarantine (items that could not be fetched or parsed) is kept by every load.
    assert tables == {"workstations", "engine_info", "quarantine"}
    assert report.table("workstations").rows_total == len(simulator.workload.topology.workstations)


def test_unknown_tables_are_refused_before_anything_runs(simulator, cfg):
    with pytest.raises(ValueError, match="unknown TWS table"):
        run_tws_ingest(settings_for(simulator), cfg, tables=["job_run"])
    assert not cfg.warehouse_path.exists()


def test_report_metadata_is_plain_and_holds_no_secret(simulator, cfg):
    settings = settings_for(simulator)
    report = run_tws_ingest(settings, cfg, tables=["engine_info"])

    meta = report.as_metadata()
    assert isinstance(report, IngestReport)
    assert meta["engine_info.rows_added"] == 1 and meta["requests"] >= 1
    assert all(isinstance(v, (int, float, str, list)) for v in meta.values())
    assert settings.password not in repr(meta) and settings.password not in repr(report)


def test_config_rejects_bad_values_and_reads_the_environment(tmp_path):
    with pytest.raises(ValueError, match="backfill_days"):
        make_cfg(tmp_path, backfill_days=-1)
    with pytest.raises(ValueError, match="sample_rate"):
        make_cfg(tmp_path, joblog_success_sample_rate=1.5)
    cfg = IngestConfig.from_env(
        {"RESYNC_WAREHOUSE_PATH": str(tmp_path / "w.duckdb"), "RESYNC_BACKFILL_DAYS": "7"}
    )
    assert cfg.warehouse_path == tmp_path / "w.duckdb" and cfg.backfill_days == 7
    with pytest.raises(ValueError, match="RESYNC_BACKFILL_DAYS"):
        IngestConfig.from_env({"RESYNC_BACKFILL_DAYS": "lots"})


def _copy(cfg: IngestConfig, root) -> IngestConfig:
    """A copy of a loaded warehouse and its pipeline state under `root`."""
    import shutil

    shutil.copy2(cfg.warehouse_path, root / "warehouse.duckdb")
    shutil.copytree(cfg.pipelines_dir, root / "pipelines")
    return make_cfg(root)


def _clock(at):
    from resync_assets.sim.clock import ManualClock

    return ManualClock(at)


def test_runs_handed_to_dlt_in_small_tables_and_read_in_threads_load_the_same(
    simulator, first_load, tmp_path, monkeypatch
):
    # The first load reads its archived plans in worker processes and hands dlt one table; this one
    # reads them in threads and hands dlt many tables of at most 7 rows (one per flush in production).
    from resync_assets.lib.ingest import source

    monkeypatch.setattr(source, "EMIT_ROWS", 7)
    cfg = make_cfg(tmp_path, plan_processes=False)
    report = run_tws_ingest(settings_for(simulator), cfg, tables=["job_runs"])

    assert loaded_runs(cfg) == loaded_runs(first_load[0])
    assert report.table("job_runs").rows_added == first_load[1].table("job_runs").rows_added
    assert report.requests < first_load[1].requests  # no joblogs here; the plans were all read once


def test_a_plan_without_runs_still_creates_every_table_empty(make_simulator, tmp_path):
    # A weekend world (Saturday and Sunday, no weekend jobs): the load must leave every TWS table in
    # place, with its columns, so that the marts and checks downstream see an empty, valid state.
    import datetime as dt

    from resync_assets.sim.clock import ManualClock

    config = WorkloadConfig(seed=3, days=2, jobs=20, end_date=dt.date(2026, 11, 29))
    clock = ManualClock(dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC))
    with make_simulator(config, clock=clock) as sim:
        assert sum(len(sim.workload.runs(p)) for p in sim.workload.plan_ids()) == 0
        cfg = make_cfg(tmp_path, backfill_days=2)
        report = run_tws_ingest(settings_for(sim), cfg)
        again = run_tws_ingest(settings_for(sim), cfg)
    counts = {t: query(cfg, f"select count(*) from tws_raw.{t}")[0][0] for t in TWS_TABLES}
    assert counts["job_runs"] == counts["job_streams"] == counts["joblogs"] == 0
    assert counts["workstations"] > 0 and counts["engine_info"] == 2
    columns = {
        r[0]
        for r in query(
            cfg,
            "select column_name from information_schema.columns "
            "where table_schema = 'tws_raw' and table_name = 'job_runs'",
        )
    }
    assert {"run_id", "plan_id", "common_status", "first_seen_at", "last_seen_at"} <= columns
    assert report.tables["job_runs"].rows_total == again.tables["job_runs"].rows_total == 0

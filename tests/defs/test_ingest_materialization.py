"""Materializing the `tws_raw` assets through Dagster against the simulator over real HTTP."""

import dagster as dg
import duckdb
import pytest

from resync_assets.defs.resources import LakehouseResource, TwsResource, WarehouseReaderResource
from resync_assets.sim.workload import WorkloadConfig

# Distinctive, so any leak into metadata or the event log is unmistakable.
PASSWORD = "Zq7-dagster-leak-canary-9f31"
USER = "ops-dagster"
DAYS = 3
TABLES = ["job_runs", "joblogs", "job_streams", "workstations", "engine_info"]
CHECKS = {
    "job_runs_have_unique_run_ids",
    "job_runs_match_api_count_for_closed_plan_day",
    "job_runs_freshness",
    "tws_quarantine_is_empty",
}


@pytest.fixture(scope="module")
def loaded_defs():
    from resync_assets.definitions import defs

    return defs()


@pytest.fixture
def world(make_simulator, tmp_path):
    """A small simulated server, its host history on disk, and resources pointed at tmp paths."""
    from resync_assets.cli.demo_run import write_simulator_host_history

    sim = make_simulator(WorkloadConfig(seed=7, days=DAYS, jobs=40), user=USER, password=PASSWORD)
    sim_rows = write_simulator_host_history(sim.workload, tmp_path / "sim_host_metrics")
    warehouse = tmp_path / "warehouse.duckdb"
    resources = {
        "tws": TwsResource(base_url=sim.base_url, user=USER, password=PASSWORD, token=""),
        "lakehouse": LakehouseResource(
            warehouse_path=str(warehouse),
            lake_dir=str(tmp_path / "lake"),
            pipelines_dir=str(tmp_path / "pipelines"),
            backfill_days=DAYS,
            host_metrics_dirs=[str(tmp_path / "collector"), str(tmp_path / "sim_host_metrics")],
        ),
        "duckdb": WarehouseReaderResource(database=str(warehouse)),
    }
    return sim, sim_rows, warehouse, resources


def _materialize(loaded_defs, resources, instance):
    from resync_assets.cli.demo_run import raw_assets_and_checks

    assets, checks, raw_keys = raw_assets_and_checks(loaded_defs)
    return dg.materialize(
        [*assets, *checks],
        selection=dg.AssetSelection.assets(*raw_keys),
        resources=resources,
        instance=instance,
    )


def _counts(warehouse) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {
            t: conn.execute(f"select count(*) from tws_raw.{t}").fetchone()[0]
            for t in [*TABLES, "host_metrics"]
        }


def _metadata_by_table(result) -> dict[str, dict]:
    out = {}
    for node in ("tws_raw_tables", "tws_raw__host_metrics"):
        for mat in result.asset_materializations_for_node(node):
            out[mat.asset_key.path[-1]] = {k: v.value for k, v in mat.metadata.items()}
    return out


def test_materializing_loads_every_raw_table_and_the_checks_pass(loaded_defs, world):
    sim, sim_rows, warehouse, resources = world
    with dg.DagsterInstance.ephemeral() as instance:
        result = _materialize(loaded_defs, resources, instance)
        assert result.success
        logs = instance.all_logs(result.run_id)

    counts = _counts(warehouse)
    # A run carried forward into the next plan is listed by both plans under one run_id.
    truth_runs = {row["run_id"] for plan_id in sim.workload.plan_ids() for row in sim.workload.runs(plan_id)}
    assert counts["job_runs"] == len(truth_runs) > 0
    assert counts["joblogs"] > 0
    assert counts["workstations"] > 0 and counts["job_streams"] > 0 and counts["engine_info"] >= 1
    # The simulator's history plus the one sample of this host taken by the asset.
    assert counts["host_metrics"] == sim_rows + 1

    metadata = _metadata_by_table(result)
    assert set(metadata) == {*TABLES, "host_metrics"}
    for table, values in metadata.items():
        assert values["rows_total"] == counts[table], table
        assert values["rows_added"] == counts[table], table
        assert values["rows_updated"] == 0, table
        assert values["elapsed_seconds"] >= 0
    assert metadata["joblogs"]["joblogs_fetched"] == counts["joblogs"]

    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == CHECKS
    assert all(e.passed for e in evaluations.values()), {n: e.metadata for n, e in evaluations.items()}
    api_check = evaluations["job_runs_match_api_count_for_closed_plan_day"].metadata
    assert api_check["api_runs"].value == api_check["loaded_rows"].value > 0
    assert api_check["plan_id"].value in sim.workload.plan_ids()[:-1]  # a closed day, not the current plan

    for values in metadata.values():
        assert not any(PASSWORD in str(v) for v in values.values())
    for entry in logs:
        assert PASSWORD not in dg.serialize_value(entry)


def test_a_second_materialization_adds_no_duplicate_rows(loaded_defs, world):
    _, _, warehouse, resources = world
    with dg.DagsterInstance.ephemeral() as instance:
        assert _materialize(loaded_defs, resources, instance).success
        first = _counts(warehouse)
        second_result = _materialize(loaded_defs, resources, instance)
        assert second_result.success
    second = _counts(warehouse)

    for table in ["job_runs", "joblogs", "job_streams", "workstations"]:
        assert second[table] == first[table], table
    assert second["host_metrics"] == first["host_metrics"] + 1  # one new sample, the old ones merged
    metadata = _metadata_by_table(second_result)
    assert metadata["job_runs"]["rows_added"] == 0
    assert metadata["job_runs"]["rows_total"] == first["job_runs"]
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert (
            conn.execute("select count(*) - count(distinct run_id) from tws_raw.job_runs").fetchone()[0] == 0
        )
        assert (
            conn.execute("select count(*) - count(distinct (host, ts)) from tws_raw.host_metrics").fetchone()[
                0
            ]
            == 0
        )


def test_a_subset_materializes_only_the_selected_tables(loaded_defs, world):
    _, _, warehouse, resources = world
    from resync_assets.cli.demo_run import raw_assets_and_checks

    assets, checks, _ = raw_assets_and_checks(loaded_defs)
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [*assets, *checks],
            selection=dg.AssetSelection.assets(dg.AssetKey(["tws_raw", "engine_info"])),
            resources=resources,
            instance=instance,
        )
        assert result.success
    assert set(_metadata_by_table(result)) == {"engine_info"}
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from tws_raw.engine_info").fetchone()[0] == 1
        tables = {
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'tws_raw'"
            ).fetchall()
        }
        for table in {"job_runs", "joblogs", "host_metrics"} & tables:
            assert conn.execute(f"select count(*) from tws_raw.{table}").fetchone()[0] == 0, table


def test_the_bound_resources_resolve_env_vars_at_run_time_and_never_record_the_password(
    loaded_defs, make_simulator, tmp_path, monkeypatch
):
    from resync_assets.cli.demo_run import raw_assets_and_checks

    sim = make_simulator(WorkloadConfig(seed=5, days=2, jobs=20), user=USER, password=PASSWORD)
    env = {
        "RESYNC_TWS_BASE_URL": sim.base_url,
        "RESYNC_TWS_USER": USER,
        "RESYNC_TWS_PASSWORD": PASSWORD,
        "RESYNC_TWS_TOKEN": "",
        "RESYNC_WAREHOUSE_PATH": str(tmp_path / "env.duckdb"),
        "RESYNC_LAKE_DIR": str(tmp_path / "lake"),
        "RESYNC_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "RESYNC_BACKFILL_DAYS": "2",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assets, checks, _ = raw_assets_and_checks(loaded_defs)
    selection = [dg.AssetKey(["tws_raw", "engine_info"]), dg.AssetKey(["tws_raw", "job_runs"])]
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [*assets, *checks],
            selection=dg.AssetSelection.assets(*selection),
            resources=loaded_defs.resources,
            instance=instance,
        )
        assert result.success
        run = instance.get_run_by_id(result.run_id)
        assert PASSWORD not in dg.serialize_value(run)
        for entry in instance.all_logs(result.run_id):
            assert PASSWORD not in dg.serialize_value(entry)
    assert all(e.passed for e in result.get_asset_check_evaluations())
    with duckdb.connect(env["RESYNC_WAREHOUSE_PATH"], read_only=True) as conn:
        assert conn.execute("select count(*) from tws_raw.job_runs").fetchone()[0] > 0

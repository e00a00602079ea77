"""The Dagster code location shows one connected graph: tws_raw -> staging -> intermediate -> marts,
with dbt tests as asset checks and the dbt assets in the DuckDB writer pool."""

from __future__ import annotations

import dagster as dg
import pytest

from resync_assets.definitions import defs as load_defs

MODELS_BY_GROUP = {
    "staging": {
        "stg_tws__job_runs",
        "stg_tws__joblogs",
        "stg_tws__job_streams",
        "stg_tws__workstations",
        "stg_host__metrics",
    },
    "intermediate": {"int_job_runs__enriched", "int_workstations__hosts"},
    "marts": {
        "fct_job_runs",
        "dim_jobs",
        "agg_job_runs__daily",
        "agg_workload__hourly",
        "agg_host_metrics__hourly",
        "mart_workload_vs_resources",
    },
}


@pytest.fixture(scope="module")
def asset_graph():
    """The resolved asset graph of the whole code location."""
    return load_defs().resolve_asset_graph()


def _parents(graph, key: str) -> set[str]:
    return {k.to_user_string() for k in graph.get(dg.AssetKey.from_user_string(key)).parent_keys}


def test_dbt_models_are_assets_grouped_by_folder(asset_graph):
    for group, models in MODELS_BY_GROUP.items():
        for model in models:
            assert asset_graph.get(dg.AssetKey(model)).group_name == group, model


@pytest.mark.parametrize(
    ("child", "parents"),
    [
        ("stg_tws__job_runs", {"tws_raw/job_runs"}),
        ("stg_tws__joblogs", {"tws_raw/joblogs"}),
        ("stg_tws__job_streams", {"tws_raw/job_streams"}),
        ("stg_tws__workstations", {"tws_raw/workstations"}),
        ("stg_host__metrics", {"tws_raw/host_metrics"}),
        ("int_workstations__hosts", {"stg_tws__job_runs", "stg_tws__workstations", "stg_host__metrics"}),
        ("int_job_runs__enriched", {"stg_tws__job_runs", "int_workstations__hosts"}),
        ("fct_job_runs", {"int_job_runs__enriched"}),
        ("dim_jobs", {"fct_job_runs"}),
        ("agg_job_runs__daily", {"fct_job_runs"}),
        ("agg_workload__hourly", {"fct_job_runs"}),
        ("agg_host_metrics__hourly", {"stg_host__metrics"}),
        ("mart_workload_vs_resources", {"agg_workload__hourly", "agg_host_metrics__hourly"}),
    ],
)
def test_lineage_edges(asset_graph, child, parents):
    assert _parents(asset_graph, child) == parents


def test_raw_tables_are_the_ingest_assets_not_stubs(asset_graph):
    # The dbt source tws_raw resolves to the ingest assets themselves: materializable, in group tws_raw.
    for table in ("job_runs", "joblogs", "job_streams", "workstations", "host_metrics"):
        node = asset_graph.get(dg.AssetKey(["tws_raw", table]))
        assert node.is_materializable, table
        assert node.group_name == "tws_raw", table


def test_dbt_tests_are_asset_checks(asset_graph):
    checks = {(c.asset_key.to_user_string(), c.name) for c in asset_graph.asset_check_keys}
    assert ("fct_job_runs", "unique_fct_job_runs_run_id") in checks
    assert ("fct_job_runs", "not_null_fct_job_runs_run_id") in checks
    assert (
        "agg_workload__hourly",
        "unique_combination_agg_workload__hourly_workstation__activity_hour",
    ) in checks
    assert ("dim_jobs", "unique_dim_jobs_job_key") in checks


def test_dbt_assets_share_the_duckdb_writer_pool():
    defs = load_defs()
    assets_def = defs.resolve_assets_def(dg.AssetKey("fct_job_runs"))
    assert assets_def.op.pool == "duckdb_writer"
    assert dg.AssetKey("mart_workload_vs_resources") in assets_def.keys


@pytest.mark.slow
def test_dbt_assets_materialize_into_the_lakehouse_warehouse(tmp_path):
    # The asset runs `dbt build` on the lakehouse resource's warehouse, whatever the working directory.
    # A subset (raw -> fct_job_runs) keeps it short; the whole build is tested in test_dbt_build.py.
    from dagster_dbt import DbtCliResource

    from resync_assets.defs.resources import LakehouseResource
    from resync_assets.defs.transform.dbt import build_dbt_assets, resync_dbt_project
    from tests.transform.conftest import build_raw_warehouse, query

    warehouse = build_raw_warehouse(tmp_path / "warehouse.duckdb", runs=300)
    project = resync_dbt_project()
    selection = [
        "stg_tws__job_runs",
        "stg_tws__workstations",
        "stg_host__metrics",
        "int_workstations__hosts",
        "int_job_runs__enriched",
        "fct_job_runs",
    ]
    result = dg.materialize(
        [build_dbt_assets(project)],
        selection=selection,
        resources={
            "dbt": DbtCliResource(project_dir=project),
            "lakehouse": LakehouseResource(warehouse_path=str(warehouse)),
        },
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == set(selection)
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    ((runs,),) = query(warehouse, "select count(*) from marts.fct_job_runs")
    ((raw,),) = query(warehouse, "select count(*) from tws_raw.job_runs")
    assert runs == raw


def test_marts_refresh_hourly():
    repo = load_defs().get_repository_def()
    schedule = repo.get_schedule_def("marts_refresh_schedule")
    assert schedule.cron_schedule == "5 * * * *"
    assert schedule.job_name == "marts_refresh_job"
    assert schedule.description
    selected = repo.get_job("marts_refresh_job").asset_layer.selected_asset_keys
    assert selected == {dg.AssetKey(m) for models in MODELS_BY_GROUP.values() for m in models}

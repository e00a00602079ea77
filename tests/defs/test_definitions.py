"""The code location loads, names what the UI shows, and binds its resources without the environment."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from resync_assets.defs.resources import LakehouseResource, TwsResource, WarehouseReaderResource

REPO = Path(__file__).resolve().parents[2]
TWS_TABLES = ["job_runs", "joblogs", "job_streams", "workstations", "engine_info"]
RAW_KEYS = {dg.AssetKey(["tws_raw", t]) for t in [*TWS_TABLES, "host_metrics"]}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from resync_assets.definitions import defs as load

    return load()


@pytest.fixture(scope="module")
def repo(defs):
    return defs.get_repository_def()


def test_raw_assets_are_defined_in_group_tws_raw(repo):
    graph = repo.asset_graph
    keys = set(graph.get_all_asset_keys())
    assert RAW_KEYS <= keys
    for key in RAW_KEYS:
        node = graph.get(key)
        assert node.group_name == "tws_raw"
        assert node.description, f"{key.to_user_string()} needs a docstring/description for the UI"
    assert set(graph.get(dg.AssetKey(["tws_raw", "joblogs"])).parent_keys) == {
        dg.AssetKey(["tws_raw", "job_runs"])
    }
    assert graph.get(dg.AssetKey(["tws_raw", "job_runs"])).kinds == {"dlt", "duckdb"}


def test_tws_tables_are_one_subsettable_multi_asset_in_the_writer_pool(defs):
    raw_tws = {dg.AssetKey(["tws_raw", t]) for t in TWS_TABLES}
    (assets_def,) = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and set(a.keys) & raw_tws]
    assert set(assets_def.keys) == raw_tws
    assert assets_def.can_subset
    assert assets_def.op.pool == "duckdb_writer"
    (metrics_def,) = [
        a
        for a in defs.assets
        if isinstance(a, dg.AssetsDefinition) and dg.AssetKey(["tws_raw", "host_metrics"]) in a.keys
    ]
    assert metrics_def.op.pool == "duckdb_writer"


def test_checks_on_job_runs(repo):
    checks = {
        k for k in repo.asset_graph.asset_check_keys if k.asset_key == dg.AssetKey(["tws_raw", "job_runs"])
    }
    assert {c.name for c in checks} >= {
        "job_runs_have_unique_run_ids",
        "job_runs_match_api_count_for_closed_plan_day",
        "job_runs_freshness",
    }


def test_job_schedules_and_sensor_are_named_and_described(repo):
    job = repo.get_job("tws_ingest_job")
    assert job.description
    selected = job.asset_layer.selected_asset_keys
    assert selected == {dg.AssetKey(["tws_raw", t]) for t in TWS_TABLES}
    assert repo.get_job("host_metrics_job").asset_layer.selected_asset_keys == {
        dg.AssetKey(["tws_raw", "host_metrics"])
    }

    schedule = repo.get_schedule_def("tws_ingest_schedule")
    assert schedule.cron_schedule == "*/10 * * * *"
    assert schedule.job_name == "tws_ingest_job"
    assert schedule.description
    metrics_schedule = repo.get_schedule_def("host_metrics_schedule")
    assert metrics_schedule.job_name == "host_metrics_job"
    assert metrics_schedule.description

    sensor = repo.get_sensor_def("tws_raw_freshness_sensor")
    assert sensor.description
    for definition in [*repo.schedule_defs, *repo.sensor_defs]:
        suffix = "_schedule" if isinstance(definition, dg.ScheduleDefinition) else "_sensor"
        if definition.name.startswith(("tws_", "host_metrics")):
            assert definition.name.endswith(suffix)


def test_resources_are_bound_once_with_env_vars_for_the_connection(defs):
    resources = defs.resources
    assert isinstance(resources["tws"], TwsResource)
    assert isinstance(resources["lakehouse"], LakehouseResource)
    assert isinstance(resources["duckdb"], WarehouseReaderResource)
    tws = resources["tws"]
    # EnvVar fields are resolved when a run starts; the definition only names the variables.
    assert isinstance(tws.password, dg.EnvVar) and tws.password.env_var_name == "RESYNC_TWS_PASSWORD"
    assert isinstance(tws.token, dg.EnvVar) and tws.token.env_var_name == "RESYNC_TWS_TOKEN"
    assert isinstance(tws.base_url, dg.EnvVar) and tws.base_url.env_var_name == "RESYNC_TWS_BASE_URL"


def test_every_resync_variable_read_is_documented_in_env_example():
    documented = {
        line.split("=", 1)[0].strip()
        for line in (REPO / ".env.example").read_text().splitlines()
        if line and not line.startswith("#") and "=" in line
    }
    read = {
        "RESYNC_TWS_BASE_URL", "RESYNC_TWS_USER", "RESYNC_TWS_PASSWORD", "RESYNC_TWS_TOKEN",
        "RESYNC_TWS_VERIFY_TLS", "RESYNC_TWS_CA_BUNDLE", "RESYNC_TWS_TIMEOUT_SECONDS",
        "RESYNC_WAREHOUSE_PATH", "RESYNC_LAKE_DIR", "RESYNC_PIPELINES_DIR", "RESYNC_BACKFILL_DAYS",
        "RESYNC_HOST_METRICS_DIRS",
    }  # fmt: skip
    assert read <= documented


def test_definitions_load_with_an_empty_environment(tmp_path):
    # Nothing may be read from the environment at import or load: a bare env must load all of it.
    script = textwrap.dedent(
        """
        from resync_assets.definitions import defs
        repo = defs().get_repository_def()
        print(len(repo.asset_graph.get_all_asset_keys()))
        """
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], check=False, cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.strip().splitlines()[-1]) >= len(RAW_KEYS)


def test_lakehouse_resource_prefers_config_then_environment_then_default(monkeypatch, tmp_path):
    monkeypatch.delenv("RESYNC_WAREHOUSE_PATH", raising=False)
    monkeypatch.delenv("RESYNC_HOST_METRICS_DIRS", raising=False)
    assert LakehouseResource().resolved_warehouse_path() == Path("data/warehouse.duckdb")
    assert LakehouseResource().resolved_host_metrics_dirs() == [Path("data/lake/host_metrics")]
    monkeypatch.setenv("RESYNC_WAREHOUSE_PATH", str(tmp_path / "env.duckdb"))
    monkeypatch.setenv("RESYNC_HOST_METRICS_DIRS", f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}")
    assert LakehouseResource().resolved_warehouse_path() == tmp_path / "env.duckdb"
    assert LakehouseResource().resolved_host_metrics_dirs() == [tmp_path / "a", tmp_path / "b"]
    assert LakehouseResource(warehouse_path=str(tmp_path / "cfg.duckdb")).resolved_warehouse_path() == (
        tmp_path / "cfg.duckdb"
    )
    assert WarehouseReaderResource().resolved_database() == str(tmp_path / "env.duckdb")


@pytest.mark.parametrize(
    ("env", "expected_verify", "expected_timeout"),
    [
        ({}, True, 30.0),
        ({"RESYNC_TWS_VERIFY_TLS": "false", "RESYNC_TWS_TIMEOUT_SECONDS": "7.5"}, False, 7.5),
        ({"RESYNC_TWS_VERIFY_TLS": "yes"}, True, 30.0),
    ],
)
def test_tws_resource_fills_optional_knobs_from_the_environment_when_used(
    monkeypatch, env, expected_verify, expected_timeout
):
    for name in ("RESYNC_TWS_VERIFY_TLS", "RESYNC_TWS_TIMEOUT_SECONDS", "RESYNC_TWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = TwsResource(
        base_url="https://tws.example:31116", user="ops", password="pw-123", token=""
    ).settings()
    assert settings.verify_tls is expected_verify
    assert settings.timeout_seconds == expected_timeout
    assert settings.auth_kind == "basic"
    assert "pw-123" not in repr(settings)


def test_tws_resource_config_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("RESYNC_TWS_VERIFY_TLS", "false")
    settings = TwsResource(base_url="https://tws.example:31116", token="t0k", verify_tls=True).settings()
    assert settings.verify_tls is True
    assert settings.auth_kind == "bearer"


def test_warehouse_reader_connections_are_read_only(tmp_path):
    import duckdb

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table t as select 1 as x")
    reader = WarehouseReaderResource(database=str(path))
    with reader.get_connection() as conn:
        assert conn.execute("select x from t").fetchone() == (1,)
        with pytest.raises(duckdb.Error, match="read-only"):
            conn.execute("insert into t values (2)")


def test_tws_resource_moves_credentials_out_of_the_url():
    # Regression: the asset logs settings().base_url, which must never carry a password.
    settings = TwsResource(base_url="https://ops:Url-Secret-77@tws.example:31116", token="").settings()
    assert "Url-Secret-77" not in settings.base_url
    assert settings.user == "ops" and settings.password == "Url-Secret-77"

"""Run-time policy of the code location: one process per run, named whole-graph jobs, readers outside
the writer pool, a freshness check with a stable name, the dbt manifest parsed only when stale."""

import datetime as dt
import os
import time

import dagster as dg
import pytest

from resync_assets.lib.ingest.freshness import freshness
from resync_assets.lib.transform.manifest import manifest_is_stale

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
WINDOW = dt.timedelta(minutes=30)


@pytest.fixture(scope="module")
def repo():
    from resync_assets.definitions import defs

    return defs().get_repository_def()


def test_every_job_runs_in_process(repo):
    for job in repo.get_all_jobs():
        assert job.executor_def.name == "in_process", job.name


def test_everything_job_selects_every_asset_and_check(repo):
    job = repo.get_job("everything_job")
    assert job.description
    graph = repo.asset_graph
    assert job.asset_layer.selected_asset_keys == set(graph.materializable_asset_keys)
    assert job.asset_layer.asset_graph.asset_check_keys >= set(graph.asset_check_keys)


def test_lakehouse_refresh_job_is_everything_but_the_tws_poll(repo):
    raw = {k for k in repo.asset_graph.materializable_asset_keys if k.path[0] == "tws_raw"}
    selected = repo.get_job("lakehouse_refresh_job").asset_layer.selected_asset_keys
    everything = repo.get_job("everything_job").asset_layer.selected_asset_keys
    assert selected == (everything - raw) | {dg.AssetKey(["tws_raw", "host_metrics"])}


def test_only_writers_take_the_writer_pool():
    from resync_assets.definitions import defs as load

    defs = load()
    writers = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and a.keys]
    checks = [c for c in defs.asset_checks if isinstance(c, dg.AssetChecksDefinition)]
    assert writers and checks
    for asset_def in writers:
        # Assets that wait for the LLM take the writer lock themselves, briefly (their own pool).
        waits_for_llm = asset_def.node_def.name in ("incident_analyses", "capacity_recommendations")
        expected = "llm_writer" if waits_for_llm else "duckdb_writer"
        assert asset_def.op.pool == expected, asset_def.node_def.name
    for check_def in checks:
        assert check_def.node_def.pool is None, check_def.node_def.name


def test_freshness_check_has_a_stable_step_name(repo):
    import re

    names = {n.name for n in repo.get_job("everything_job").graph.node_defs}
    assert "tws_raw__job_runs_job_runs_freshness" in names, sorted(names)
    assert not [n for n in names if re.search(r"_[0-9a-f]{8}$", n)], sorted(names)


def test_freshness_verdict():
    assert freshness(None, NOW, WINDOW).fresh is False
    fresh = freshness(NOW - dt.timedelta(minutes=29), NOW, WINDOW)
    assert fresh.fresh and fresh.lag_seconds == 29 * 60
    stale = freshness(NOW - dt.timedelta(minutes=31), NOW, WINDOW)
    assert not stale.fresh and "more than 30 min" in stale.description


def _check_result(instance):
    from resync_assets.defs.ingest.freshness import job_runs_freshness

    return job_runs_freshness(dg.build_asset_check_context(instance=instance))


def test_freshness_check_is_red_without_data_and_green_after_a_materialization():
    from resync_assets.defs.keys import JOB_RUNS

    with dg.DagsterInstance.ephemeral() as instance:
        stale = _check_result(instance)
        assert stale.passed is False and stale.severity == dg.AssetCheckSeverity.ERROR
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=JOB_RUNS))
        fresh = _check_result(instance)
        assert fresh.passed is True
        assert fresh.metadata["lag_minutes"].value < 1


def test_manifest_is_parsed_only_when_a_dbt_file_changed(tmp_path):
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "m.sql"
    model.write_text("select 1")
    manifest = tmp_path / "target" / "manifest.json"
    assert manifest_is_stale(tmp_path, manifest)
    manifest.parent.mkdir()
    manifest.write_text("{}")
    past = time.time() - 60
    os.utime(model, (past, past))
    assert not manifest_is_stale(tmp_path, manifest)
    # Files dbt writes itself do not count.
    (tmp_path / "target" / "run_results.json").write_text("{}")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "dbt.log").write_text("x")
    assert not manifest_is_stale(tmp_path, manifest)
    docs = tmp_path / "models" / "_docs.md"
    docs.write_text("{% docs x %}x{% enddocs %}")
    assert manifest_is_stale(tmp_path, manifest)

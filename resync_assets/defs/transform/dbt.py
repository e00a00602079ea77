"""The dbt project (`dbt_project/`) as Dagster assets.

Every dbt model is an asset keyed by its name (`stg_tws__job_runs`, `fct_job_runs`, ...) in the group
of its folder (`staging`, `intermediate`, `marts`); the dbt source `tws_raw` resolves to the ingest
assets `tws_raw/<table>`, so the graph runs ingest -> staging -> intermediate -> marts, and dbt's
data tests show up as asset checks.

The manifest comes from `dbt parse`: `make install` (or the test setup) runs it; when the definitions
load, it is parsed again only if it is missing or older than a dbt file (a fresh clone used without
make, or a model edited under `dagster dev`), so it is prepared once and reused. Nothing runs at
import time.
"""

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from resync_assets.defs.keys import DUCKDB_WRITER_POOL
from resync_assets.defs.resources import DBT_PROJECT_DIR, LakehouseResource
from resync_assets.lib.warehouse import write_lock

WAREHOUSE_ENV = "RESYNC_WAREHOUSE_PATH"


class ResyncDbtTranslator(DagsterDbtTranslator):
    """Key each dbt model by its bare name and group it by its top folder under `models/`.

    dagster-dbt would prefix the key with the model's custom schema (`marts/fct_job_runs`); the
    model names are unique and are what other domains depend on, so keys stay `fct_job_runs`.
    """

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None):
        """The default spec, keyed by model name, grouped by folder (staging/intermediate/marts)."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") != "model":
            return spec
        fqn = props.get("fqn") or []
        group = fqn[1] if len(fqn) > 2 else spec.group_name
        return spec.replace_attributes(key=dg.AssetKey([props["name"]]), group_name=group)


def _ensure_dbt_on_path() -> None:
    # dbt is installed beside this interpreter (.venv/bin), which is not on PATH when the venv is not
    # activated (`make dev` runs .venv/bin/dagster); dagster-dbt's preparer and resource look dbt up
    # on PATH.
    if shutil.which("dbt") is None:
        bin_dir = str(Path(sys.executable).parent)
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def resync_dbt_project() -> DbtProject:
    """The dbt project, its manifest parsed (`dbt parse`) only when missing or older than its files.

    Not `prepare_if_dev()`, which re-parses on every load under `dagster dev` (10-20 s each time).
    """
    from resync_assets.lib.transform.manifest import manifest_is_stale

    _ensure_dbt_on_path()
    project = DbtProject(project_dir=DBT_PROJECT_DIR)
    if manifest_is_stale(DBT_PROJECT_DIR, project.manifest_path):
        project.preparer.prepare(project)
    return project


@contextlib.contextmanager
def _warehouse_env(path: Path) -> Iterator[None]:
    # dbt reads the warehouse from RESYNC_WAREHOUSE_PATH in profiles.yml, relative to the repository
    # root; pass the lakehouse resource's file as an absolute path so both always agree.
    previous = os.environ.get(WAREHOUSE_ENV)
    os.environ[WAREHOUSE_ENV] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(WAREHOUSE_ENV, None)
        else:
            os.environ[WAREHOUSE_ENV] = previous


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """The `@dbt_assets` of every model in `project`, writing DuckDB under the writer pool."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name="resync_dbt_models",
        dagster_dbt_translator=ResyncDbtTranslator(),
        # DuckDB allows one writing process per file: queue behind ingestion and other writers.
        pool=DUCKDB_WRITER_POOL,
    )
    def resync_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, lakehouse: LakehouseResource
    ):
        """Build the selected dbt models and run their data tests (`dbt build`).

        dbt unit tests check the SQL logic on fixed rows, not the data: they run in the test suite
        (tests/transform) and are skipped here, as dbt recommends for production builds. Holds the
        warehouse writer lock for the whole build, like every resync writer, so an ingestion started
        outside Dagster (`resync ingest run`) waits instead of failing.
        """
        warehouse = lakehouse.resolved_warehouse_path().resolve()
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        with write_lock(warehouse, what="dbt build"):
            with _warehouse_env(warehouse):
                invocation = dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context)
            yield from invocation.stream()

    return resync_dbt_models


@dg.definitions
def transform_definitions() -> dg.Definitions:
    """The dbt assets and their hourly refresh (the `dbt` resource is bound in `defs/resources.py`)."""
    project = resync_dbt_project()
    dbt_models = build_dbt_assets(project)
    marts_refresh_job = dg.define_asset_job(
        "marts_refresh_job",
        selection=dg.AssetSelection.assets(dbt_models),
        description="dbt build of staging, intermediate and marts (incremental) with their data tests.",
    )
    marts_refresh_schedule = dg.ScheduleDefinition(
        name="marts_refresh_schedule",
        job=marts_refresh_job,
        # Hourly, between the 10-minute ingestion polls; the incremental marts pick up what changed.
        cron_schedule="5 * * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Refresh the dbt marts from the tws_raw tables every hour at :05.",
    )
    return dg.Definitions(
        assets=[dbt_models],
        jobs=[marts_refresh_job],
        schedules=[marts_refresh_schedule],
    )

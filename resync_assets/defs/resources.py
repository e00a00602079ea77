"""The ONE place resync defines and binds its Dagster resources (`tws`, `lakehouse`, `duckdb`, `llm`,
`dbt`, `smtp`, `webhook`); no other module of `defs/` binds a resource.

Nothing here reads the environment when imported or loaded:

* the TWS connection (`RESYNC_TWS_BASE_URL`, `RESYNC_TWS_USER`, `RESYNC_TWS_PASSWORD`,
  `RESYNC_TWS_TOKEN`) is bound with `dg.EnvVar`, which Dagster resolves when a run starts and never
  shows in the UI. Dagster has no default for an `EnvVar`, so all four must be *defined* in the
  environment of the run; leave empty the credentials you do not use (see `.env.example`; `make dev`
  and `resync demo` define them);
* the optional tuning knobs (`RESYNC_TWS_VERIFY_TLS`, `RESYNC_TWS_CA_BUNDLE`,
  `RESYNC_TWS_TIMEOUT_SECONDS`, `RESYNC_WAREHOUSE_PATH`, `RESYNC_LAKE_DIR`, `RESYNC_PIPELINES_DIR`,
  `RESYNC_BACKFILL_DAYS`, `RESYNC_HOST_METRICS_DIRS`) are left unset here and read when the resource
  is used in a run; explicit config (the Launchpad, tests) wins, then the variable, then the default;
* the LLM endpoint is optional, so it is not an `EnvVar` (Dagster fails a run when an EnvVar is
  unset): `RESYNC_LLM_BASE_URL` / `RESYNC_LLM_MODEL` are read when a run uses it, and the API key
  (`RESYNC_LLM_API_KEY`) only at call time, so it never shows in the UI, run config or metadata;
* the e-mail and webhook channels are optional too: their secrets (`RESYNC_SMTP_PASSWORD`,
  `RESYNC_WEBHOOK_URL`) are bound with `dg.EnvVar` only when the variable is defined when the code
  location loads (the one presence check made at load), the other `RESYNC_SMTP_*` settings are read
  when a run uses them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from pydantic import Field

from resync_assets.lib.warehouse import DEFAULT_WAREHOUSE_PATH, connect_read_only, warehouse_path

if TYPE_CHECKING:
    from resync_assets.lib.ingest import IngestConfig
    from resync_assets.lib.tws import TwsSettings

# The dbt project the `dbt` resource runs and `defs/transform` turns into assets.
DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DEFAULT_LAKE_DIR = "data/lake"
DEFAULT_PIPELINES_DIR = "data/pipelines"
DEFAULT_BACKFILL_DAYS = 90
# `resync collect-metrics` writes here by default; more folders (the simulator's host history) are
# listed in RESYNC_HOST_METRICS_DIRS, separated by os.pathsep.
DEFAULT_HOST_METRICS_DIR = "data/lake/host_metrics"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _env(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    return value.strip() if value and value.strip() else None


class TwsResource(dg.ConfigurableResource):
    """Connection to the TWS / HCL Workload Automation REST API v2 (or the embedded simulator).

    `settings()` turns the configuration into the client's `TwsSettings`; a bearer `token` takes
    precedence over `user`/`password`. Secrets are never logged: `TwsSettings` keeps them out of its
    repr and the client redacts them from error text.
    """

    base_url: str = Field(description="Base URL of the TWS server, e.g. https://tws.example:31116")
    user: str | None = Field(default=None, description="User for HTTP basic auth (empty: none)")
    password: str | None = Field(default=None, description="Password for HTTP basic auth")
    token: str | None = Field(default=None, description="Bearer token; wins over user/password")
    verify_tls: bool | None = Field(
        default=None, description="Verify the server certificate (unset: RESYNC_TWS_VERIFY_TLS, else true)"
    )
    ca_bundle: str | None = Field(
        default=None, description="PEM CA bundle for an internal CA (unset: RESYNC_TWS_CA_BUNDLE)"
    )
    timeout_seconds: float | None = Field(
        default=None, description="HTTP timeout in seconds (unset: RESYNC_TWS_TIMEOUT_SECONDS, else 30)"
    )

    def settings(self) -> TwsSettings:
        """The client settings for this resource, optional knobs filled from the environment now."""
        from resync_assets.lib.tws import TwsSettings

        verify = self.verify_tls
        if verify is None:
            raw = (_env("RESYNC_TWS_VERIFY_TLS") or "true").lower()
            if raw not in _TRUE | _FALSE:
                raise ValueError("RESYNC_TWS_VERIFY_TLS must be true or false")
            verify = raw in _TRUE
        timeout = self.timeout_seconds
        if timeout is None:
            raw_timeout = _env("RESYNC_TWS_TIMEOUT_SECONDS")
            try:
                timeout = float(raw_timeout) if raw_timeout else 30.0
            except ValueError:
                raise ValueError("RESYNC_TWS_TIMEOUT_SECONDS must be a number of seconds") from None
        return TwsSettings(
            base_url=self.base_url,
            user=self.user or None,
            password=self.password or None,
            token=self.token or None,
            verify_tls=verify,
            ca_bundle=self.ca_bundle or _env("RESYNC_TWS_CA_BUNDLE"),
            timeout_seconds=timeout,
        )


class LakehouseResource(dg.ConfigurableResource):
    """Where the lakehouse lives: the DuckDB warehouse, the Parquet lake, dlt's pipeline state.

    `ingest_config()` gives the ingestion runner's `IngestConfig`; the writers that use it take the
    `duckdb_writer` concurrency pool, because DuckDB allows one writing process per file.
    """

    warehouse_path: str | None = Field(
        default=None, description=f"DuckDB file (unset: RESYNC_WAREHOUSE_PATH, else {DEFAULT_WAREHOUSE_PATH})"
    )
    lake_dir: str | None = Field(
        default=None, description=f"Parquet lake folder (unset: RESYNC_LAKE_DIR, else {DEFAULT_LAKE_DIR})"
    )
    pipelines_dir: str | None = Field(
        default=None,
        description=f"dlt pipeline state folder (unset: RESYNC_PIPELINES_DIR, else {DEFAULT_PIPELINES_DIR})",
    )
    backfill_days: int | None = Field(
        default=None,
        description=f"Days of archived plans loaded on the first run (unset: RESYNC_BACKFILL_DAYS, "
        f"else {DEFAULT_BACKFILL_DAYS})",
    )
    host_metrics_dirs: list[str] | None = Field(
        default=None,
        description="Host-metrics Parquet folders; the first is where this host's samples are written "
        f"(unset: RESYNC_HOST_METRICS_DIRS split on '{os.pathsep}', else {DEFAULT_HOST_METRICS_DIR})",
    )

    def resolved_warehouse_path(self) -> Path:
        """The DuckDB file this resource points at."""
        return warehouse_path(self.warehouse_path)

    def resolved_host_metrics_dirs(self) -> list[Path]:
        """Host-metrics folders to ingest, the collector's folder first."""
        if self.host_metrics_dirs:
            return [Path(d) for d in self.host_metrics_dirs]
        raw = _env("RESYNC_HOST_METRICS_DIRS")
        dirs = [d.strip() for d in raw.split(os.pathsep) if d.strip()] if raw else []
        return [Path(d) for d in dirs or [DEFAULT_HOST_METRICS_DIR]]

    def ingest_config(self) -> IngestConfig:
        """The ingestion runner's configuration: this resource's fields over `IngestConfig.from_env()`."""
        from resync_assets.lib.ingest import IngestConfig

        explicit = {
            "warehouse_path": self.warehouse_path,
            "lake_dir": self.lake_dir,
            "pipelines_dir": self.pipelines_dir,
            "backfill_days": self.backfill_days,
        }
        return IngestConfig.from_env(**{k: v for k, v in explicit.items() if v is not None})


class WarehouseReaderResource(DuckDBResource):
    """Read-only DuckDB connections to the warehouse, for checks and readers.

    `database` empty means "the lakehouse warehouse" (`RESYNC_WAREHOUSE_PATH`, else
    `data/warehouse.duckdb`), resolved when a connection is opened. Connections are opened with
    `read_only=True`, retrying while a writer of another process holds DuckDB's file lock; so readers
    take no slot of the writer pool and never queue behind it.
    """

    database: str = Field(default="", description="DuckDB file to read (empty: the lakehouse warehouse)")
    wait_seconds: float = Field(
        default=600.0,
        description="How long to wait for a writer of another process to release the file (checks "
        "take no writer pool slot, so they wait here instead, as long as a writer would)",
    )

    def resolved_database(self) -> str:
        """The DuckDB file connections open."""
        return str(warehouse_path(self.database or None))

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection, closed on exit."""
        conn = connect_read_only(
            Path(self.resolved_database()), dict(self.connection_config), wait_seconds=self.wait_seconds
        )
        try:
            yield conn
        finally:
            conn.close()


class SmtpResource(dg.ConfigurableResource):
    """SMTP for the weekly report and incident e-mails; every field left unset is read from
    `RESYNC_SMTP_*` when a run uses it (no host: nothing is sent, the report writes its `.eml`)."""

    host: str | None = Field(default=None, description="SMTP server (unset: RESYNC_SMTP_HOST)")
    port: int | None = Field(default=None, description="Port (unset: RESYNC_SMTP_PORT, else 587 / 465 / 25)")
    user: str | None = Field(default=None, description="Login (unset: RESYNC_SMTP_USER; empty: no login)")
    password: str | None = Field(default=None, description="Password (bound to RESYNC_SMTP_PASSWORD)")
    security: str | None = Field(
        default=None, description="starttls | ssl | none (unset: RESYNC_SMTP_SECURITY)"
    )
    sender: str | None = Field(default=None, description="From address (unset: RESYNC_SMTP_SENDER)")

    def settings(self, recipients_var: str = "RESYNC_SMTP_RECIPIENTS"):
        """`SmtpSettings` (None without a host); recipients from `recipients_var`, else RESYNC_SMTP_RECIPIENTS."""
        from resync_assets.lib.notify import SmtpSettings

        fields = {"host": self.host, "port": self.port, "user": self.user, "password": self.password,
                  "security": self.security, "sender": self.sender}  # fmt: skip
        return SmtpSettings.from_env(recipients_var=recipients_var, **{k: v for k, v in fields.items() if v})


class WebhookResource(dg.ConfigurableResource):
    """An incoming webhook (Slack, Microsoft Teams) told of new incidents; none when the URL is unset."""

    url: str | None = Field(default=None, description="Webhook URL, a secret (bound to RESYNC_WEBHOOK_URL)")

    def settings(self):
        """`WebhookSettings`, or None when no URL is set."""
        from resync_assets.lib.notify import WebhookSettings

        return WebhookSettings.from_env(url=self.url or None)


def _optional_secret(name: str) -> dg.EnvVar | None:
    # dg.EnvVar fails every run when its variable is undefined; these channels are optional, so the
    # binding is made only when the variable is defined (checked when the code location loads).
    return dg.EnvVar(name) if name in os.environ else None


class LlmResource(dg.ConfigurableResource):
    """An OpenAI-compatible chat endpoint that refines rule analyses and words capacity
    recommendations (none configured: rules only)."""

    base_url: str | None = Field(
        default=None, description="Endpoint (unset: RESYNC_LLM_BASE_URL; empty: no LLM)"
    )
    model: str | None = Field(default=None, description="Model name (unset: RESYNC_LLM_MODEL)")
    timeout_seconds: float | None = Field(default=None, description="Per-call timeout (unset: 30 s)")
    budget_seconds: float | None = Field(
        default=None,
        description="Seconds one asset run may wait for the endpoint in total (unset: "
        "RESYNC_LLM_BUDGET_SECONDS, else 60 s); then the remaining runs are analysed by rules only",
    )
    enabled: bool = Field(default=True, description="False: never call the LLM")

    def analyst(self):
        """An `LlmAnalyst`, or None when no endpoint is configured or the resource is disabled."""
        if not self.enabled:
            return None
        from resync_assets.lib.llm.client import LlmAnalyst
        from resync_assets.lib.llm.settings import LlmSettings

        env = dict(os.environ)
        if self.base_url:
            env["RESYNC_LLM_BASE_URL"] = self.base_url
        if self.model:
            env["RESYNC_LLM_MODEL"] = self.model
        if self.timeout_seconds:
            env["RESYNC_LLM_TIMEOUT_SECONDS"] = str(self.timeout_seconds)
        if self.budget_seconds is not None:
            env["RESYNC_LLM_BUDGET_SECONDS"] = str(self.budget_seconds)
        settings = LlmSettings.from_env(env)
        return LlmAnalyst(settings) if settings else None


def dbt_executable() -> str:
    """dbt on PATH, else the one installed beside this interpreter (`.venv/bin`, not on PATH when the
    venv is not activated, as under `make dev`)."""
    return shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")


@dg.definitions
def resources() -> dg.Definitions:
    """Bind every resource once; values come from the environment of each run."""
    return dg.Definitions(
        resources={
            "tws": TwsResource(
                base_url=dg.EnvVar("RESYNC_TWS_BASE_URL"),
                user=dg.EnvVar("RESYNC_TWS_USER"),
                password=dg.EnvVar("RESYNC_TWS_PASSWORD"),
                token=dg.EnvVar("RESYNC_TWS_TOKEN"),
            ),
            "lakehouse": LakehouseResource(),
            "duckdb": WarehouseReaderResource(),
            "smtp": SmtpResource(password=_optional_secret("RESYNC_SMTP_PASSWORD")),
            "webhook": WebhookResource(url=_optional_secret("RESYNC_WEBHOOK_URL")),
            "llm": LlmResource(),
            "dbt": DbtCliResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()),
        }
    )

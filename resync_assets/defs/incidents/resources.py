"""The optional LLM resource of the incident analysis.

Added here (not in `defs/resources.py`, owned by ingestion) with its own `@dg.definitions`. The
endpoint is optional, so nothing is bound with `dg.EnvVar` (Dagster fails a run when an EnvVar is
unset): `base_url` / `model` may be set in config, else `RESYNC_LLM_BASE_URL` / `RESYNC_LLM_MODEL`
are read when a run uses the resource. The API key is never a config field: it is read from
`RESYNC_LLM_API_KEY` at call time only, so it cannot show in the UI, run config or metadata.
"""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field


class LlmResource(dg.ConfigurableResource):
    """An OpenAI-compatible chat endpoint that refines rule analyses (none configured: rules only)."""

    base_url: str | None = Field(
        default=None, description="Endpoint (unset: RESYNC_LLM_BASE_URL; empty: no LLM)"
    )
    model: str | None = Field(default=None, description="Model name (unset: RESYNC_LLM_MODEL)")
    timeout_seconds: float | None = Field(default=None, description="Per-call timeout (unset: 30 s)")
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
        settings = LlmSettings.from_env(env)
        return LlmAnalyst(settings) if settings else None


@dg.definitions
def incident_resources() -> dg.Definitions:
    """Bind the `llm` resource."""
    return dg.Definitions(resources={"llm": LlmResource()})

"""LLM endpoint settings, read from the environment only when asked for."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class LlmSettings:
    """An OpenAI-compatible endpoint. `api_key` never appears in `repr` or logs."""

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LlmSettings | None:
        """Settings from `RESYNC_LLM_BASE_URL`, `RESYNC_LLM_MODEL`, `RESYNC_LLM_API_KEY` and
        `RESYNC_LLM_TIMEOUT_SECONDS`; None when no endpoint is configured (rules only)."""
        env = os.environ if environ is None else environ
        base_url = (env.get("RESYNC_LLM_BASE_URL") or "").strip()
        model = (env.get("RESYNC_LLM_MODEL") or "").strip()
        if not base_url or not model:
            return None
        raw_timeout = (env.get("RESYNC_LLM_TIMEOUT_SECONDS") or "").strip()
        try:
            timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT_SECONDS
        except ValueError:
            raise ValueError("RESYNC_LLM_TIMEOUT_SECONDS must be a number of seconds") from None
        # Local OpenAI-compatible servers often need no key; the client library insists on one.
        return cls(
            base_url=base_url,
            model=model,
            api_key=(env.get("RESYNC_LLM_API_KEY") or "").strip(),
            timeout_seconds=timeout,
        )

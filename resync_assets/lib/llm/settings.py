"""LLM endpoint settings, read from the environment only when asked for."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_BUDGET_SECONDS = 60.0
DEFAULT_BREAKER_FAIL_MAX = 3
DEFAULT_BREAKER_RESET_SECONDS = 300.0


@dataclass(frozen=True)
class LlmSettings:
    """An OpenAI-compatible endpoint. `api_key` never appears in `repr` or logs.

    `timeout_seconds` bounds one request; `budget_seconds` bounds the time one analyst (one asset run,
    one CLI call) spends waiting for the endpoint in total; after `breaker_fail_max` failed requests
    in a row (timeout, unreachable, HTTP 5xx or 429) the circuit breaker opens and no request is sent
    for `breaker_reset_seconds`.
    """

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    breaker_fail_max: int = DEFAULT_BREAKER_FAIL_MAX
    breaker_reset_seconds: float = DEFAULT_BREAKER_RESET_SECONDS

    def __post_init__(self) -> None:
        if not self.timeout_seconds > 0:
            raise ValueError("RESYNC_LLM_TIMEOUT_SECONDS must be more than 0 seconds")
        if not self.budget_seconds >= 0:
            raise ValueError("RESYNC_LLM_BUDGET_SECONDS must be 0 seconds or more")
        if self.breaker_fail_max < 1:
            raise ValueError("RESYNC_LLM_BREAKER_FAIL_MAX must be at least 1")
        if not self.breaker_reset_seconds >= 0:
            raise ValueError("RESYNC_LLM_BREAKER_RESET_SECONDS must be 0 seconds or more")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LlmSettings | None:
        """Settings from `RESYNC_LLM_BASE_URL`, `RESYNC_LLM_MODEL`, `RESYNC_LLM_API_KEY`,
        `RESYNC_LLM_TIMEOUT_SECONDS`, `RESYNC_LLM_BUDGET_SECONDS`, `RESYNC_LLM_BREAKER_FAIL_MAX` and
        `RESYNC_LLM_BREAKER_RESET_SECONDS`; None when no endpoint is configured (rules only)."""
        env = os.environ if environ is None else environ
        base_url = (env.get("RESYNC_LLM_BASE_URL") or "").strip()
        model = (env.get("RESYNC_LLM_MODEL") or "").strip()
        if not base_url or not model:
            return None
        # Local OpenAI-compatible servers often need no key; the client library insists on one.
        return cls(
            base_url=base_url,
            model=model,
            api_key=(env.get("RESYNC_LLM_API_KEY") or "").strip(),
            timeout_seconds=_number(env, "RESYNC_LLM_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS),
            budget_seconds=_number(env, "RESYNC_LLM_BUDGET_SECONDS", DEFAULT_BUDGET_SECONDS),
            breaker_fail_max=int(
                _number(env, "RESYNC_LLM_BREAKER_FAIL_MAX", DEFAULT_BREAKER_FAIL_MAX, whole=True)
            ),
            breaker_reset_seconds=_number(
                env, "RESYNC_LLM_BREAKER_RESET_SECONDS", DEFAULT_BREAKER_RESET_SECONDS
            ),
        )


def _number(env: Mapping[str, str], name: str, default: float, *, whole: bool = False) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number" if whole else "a number of seconds"
        raise ValueError(f"{name} must be {kind}, not {raw[:40]!r}") from None

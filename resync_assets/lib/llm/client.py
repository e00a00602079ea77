"""Ask an OpenAI-compatible endpoint to refine a rule analysis; validate; retry once; fall back.

The outcome is always recorded (`LlmResult.status`): `ok`, `invalid` (two answers failed the schema),
`error` (timeout, HTTP error, unreachable) or `unsafe` (the answer echoed injected instructions).
Errors are reported by class name and status code only, with the API key redacted, so the key can
never reach logs, metadata or output.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from resync_assets.lib.llm.prompts import SYSTEM_PROMPT, fence, user_message
from resync_assets.lib.llm.safety import looks_injected
from resync_assets.lib.llm.schema import FAMILIES, RESPONSE_FORMAT, validate
from resync_assets.lib.llm.settings import LlmSettings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 2  # the first answer and one retry


@dataclass
class LlmResult:
    """What the model said (validated) and how the exchange went."""

    status: str
    data: dict[str, Any] | None = None
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    model: str | None = None

    def summary(self) -> dict[str, Any]:
        """Recorded with the analysis (no prompt, no key)."""
        return {
            "status": self.status,
            "attempts": self.attempts,
            "model": self.model,
            "errors": self.errors[:4],
        }


class LlmAnalyst:
    """Refines analyses with an OpenAI-compatible chat-completions endpoint."""

    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self._client = None

    def __repr__(self) -> str:
        return f"LlmAnalyst(base_url={self.settings.base_url!r}, model={self.settings.model!r})"

    def _openai(self):
        if self._client is None:
            from openai import OpenAI  # heavy import: only when an endpoint is configured

            self._client = OpenAI(
                base_url=self.settings.base_url,
                api_key=self.settings.api_key or "unused",
                timeout=self.settings.timeout_seconds,
                max_retries=0,
            )
        return self._client

    def _redact(self, text: str) -> str:
        key = self.settings.api_key
        return text.replace(key, "[redacted]") if key else text

    def refine(self, window: list[tuple[int, str]], evidence: dict[str, Any]) -> LlmResult:
        """One validated answer about the error in `window` (numbered lines), or a recorded failure."""
        allowed = {n for n, _ in window}
        tag = fence()
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user_message(window, evidence, FAMILIES, tag)},
        ]
        result = LlmResult(status="error", model=self.settings.model)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            result.attempts = attempt
            try:
                response = self._openai().chat.completions.create(
                    model=self.settings.model,
                    messages=messages,
                    response_format=RESPONSE_FORMAT,
                    temperature=0,
                    max_tokens=800,
                )
                content = response.choices[0].message.content or ""
            except Exception as exc:  # noqa: BLE001 - any transport/API failure falls back to rules
                status = getattr(exc, "status_code", None)
                note = type(exc).__name__ + (f" (HTTP {status})" if status else "")
                result.errors.append(self._redact(note))
                result.status = "error"
                log.warning("LLM call failed: %s", self._redact(note))
                continue
            try:
                data = json.loads(content)
            except (TypeError, ValueError):
                result.errors.append("answer is not JSON")
                result.status = "invalid"
                continue
            problems = validate(data, allowed)
            if problems:
                result.errors.append("; ".join(problems)[:300])
                result.status = "invalid"
                messages = messages + [
                    {"role": "assistant", "content": content[:2000]},
                    {
                        "role": "user",
                        "content": "That answer does not match the schema: "
                        + "; ".join(problems)[:500]
                        + ". Reply with one valid JSON object only.",
                    },
                ]
                continue
            if looks_injected(data["cause"]):
                result.status = "unsafe"
                result.errors.append("cause echoes injected instructions")
                result.data = None
                return result
            result.status = "ok"
            result.data = data
            return result
        return result

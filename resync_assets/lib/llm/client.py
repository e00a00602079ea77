"""Ask an OpenAI-compatible endpoint to refine a rule analysis; validate; retry once; fall back.
`ask_json` sends one plain JSON request (the wording of capacity recommendations) through the same
breaker and budget.

The outcome is always recorded (`LlmResult.status`): `ok`, `invalid` (two answers failed the schema),
`error` (timeout, HTTP error, unreachable), `unsafe` (the answer echoed injected instructions), or
no request sent: `skipped_breaker_open` (the circuit breaker is open after repeated failures) and
`skipped_budget` (the analyst's time budget is spent). Errors are reported by class name and status
code only, with the API key redacted, so the key can never reach logs, metadata or output.

A hanging or failing endpoint costs at most `breaker_fail_max` requests in a row and at most
`budget_seconds` of waiting per analyst (one analyst per asset run): each request's timeout is cut
to what is left of the budget, and once the breaker opens or the budget is spent every further
analysis is the rules' own. The breaker is pybreaker's, used as in `lib/tws/client.py`: the gate is
checked before a request and only the outcome goes through pybreaker, which would otherwise hold
its lock for the whole request. One analyst serves one thread.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import pybreaker

from resync_assets.lib.breaker import BreakerClock
from resync_assets.lib.llm.prompts import SYSTEM_PROMPT, fence, user_message
from resync_assets.lib.llm.safety import looks_injected
from resync_assets.lib.llm.schema import FAMILIES, RESPONSE_FORMAT, validate
from resync_assets.lib.llm.settings import LlmSettings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 2  # the first answer and one retry
# A request given less than this (or less than its own timeout, when smaller) rarely gets an answer.
MIN_REQUEST_SECONDS = 1.0

OK, INVALID, ERROR, UNSAFE = "ok", "invalid", "error", "unsafe"
SKIPPED_BREAKER_OPEN, SKIPPED_BUDGET = "skipped_breaker_open", "skipped_budget"
# Every status `LlmResult.status` can take; the engine adds `not_configured` and `skipped`.
STATUSES = (OK, INVALID, ERROR, UNSAFE, SKIPPED_BREAKER_OPEN, SKIPPED_BUDGET)


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


class _RequestFailed(Exception):
    """The outcome handed to pybreaker for a failed request (`status`: HTTP status, if any)."""

    def __init__(self, status: int | None) -> None:
        super().__init__(status)
        self.status = status


def _not_a_server_failure(exc: BaseException) -> bool:
    # A 4xx answer other than 429 proves the endpoint is up (a wrong model name, a bad key): it must
    # not open the breaker. Timeouts, refused connections, 5xx and 429 count.
    status = getattr(exc, "status", None)
    return status is not None and status < 500 and status != 429


def _json_object(content: str) -> dict | None:
    try:
        data = json.loads(content)
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class LlmAnalyst:
    """Refines analyses with an OpenAI-compatible chat-completions endpoint, behind a circuit
    breaker and a time budget (see the module docstring)."""

    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self._client = None
        self._waited = 0.0
        self._clock = BreakerClock()
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=settings.breaker_fail_max,
            reset_timeout=settings.breaker_reset_seconds,
            exclude=[_not_a_server_failure],
            listeners=[self._clock],
            name="llm",
        )
        self._stats = {"requests": 0, "failed_requests": 0, SKIPPED_BREAKER_OPEN: 0, SKIPPED_BUDGET: 0}

    def __repr__(self) -> str:
        return f"LlmAnalyst(base_url={self.settings.base_url!r}, model={self.settings.model!r})"

    @property
    def stats(self) -> dict[str, Any]:
        """Requests sent and failed, analyses skipped by reason, seconds spent waiting, the budget
        and the breaker state ('closed', 'open' or 'half-open')."""
        return {
            **self._stats,
            "seconds_waited": round(self._waited, 3),
            "budget_seconds": self.settings.budget_seconds,
            "breaker_state": self._breaker_state(),
        }

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
        result = LlmResult(status=ERROR, model=self.settings.model)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            refusal = self._refusal()
            if refusal is not None:
                status, note = refusal
                if attempt == 1:  # nothing sent: the rules' analysis stands, recorded as skipped
                    self._stats[status] += 1
                    result.status = status
                    result.errors.append(note)
                else:  # the first answer's outcome stands
                    result.errors.append(f"retry not sent: {note}")
                return result
            result.attempts = attempt
            content, failure = self._request(messages)
            if failure is not None:
                result.errors.append(self._redact(failure))
                result.status = ERROR
                log.warning("LLM call failed: %s", self._redact(failure))
                continue
            try:
                data = json.loads(content)
            except (TypeError, ValueError):
                result.errors.append("answer is not JSON")
                result.status = INVALID
                continue
            problems = validate(data, allowed)
            if problems:
                result.errors.append("; ".join(problems)[:300])
                result.status = INVALID
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
                result.status = UNSAFE
                result.errors.append("cause echoes injected instructions")
                result.data = None
                return result
            result.status = OK
            result.data = data
            return result
        return result

    def ask_json(self, system: str, user: str, *, max_tokens: int = 300) -> LlmResult:
        """One request (no retry) for a JSON object, behind the same breaker and budget as `refine`:
        `ok` with the object in `data`, `invalid` (the answer is not a JSON object), `error`, or a
        skip. For a caller that needs JSON, an endpoint that answers anything else is as useless as
        one that is down: such an answer counts as a failed request for the breaker."""
        result = LlmResult(status=ERROR, model=self.settings.model)
        refusal = self._refusal()
        if refusal is not None:
            status, note = refusal
            self._stats[status] += 1
            result.status = status
            result.errors.append(note)
            return result
        result.attempts = 1
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        content, failure = self._request(
            messages, response_format={"type": "json_object"}, max_tokens=max_tokens, json_only=True
        )
        if failure is not None:
            result.errors.append(self._redact(failure))
            log.warning("LLM call failed: %s", self._redact(failure))
            return result
        data = _json_object(content)
        if data is None:
            result.status = INVALID
            result.errors.append("answer is not a JSON object")
            return result
        result.status = OK
        result.data = data
        return result

    # ------------------------------------------------------------------ breaker and budget

    def _request(
        self,
        messages: list[dict],
        *,
        response_format: dict = RESPONSE_FORMAT,
        max_tokens: int = 800,
        json_only: bool = False,
    ) -> tuple[str, str | None]:
        """One request under what is left of the budget: (content, None) or ("", failure note).
        `json_only`: an answer that is not a JSON object counts as a failure for the breaker."""
        client = self._openai()
        timeout = min(self.settings.timeout_seconds, self._remaining())
        started = time.monotonic()
        self._stats["requests"] += 1
        try:
            response = client.chat.completions.create(
                model=self.settings.model,
                messages=messages,
                response_format=response_format,
                temperature=0,
                max_tokens=max_tokens,
                timeout=timeout,
            )
            content = response.choices[0].message.content or ""
        except Exception as exc:  # noqa: BLE001 - any transport/API failure falls back to rules
            status = getattr(exc, "status_code", None)
            self._stats["failed_requests"] += 1
            self._record_outcome(_RequestFailed(status))
            return "", type(exc).__name__ + (f" (HTTP {status})" if status else "")
        finally:
            self._waited += time.monotonic() - started
        if json_only and _json_object(content) is None:
            self._stats["failed_requests"] += 1
            self._record_outcome(_RequestFailed(None))
            return content, None
        # An answer, even one that fails the schema, proves the endpoint is up.
        self._record_outcome(None)
        return content, None

    def _remaining(self) -> float:
        return self.settings.budget_seconds - self._waited

    def _refusal(self) -> tuple[str, str] | None:
        """Why no request may be sent now (status, note), or None."""
        if self._breaker.current_state == pybreaker.STATE_OPEN and not self._reset_elapsed():
            return (
                SKIPPED_BREAKER_OPEN,
                f"circuit breaker open after {self.settings.breaker_fail_max} failed LLM requests in a row",
            )
        if self._remaining() < min(MIN_REQUEST_SECONDS, self.settings.timeout_seconds):
            return SKIPPED_BUDGET, f"LLM time budget of {self.settings.budget_seconds:g} s spent"
        return None

    def _breaker_state(self) -> str:
        return self._clock.state(self._breaker, self.settings.breaker_reset_seconds)

    def _reset_elapsed(self) -> bool:
        return self._clock.reset_elapsed(self.settings.breaker_reset_seconds)

    def _record_outcome(self, error: _RequestFailed | None) -> None:
        def outcome() -> None:
            if error is not None:
                raise error

        try:
            self._breaker.call(outcome)
        except (pybreaker.CircuitBreakerError, _RequestFailed):
            pass

"""What both circuit breakers (the TWS client's and the LLM client's) need beside pybreaker."""

from __future__ import annotations

import time

import pybreaker


class BreakerClock(pybreaker.CircuitBreakerListener):
    """Remembers when the breaker last opened (pybreaker keeps that in private storage) and every
    state it went through."""

    def __init__(self) -> None:
        self.opened_at: float | None = None
        self.transitions: list[str] = []

    def state_change(self, cb, old_state, new_state) -> None:
        name = new_state.name if new_state is not None else "?"
        if name == pybreaker.STATE_OPEN:
            self.opened_at = time.monotonic()
        self.transitions.append(name)

    def reset_elapsed(self, reset_seconds: float) -> bool:
        """True when the breaker never opened or opened at least ``reset_seconds`` ago."""
        return self.opened_at is None or time.monotonic() - self.opened_at >= reset_seconds

    def state(self, breaker: pybreaker.CircuitBreaker, reset_seconds: float) -> str:
        """The breaker's state as a caller sees it: an open breaker whose reset time has passed lets
        the next call through, so it is reported half-open."""
        state = breaker.current_state
        if state == pybreaker.STATE_OPEN and self.reset_elapsed(reset_seconds):
            return pybreaker.STATE_HALF_OPEN
        return state

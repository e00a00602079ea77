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

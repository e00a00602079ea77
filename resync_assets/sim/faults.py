"""Injected HTTP faults for the simulator (`--faults` / `FaultConfig`).

Syntax of `FaultConfig.parse`: comma-separated `key=value` items, e.g.
`500=0.02,503=0.01,429=0.02,latency=0.05:0.2,timeout=0.01,truncate=0.01,reset=0.01`.

| key | value | effect on an API request |
|---|---|---|
| `500`, `503` | probability | answer with that status and a short JSON error |
| `429` | probability | answer 429 with `Retry-After: <retry_after>` |
| `latency` | `LO:HI` seconds (or one number) | every API response is delayed by a uniform draw in [LO, HI] |
| `latency_rate` | probability | only that share of requests gets the latency (default 1) |
| `timeout` | probability | hold the request `stall` seconds before answering normally |
| `stall` | seconds | how long a `timeout` fault holds (default 5; at most 300) |
| `truncate` | probability | promise the full Content-Length, send half the body, close |
| `reset` | probability | close the socket abruptly (TCP RST), no response |
| `retry_after` | seconds | value of the `Retry-After` header (default 1) |
| `seed` | integer | seed of the fault draws |
| `poison` | run ids separated by `|` | the joblog of these runs always fails (see `poison_mode`) |
| `poison_mode` | `500` or `cut` | `500`: answer 500; `cut`: send half the joblog with neither Content-Length nor chunking, then close (a close-delimited body cut half-way) |
| `odd` | run ids separated by `|` | these runs are sent without their `id` (valid: the spec requires no field) |

Draws are deterministic: the k-th request for a given method+URL gets a verdict that depends only on
(seed, method, URL, k). A sequential client therefore sees the same faults every run, and a retry of
the same URL gets a fresh draw.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, fields, replace

_MAX_STALL = 300.0
_MAX_TRACKED_URLS = 200_000

# Order in which faults are tested against one uniform draw (their probabilities are stacked).
_KINDS = ("reset", "truncate", "timeout", "429", "503", "500")


@dataclass(frozen=True)
class FaultConfig:
    """Fault probabilities and knobs; all zero means a well-behaved server."""

    error_500: float = 0.0
    error_503: float = 0.0
    error_429: float = 0.0
    latency_min: float = 0.0
    latency_max: float = 0.0
    latency_rate: float = 1.0
    timeout: float = 0.0
    stall_seconds: float = 5.0
    truncate: float = 0.0
    reset: float = 0.0
    retry_after: int = 1
    seed: int = 0
    poison: frozenset[str] = frozenset()
    poison_mode: str = "500"
    odd: frozenset[str] = frozenset()

    def __post_init__(self):
        for name in ("error_500", "error_503", "error_429", "timeout", "truncate", "reset", "latency_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault probability {name}={value} must be within [0, 1]")
        if self.latency_min < 0 or self.latency_max < self.latency_min:
            raise ValueError("latency must be LO:HI with 0 <= LO <= HI")
        if not 0 <= self.stall_seconds <= _MAX_STALL:
            raise ValueError(f"stall must be within [0, {_MAX_STALL:g}] seconds")
        if self.retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        object.__setattr__(self, "poison", frozenset(self.poison))
        object.__setattr__(self, "odd", frozenset(self.odd))
        if self.poison_mode not in ("500", "cut"):
            raise ValueError("poison_mode must be 500 or cut")
        if self.total_probability() > 1.0:
            raise ValueError("the fault probabilities add up to more than 1")

    def total_probability(self) -> float:
        """Probability that a request gets one of the exclusive faults (all but latency)."""
        return self.error_500 + self.error_503 + self.error_429 + self.timeout + self.truncate + self.reset

    @property
    def enabled(self) -> bool:
        """True when any fault or latency can happen."""
        return self.total_probability() > 0 or self.latency_max > 0 or bool(self.poison or self.odd)

    @classmethod
    def parse(cls, text: str | None) -> FaultConfig:
        """Parse the `--faults` syntax (see the module docstring); empty text gives no faults."""
        if text is None or not text.strip():
            return cls()
        keys = {
            "500": "error_500",
            "503": "error_503",
            "429": "error_429",
            "timeout": "timeout",
            "truncate": "truncate",
            "reset": "reset",
            "latency_rate": "latency_rate",
            "stall": "stall_seconds",
            "retry_after": "retry_after",
            "seed": "seed",
        }
        values: dict[str, float | int] = {}
        for item in text.split(","):
            item = item.strip()
            if not item:
                continue
            key, sep, raw = item.partition("=")
            key, raw = key.strip().lower(), raw.strip()
            if not sep or not raw:
                raise ValueError(f"bad fault item {item!r}: expected key=value")
            try:
                if key == "latency":
                    lo, _, hi = raw.partition(":")
                    values["latency_min"] = float(lo)
                    values["latency_max"] = float(hi) if hi else float(lo)
                elif key in ("poison", "odd"):
                    values[key] = frozenset(part.strip() for part in raw.split("|") if part.strip())
                elif key == "poison_mode":
                    values[key] = raw
                elif key in ("seed", "retry_after"):
                    values[keys[key]] = int(raw)
                elif key in keys:
                    values[keys[key]] = float(raw)
                else:
                    known = ", ".join(sorted([*keys, "latency", "poison", "poison_mode", "odd"]))
                    raise ValueError(f"unknown fault {key!r}; known: {known}")
            except ValueError as exc:
                if "unknown fault" in str(exc):
                    raise
                raise ValueError(f"bad value in fault item {item!r}") from None
        return cls(**values)

    def with_seed(self, seed: int) -> FaultConfig:
        """Return a copy with another seed."""
        return replace(self, seed=seed)

    def describe(self) -> str:
        """The config in `parse` syntax (only non-default items)."""
        parts = []
        default = FaultConfig()
        names = {"error_500": "500", "error_503": "503", "error_429": "429", "stall_seconds": "stall"}
        for f in fields(self):
            if f.name in ("latency_min", "latency_max"):
                continue
            if f.name in ("poison", "odd"):
                if getattr(self, f.name):
                    parts.append(f"{f.name}={'|'.join(sorted(getattr(self, f.name)))}")
                continue
            if f.name == "poison_mode":
                if self.poison_mode != "500":
                    parts.append(f"poison_mode={self.poison_mode}")
                continue
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                parts.append(f"{names.get(f.name, f.name)}={value:g}")
        if self.latency_max > 0:
            parts.append(f"latency={self.latency_min:g}:{self.latency_max:g}")
        return ",".join(parts)


@dataclass(frozen=True)
class FaultVerdict:
    """What to do to one request: `kind` is None or one of reset/truncate/timeout/429/503/500."""

    kind: str | None
    latency: float


def _unit(seed: int, key: str, k: int, salt: str) -> float:
    digest = hashlib.blake2b(f"{seed}|{salt}|{k}|{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class FaultInjector:
    """Decides the fault for each request, deterministically per (seed, method+URL, occurrence)."""

    def __init__(self, config: FaultConfig | None = None):
        self._config = config or FaultConfig()
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def config(self) -> FaultConfig:
        """The active fault configuration."""
        return self._config

    def set_config(self, config: FaultConfig) -> None:
        """Replace the configuration and restart the per-URL occurrence counters."""
        with self._lock:
            self._config = config
            self._counts.clear()

    def decide(self, method: str, url: str) -> FaultVerdict:
        """Return the verdict for the next request `method url`."""
        cfg = self._config
        if not cfg.enabled:
            return FaultVerdict(None, 0.0)
        key = f"{method} {url}"
        with self._lock:
            k = self._counts.get(key, 0)
            if k == 0 and len(self._counts) >= _MAX_TRACKED_URLS:
                # Bound the memory of a long-running server; occurrence numbering restarts.
                self._counts.clear()
            self._counts[key] = k + 1
        latency = 0.0
        if cfg.latency_max > 0 and _unit(cfg.seed, key, k, "latency-rate") < cfg.latency_rate:
            latency = cfg.latency_min + (cfg.latency_max - cfg.latency_min) * _unit(
                cfg.seed, key, k, "latency"
            )
        u = _unit(cfg.seed, key, k, "kind")
        probabilities = {
            "reset": cfg.reset,
            "truncate": cfg.truncate,
            "timeout": cfg.timeout,
            "429": cfg.error_429,
            "503": cfg.error_503,
            "500": cfg.error_500,
        }
        edge = 0.0
        for kind in _KINDS:
            edge += probabilities[kind]
            if u < edge:
                return FaultVerdict(kind, latency)
        return FaultVerdict(None, latency)

"""Fault and latency injection: rules by endpoint name and rate, drawn from a seeded RNG.

A rule is a dict (the JSON of `PUT /_localhub/faults`):
    {"endpoint": "model_info" | "*",
     "kind": "latency" | "rate_limit" | "error" | "refuse" | "reset" | "lost" | "lost_reset",
     "rate": 0.0..1.0 (default 1), "latency_ms": int, "status": int (error/lost, default 503),
     "retry_after": int (rate_limit, default 0), "times": int | null (fire at most N times),
     "message": str (the `{"error": ...}` text of an error or refuse answer)}
`error`, `refuse`, `rate_limit` and `reset` fail the request before the Hub sees it; `refuse`
answers a 4xx the Hub sends for its own reasons (status default 403, e.g. with the message
"Private repository storage limit reached"). `lost` and
`lost_reset` carry the request out (the commit lands, the setting changes) and then lose the
answer: a 5xx, or a connection reset, instead of the response. A client must then find out
whether its change landed before repeating it.
Every matching rule draws from the RNG on every request, so a given seed and request order give
the same faults on every run.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

KINDS = ("latency", "rate_limit", "error", "refuse", "reset", "lost", "lost_reset")


@dataclass
class FaultRule:
    kind: str
    endpoint: str = "*"
    rate: float = 1.0
    latency_ms: int = 0
    status: int = 503
    retry_after: int = 0
    times: int | None = None
    message: str | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultRule:
        rule = cls(**raw)
        if rule.kind not in KINDS:
            raise ValueError(f"unknown fault kind {rule.kind!r}; expected one of {KINDS}")
        if not 0.0 <= rule.rate <= 1.0:
            raise ValueError(f"fault rate must be within [0, 1], got {rule.rate}")
        if rule.kind in ("error", "lost") and not 500 <= rule.status <= 599:
            raise ValueError(f"{rule.kind} faults answer 5xx, got {rule.status}")
        if rule.kind == "refuse":
            if rule.status == 503:  # the default of the 5xx kinds
                rule.status = 403
            if not 400 <= rule.status <= 499:
                raise ValueError(f"refuse faults answer 4xx, got {rule.status}")
        return rule

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Verdict:
    """What to do with one request: wait, then maybe fail with a status or a connection reset;
    `after`: carry the request out first, then fail (the response is lost)."""

    delay_s: float = 0.0
    status: int | None = None
    retry_after: int | None = None
    reset: bool = False
    after: bool = False
    message: str | None = None


class FaultInjector:
    def __init__(
        self, rules: list[FaultRule] | None = None, seed: int = 0, latency_ms: int = 0
    ) -> None:
        self._lock = threading.Lock()
        self.base_delay_s = latency_ms / 1000  # fixed latency on every request, kept by configure
        self.configure(rules or [], seed)

    def configure(self, rules: list[FaultRule], seed: int = 0) -> None:
        with self._lock:
            self._rules = list(rules)
            self._fired = [0] * len(self._rules)
            self._seed = seed
            self._rng = random.Random(seed)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "seed": self._seed,
                "latency_ms": round(self.base_delay_s * 1000),
                "rules": [r.to_dict() for r in self._rules],
            }

    def decide(self, endpoint: str) -> Verdict:
        if not self._rules:
            return Verdict(self.base_delay_s)
        delay, failure = self.base_delay_s, None
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.endpoint not in ("*", endpoint):
                    continue
                hit = self._rng.random() < rule.rate
                if not hit or (rule.times is not None and self._fired[index] >= rule.times):
                    continue
                if rule.kind == "latency":
                    self._fired[index] += 1
                    delay += rule.latency_ms / 1000
                elif failure is None:
                    self._fired[index] += 1
                    failure = rule
        if failure is None:
            return Verdict(delay)
        if failure.kind == "reset":
            return Verdict(delay, reset=True)
        if failure.kind == "lost_reset":
            return Verdict(delay, reset=True, after=True)
        if failure.kind == "lost":
            return Verdict(delay, status=failure.status, after=True, message=failure.message)
        if failure.kind == "rate_limit":
            return Verdict(delay, status=429, retry_after=failure.retry_after)
        return Verdict(delay, status=failure.status, message=failure.message)

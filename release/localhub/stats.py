"""Per-endpoint request counters and received request-body bytes, read by tests and benchmarks (`GET /_localhub/stats`)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class RequestStats:
    """Counts every request routed to a Hub endpoint, including ones a fault then failed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_endpoint: Counter[str] = Counter()
        self._writes = 0
        self._rate_limited = 0
        self._body_bytes: Counter[str] = Counter()
        self._in_flight: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()

    def record(self, endpoint: str, is_write: bool) -> None:
        with self._lock:
            self._by_endpoint[endpoint] += 1
            self._writes += is_write

    def record_body(self, endpoint: str, size: int) -> None:
        """`size` more request-body bytes received for `endpoint` (as they arrive)."""
        with self._lock:
            self._body_bytes[endpoint] += size

    @contextmanager
    def serving(self, endpoint: str) -> Iterator[None]:
        """While a request to `endpoint` is being answered: tests see whether requests overlapped
        (`in_flight_peak`), e.g. commits to several branches of one repo at once."""
        with self._lock:
            self._in_flight[endpoint] += 1
            self._peak[endpoint] = max(self._peak[endpoint], self._in_flight[endpoint])
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[endpoint] -= 1

    def record_rate_limited(self) -> None:
        """A request the rehearsed quota refused with 429 (it is counted by `record` too)."""
        with self._lock:
            self._rate_limited += 1

    def snapshot(self) -> dict[str, Any]:
        """`{"total": n, "writes": n, "rate_limited": n, "by_endpoint": {"model_info": n, ...},
        "body_bytes": n, "body_bytes_by_endpoint": {"lfs_upload": n, ...},
        "in_flight_peak": {"commit": n, ...}}` (the most requests answered at once)."""
        with self._lock:
            return {
                "total": sum(self._by_endpoint.values()),
                "writes": self._writes,
                "rate_limited": self._rate_limited,
                "by_endpoint": dict(sorted(self._by_endpoint.items())),
                "body_bytes": sum(self._body_bytes.values()),
                "body_bytes_by_endpoint": dict(sorted(self._body_bytes.items())),
                "in_flight_peak": dict(sorted(self._peak.items())),
            }

    def reset(self) -> None:
        with self._lock:
            self._by_endpoint.clear()
            self._writes = 0
            self._rate_limited = 0
            self._body_bytes.clear()
            self._peak = Counter({k: n for k, n in self._in_flight.items() if n})

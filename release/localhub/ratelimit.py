"""The Hub's API quota, rehearsed: fixed windows per user, with the Hub's headers and 429s.

The Hub meters its "api" bucket in fixed 5-minute windows per user (per IP when anonymous),
sends `RateLimit: "api";r=<left>;t=<seconds to reset>` and
`RateLimit-Policy: "fixed window";"api";q=<quota>;w=<window>` on every answer, and refuses
with 429 + `Retry-After` once the window's quota is spent (hub-docs `rate-limits.md`,
hub-api.md section 9). `release hub serve --rate-limit 1000/300s` turns this on; tests compress
time (`100/3s`). Resolvers (`/resolve/`) are a separate, much larger bucket on the Hub and LFS
bytes go to S3, so neither is metered here.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import Message, Send

from release.localhub.auth import AuthConfig
from release.localhub.errors import HubError

BUCKET = "api"
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*(s|m|min)?\s*$")
#: Paths outside the "api" bucket: downloads (resolvers) and LFS transfers (S3 on the Hub).
_UNMETERED = ("/resolve/", "/_lfs/")


@dataclass(frozen=True)
class QuotaPolicy:
    """`quota` requests per fixed window of `window_s` whole seconds."""

    quota: int
    window_s: int

    @classmethod
    def parse(cls, spec: str) -> QuotaPolicy:
        """`1000/300s`, `1000/5m` or `100/3s` (the window in whole seconds or minutes)."""
        found = _SPEC.match(spec)
        if found is None:
            raise ValueError(f"rate limit {spec!r}: expected REQUESTS/WINDOW, e.g. 1000/300s "
                             "or 1000/5m")
        quota, window = int(found.group(1)), int(found.group(2))
        if found.group(3) in ("m", "min"):
            window *= 60
        if quota < 1 or window < 1:
            raise ValueError(f"rate limit {spec!r}: requests and window must be at least 1")
        return cls(quota, window)

    def __str__(self) -> str:
        return f"{self.quota}/{self.window_s}s"


@dataclass(frozen=True)
class Admission:
    """One request's place in its window: refused when the quota was already spent."""

    refused: bool
    remaining: int
    reset_s: int  # whole seconds until the window resets (rounded up, at least 1)
    policy: QuotaPolicy

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit": f'"{BUCKET}";r={self.remaining};t={self.reset_s}',
            "RateLimit-Policy": f'"fixed window";"{BUCKET}";q={self.policy.quota};'
                                f"w={self.policy.window_s}",
        }
        if self.refused:
            headers["Retry-After"] = str(self.reset_s)
        return headers

    def error(self) -> HubError:
        """The 429 the Hub answers once the window's quota is spent."""
        message = (f"Rate limit reached: too many '{BUCKET}' requests in this "
                   f"{self.policy.window_s}-second window ({self.policy.quota} allowed). Retry "
                   f"after {self.reset_s} seconds, or upgrade your plan for higher limits "
                   "(https://huggingface.co/docs/hub/rate-limits).")
        return HubError(429, message, headers=self.headers())


class QuotaMeter:
    """Counts API requests per caller in fixed windows aligned on the clock."""

    def __init__(self, policy: QuotaPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}  # caller -> (window index, used)

    def admit(self, caller: str) -> Admission:
        now = self._clock()
        window = self.policy.window_s
        index = int(now // window)
        reset_s = max(1, math.ceil((index + 1) * window - now))
        with self._lock:
            seen, used = self._windows.get(caller, (index, 0))
            if seen != index:
                used = 0
            refused = used >= self.policy.quota
            used += not refused
            self._windows[caller] = (index, used)
        return Admission(refused, self.policy.quota - used, reset_s, self.policy)


def metered(raw_path: str) -> bool:
    """Is this path in the "api" bucket?"""
    return not any(part in raw_path for part in _UNMETERED)


def caller_of(auth: AuthConfig, authorization: str | None, client: Any) -> str:
    """Who the quota is counted for: the user a valid token belongs to, else the token (hashed:
    never kept in clear), else the client's address (anonymous callers are metered per IP)."""
    if authorization:
        try:
            user = auth.authenticate(authorization).user
        except HubError:
            user = None
        if user is not None:
            return f"user:{user}"
        return "token:" + hashlib.sha256(authorization.encode()).hexdigest()[:16]
    host = client[0] if client else "unknown"
    return f"ip:{host}"


def with_headers(send: Send, headers: dict[str, str]) -> Send:
    """`send` that adds `headers` to the response start (every answer carries the quota)."""
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending

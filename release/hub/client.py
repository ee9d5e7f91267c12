"""Connecting to a Hub: the same `HfApi` for huggingface.co and for the local hub.

The only difference between the two is the endpoint and the token; everything else (the
reader, the writer, the request meter) is identical, so the local-hub tests exercise the path
that runs against huggingface.co.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.errors import ReleaseError

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# POSTs that only read: they must not count as writes in "a no-op apply makes zero writes".
_READ_ONLY_POSTS = ("/preupload/", "/paths-info/", "/info/lfs/objects/batch", "/api/validate-yaml",
                    "/info/lfs/objects/verify", "/_lfs/verify")


@dataclass(frozen=True)
class ThreadCounters:
    """What one thread has sent so far; apply diffs two of these to cost a single change."""

    requests: int = 0
    writes: int = 0
    bytes_sent: int = 0
    commit_posts: int = 0  # POST /commit: tells a real commit from the client's no-op short cut

    def __sub__(self, other: ThreadCounters) -> ThreadCounters:
        return ThreadCounters(self.requests - other.requests, self.writes - other.writes,
                              self.bytes_sent - other.bytes_sent,
                              self.commit_posts - other.commit_posts)


@dataclass
class RequestMeter:
    """Counts every HTTP request huggingface_hub sends, by method and route shape.

    Installed as an httpx2 event hook through `set_client_factory`, so it sees the requests the
    unmodified client makes (retries included), not our guess of them. Thread-safe. The client
    is synchronous, so the hook runs in the thread that made the call: per-thread counters
    (`thread_counters`) attribute requests and uploaded bytes to the change being applied.
    """

    by_route: Counter[str] = field(default_factory=Counter)
    writes: int = 0
    bytes_sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def record(self, method: str, path: str, size: int = 0) -> None:
        route = f"{method} {_route_shape(path)}"
        is_write = method in WRITE_METHODS and not any(p in path for p in _READ_ONLY_POSTS)
        is_commit = method == "POST" and "/commit/" in path
        with self._lock:
            self.by_route[route] += 1
            self.bytes_sent += size
            if is_write:
                self.writes += 1
        mine = self.thread_counters()
        self._local.counters = ThreadCounters(mine.requests + 1, mine.writes + is_write,
                                              mine.bytes_sent + size,
                                              mine.commit_posts + is_commit)

    def thread_counters(self) -> ThreadCounters:
        """The calling thread's totals since it first used the meter."""
        counters: ThreadCounters = getattr(self._local, "counters", ThreadCounters())
        return counters

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.by_route.values())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"total": sum(self.by_route.values()), "writes": self.writes,
                    "bytes_sent": self.bytes_sent,
                    "by_route": dict(sorted(self.by_route.items()))}


def _route_shape(path: str) -> str:
    """`/api/models/ns/name/refs` -> `/api/models/{repo}/refs`: countable without leaking ids."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if len(parts) >= 4 and parts[0] == "api" and parts[1] in ("models", "datasets", "spaces"):
        return "/".join(["", "api", parts[1], "{repo}", *parts[4:5]])
    if len(parts) >= 2 and parts[0] == "api":
        return "/" + "/".join(parts[:2])
    if "resolve" in parts:
        return "/{repo}/resolve"
    if "lfs" in parts:
        return "/{repo}.git/info/lfs/" + parts[-1]
    return "/" + parts[0] if parts else "/"


_METER = RequestMeter()
_INSTALLED = False
_INSTALL_LOCK = threading.Lock()


def request_meter() -> RequestMeter:
    """The process-wide meter, installing it into huggingface_hub's HTTP client on first use."""
    global _INSTALLED
    with _INSTALL_LOCK:
        if not _INSTALLED:
            _install_meter()
            _INSTALLED = True
    return _METER


def _install_meter() -> None:
    import httpx2
    from huggingface_hub.utils import _http

    def count(request: httpx2.Request) -> None:
        length = request.headers.get("content-length", "")
        _METER.record(request.method, request.url.raw_path.decode("ascii", "replace"),
                      int(length) if length.isdigit() else 0)

    def factory() -> httpx2.Client:
        # A bounded timeout: the default (None) would hang a plan forever on a stuck server.
        return httpx2.Client(
            event_hooks={"request": [_http.hf_request_event_hook, count]},
            follow_redirects=True,
            timeout=httpx2.Timeout(60.0, connect=10.0),
            limits=httpx2.Limits(max_connections=64, max_keepalive_connections=32),
        )

    _http.set_client_factory(factory)


@dataclass
class HubSession:
    """An authenticated client plus where it points; `token` is never printed or serialised."""

    api: Any  # huggingface_hub.HfApi
    endpoint: str
    kind: str
    meter: RequestMeter
    cache_dir: Path
    token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # never let a token reach a log line
        return f"HubSession(kind={self.kind!r}, endpoint={self.endpoint!r})"


def resolve_token(kind: str, token_env: str) -> str | None:
    """The token from the environment variable the config names; the local hub has a default."""
    token = os.environ.get(token_env) or None
    if token is None and kind == "local":
        from release.localhub import DEFAULT_TOKEN

        token = DEFAULT_TOKEN
    return token


@contextmanager
def connect(kind: str, endpoint: str | None, token_env: str = "HF_TOKEN",
            data_dir: str | Path = ".release/localhub",
            cache_dir: str | Path = ".release/cache") -> Iterator[HubSession]:
    """Yield a HubSession. For kind `local` without an endpoint, run the embedded local hub.

    The embedded hub keeps its data in `data_dir`, so a plan and a later apply, in two
    processes, see the same Hub.
    """
    import huggingface_hub
    from huggingface_hub import constants

    meter = request_meter()
    token = resolve_token(kind, token_env)
    if kind == "local":
        # Xet would need a second (CAS) server; the local hub speaks LFS. See hub-api.md 4.4.
        constants.HF_HUB_DISABLE_XET = True
    if kind == "local" and not endpoint:
        from release.localhub import LocalHub

        with LocalHub(data_dir=Path(data_dir)) as hub:
            api = huggingface_hub.HfApi(endpoint=hub.endpoint, token=token)
            yield HubSession(api=api, endpoint=hub.endpoint, kind=kind, meter=meter,
                             cache_dir=Path(cache_dir), token=token)
        return
    if not endpoint:
        endpoint = constants.ENDPOINT
    if kind == "huggingface" and token is None:
        raise ReleaseError(
            f"no Hub token: the environment variable {token_env} is not set; "
            f"export {token_env}=<a token with write access> or run 'hf auth login'")
    api = huggingface_hub.HfApi(endpoint=endpoint, token=token)
    yield HubSession(api=api, endpoint=endpoint, kind=kind, meter=meter,
                     cache_dir=Path(cache_dir), token=token)

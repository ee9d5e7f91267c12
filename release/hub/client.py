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

from release.errors import ReleaseError, register_secret
from release.hub.api import HubApi
from release.hub.pacing import READ_ONLY_POSTS, PacedClient, pacer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
class Tally:
    """What one change's requests cost, whichever thread sent them (thread-safe).

    huggingface_hub uploads several LFS files of one commit on threads of its own; an operation
    built for the change charges its upload to the change's tally (`RequestMeter.charging`).
    """

    requests: int = 0
    writes: int = 0
    bytes_sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, writes: int, size: int) -> None:
        with self._lock:
            self.requests += 1
            self.writes += writes
            self.bytes_sent += size


@dataclass
class RequestMeter:
    """Counts every HTTP request huggingface_hub sends, by method and route shape.

    Installed as an httpx2 event hook through `set_client_factory`, so it sees the requests the
    unmodified client makes (retries included, the pacer's too), not our guess of them.
    Thread-safe. The client is synchronous, so the hook runs in the thread that made the call:
    per-thread counters (`thread_counters`) attribute requests and uploaded bytes to the change
    being applied.
    """

    by_route: Counter[str] = field(default_factory=Counter)
    writes: int = 0
    bytes_sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def record(self, method: str, path: str, size: int = 0) -> None:
        route = f"{method} {_route_shape(path)}"
        is_write = method in WRITE_METHODS and not any(p in path for p in READ_ONLY_POSTS)
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
        owner: Tally | None = getattr(self._local, "owner", None)
        if owner is not None:
            owner.add(is_write, size)

    def owner(self) -> Tally | None:
        """The tally the calling thread's requests are charged to, if any."""
        owner: Tally | None = getattr(self._local, "owner", None)
        return owner

    @contextmanager
    def charging(self, tally: Tally | None, *, linger: bool = False) -> Iterator[None]:
        """Charge the calling thread's requests to `tally` for the block.

        With `linger`, a thread that was charged to nobody stays charged to `tally` after the
        block: huggingface_hub's own upload thread sends the LFS verify after the upload
        (`lfs_upload`), outside the file it streamed, and that thread serves only this call.
        """
        previous = self.owner()
        self._local.owner = tally
        try:
            yield
        finally:
            if not (linger and previous is None):
                self._local.owner = previous

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
        # PacedClient: every request goes through the rate-limit pacer (release.hub.pacing).
        return PacedClient(
            event_hooks={"request": [_http.hf_request_event_hook, count]},
            follow_redirects=True,
            timeout=httpx2.Timeout(60.0, connect=10.0),
            limits=httpx2.Limits(max_connections=64, max_keepalive_connections=32),
        )

    _http.set_client_factory(factory)


@dataclass
class HubSession:
    """An authenticated client plus where it points; `token` is never printed or serialised."""

    api: HubApi  # huggingface_hub.HfApi
    endpoint: str
    kind: str
    meter: RequestMeter
    cache_dir: Path
    token: str | None = field(default=None, repr=False)
    token_source: str = ""  # where the token came from, e.g. "$HF_TOKEN" (never its value)
    #: Which Hub this is, stably across runs: the endpoint, or `local:<data dir>` for the
    #: embedded local hub (its endpoint is a fresh port each run). Saved plans record it.
    hub_id: str = ""

    def __post_init__(self) -> None:
        if not self.hub_id:
            self.hub_id = self.endpoint.rstrip("/")

    def __repr__(self) -> str:  # never let a token reach a log line
        return f"HubSession(kind={self.kind!r}, endpoint={self.endpoint!r})"


#: The variables huggingface_hub reads the huggingface.co token from, in its order.
HF_TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


@dataclass(frozen=True)
class ResolvedToken:
    value: str = field(repr=False)
    source: str  # shown to the user: which variable or file, never the value


def resolve_token(kind: str, token_env: str | None) -> ResolvedToken:
    """The token for `kind`, following huggingface_hub's own order (`utils/_auth.py`).

    huggingface: the variable `token_env` names (default HF_TOKEN, then HUGGING_FACE_HUB_TOKEN
    as huggingface_hub reads both), then the token `hf auth login` stored (`HF_TOKEN_PATH`,
    skipped under HF_HUB_DISABLE_IMPLICIT_TOKEN as huggingface_hub does). OIDC exchange
    (HF_OIDC_RESOURCE) is not followed.
    local: the variable `token_env` names, if one is named, else the local hub's own token.
    Never HF_TOKEN: the user's huggingface.co token is not given to a local hub.
    """
    from huggingface_hub import constants

    if kind == "local":
        if token_env is None:
            from release.localhub import DEFAULT_TOKEN

            return ResolvedToken(DEFAULT_TOKEN, "the local hub's default token")
        if token_env in HF_TOKEN_VARIABLES:
            raise ReleaseError(
                f"hub.token_env: the local hub is never given the huggingface.co token in "
                f"{token_env}; name a variable of its own, e.g. hub.token_env=LOCALHUB_TOKEN")
        value = (os.environ.get(token_env) or "").strip()
        if not value:
            raise ReleaseError(f"no token for the local hub: the environment variable "
                               f"{token_env} (hub.token_env) is not set; export it, or drop "
                               "hub.token_env to use the local hub's default token")
        register_secret(value)
        return ResolvedToken(value, f"${token_env}")
    names = (token_env,) if token_env not in (None, *HF_TOKEN_VARIABLES) else HF_TOKEN_VARIABLES
    for name in names:
        assert name is not None
        value = (os.environ.get(name) or "").strip()
        if value:
            register_secret(value)
            return ResolvedToken(value, f"${name}")
    stored = Path(constants.HF_TOKEN_PATH)
    if not constants.HF_HUB_DISABLE_IMPLICIT_TOKEN:
        try:
            value = stored.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            value = ""
        if value:
            register_secret(value)
            return ResolvedToken(value, f"the file 'hf auth login' stored ({stored})")
    name = names[0]
    raise ReleaseError(
        f"no Hub token: the environment variable {name} is not set and no token is stored by "
        f"'hf auth login' ({stored}); run 'hf auth login', or export {name}=<a token with "
        "write access>")


@contextmanager
def connect(kind: str, endpoint: str | None, token_env: str | None = None,
            data_dir: str | Path = ".release/localhub",
            cache_dir: str | Path = ".release/cache",
            rate_limit: str | None = None) -> Iterator[HubSession]:
    """Yield a HubSession. For kind `local` without an endpoint, run the embedded local hub.

    The embedded hub keeps its data in `data_dir`, so a plan and a later apply, in two
    processes, see the same Hub; with `rate_limit` (e.g. `1000/300s`) it rehearses the Hub's
    API quota.
    """
    meter = request_meter()
    token = resolve_token(kind, token_env)
    with _paced():
        yield from _connect(kind, endpoint, token, token_env, meter, data_dir, cache_dir,
                            rate_limit)


@contextmanager
def _paced() -> Iterator[None]:
    """Requests sent inside a session are paced (a bare HfApi elsewhere is left alone)."""
    limiter = pacer()
    limiter.activate()
    try:
        yield
    finally:
        limiter.deactivate()


def _connect(kind: str, endpoint: str | None, token: ResolvedToken, token_env: str | None,
             meter: RequestMeter, data_dir: str | Path, cache_dir: str | Path,
             rate_limit: str | None) -> Iterator[HubSession]:
    from huggingface_hub import constants

    from release.hub.hfapi import ReleaseHfApi

    if kind == "local":
        # Xet would need a second (CAS) server; the local hub speaks LFS. See hub-api.md 4.4.
        constants.HF_HUB_DISABLE_XET = True
    if kind == "local" and not endpoint:
        from release.localhub import LocalHub
        from release.localhub.ratelimit import QuotaPolicy

        if rate_limit:
            try:
                QuotaPolicy.parse(rate_limit)
            except ValueError as err:
                raise ReleaseError(f"hub.rate_limit: {err}") from None
        with LocalHub(data_dir=Path(data_dir), rate_limit=rate_limit) as hub:
            api = ReleaseHfApi(endpoint=hub.endpoint, token=token.value)
            yield HubSession(api=api, endpoint=hub.endpoint, kind=kind, meter=meter,
                             cache_dir=Path(cache_dir), token=token.value,
                             token_source=token.source,
                             hub_id=f"local:{Path(data_dir).resolve()}")
        return
    if not endpoint:
        endpoint = constants.ENDPOINT
    api = ReleaseHfApi(endpoint=endpoint, token=token.value)
    yield HubSession(api=api, endpoint=endpoint, kind=kind, meter=meter,
                     cache_dir=Path(cache_dir), token=token.value, token_source=token.source)

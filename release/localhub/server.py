"""Run the local hub in-process on an ephemeral port (`LocalHub`) or in the foreground (`serve`)."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import huggingface_hub.constants
import uvicorn

from release.localhub.app import HubApp
from release.localhub.auth import AuthConfig
from release.localhub.context import HubServices, HubSettings
from release.localhub.faults import FaultInjector, FaultRule
from release.localhub.hub_collections import CollectionStore
from release.localhub.ratelimit import QuotaMeter, QuotaPolicy
from release.localhub.stats import RequestStats
from release.localhub.storage import RepoStore

AuthSource = AuthConfig | dict[str, Any] | str | Path | None


def load_auth(auth: AuthSource) -> AuthConfig:
    """An AuthConfig from an object, a dict, or a YAML/JSON file; the open default when None."""
    if auth is None:
        return AuthConfig.default()
    if isinstance(auth, AuthConfig):
        return auth
    if isinstance(auth, dict):
        return AuthConfig.from_dict(auth)
    return AuthConfig.load(Path(auth))


def build_app(
    data_dir: str | Path,
    auth: AuthSource = None,
    *,
    latency_ms: int = 0,
    page_size: int = 1000,
    regular_only: bool = False,
    duplicate_collections: bool = False,
    private_storage_quota: int | None = None,
    rate_limit: str | None = None,
) -> HubApp:
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    auth_config = load_auth(auth)
    storage = RepoStore(root)  # takes the data directory's lock, or refuses (DataDirInUse)
    try:
        collections = CollectionStore(root / "collections.json")
    except BaseException:
        storage.close()
        raise
    services = HubServices(
        storage=storage,
        auth=auth_config,
        collections=collections,
        settings=HubSettings(
            page_size=page_size,
            regular_only=regular_only,
            duplicate_collections=duplicate_collections,
            private_storage_quota=private_storage_quota,
        ),
    )
    app = HubApp(services, RequestStats(), FaultInjector(latency_ms=latency_ms))
    set_rate_limit(app, rate_limit)
    return app


def set_rate_limit(app: HubApp, rate_limit: str | None) -> None:
    """Rehearse the Hub's API quota (`1000/300s`; time compressible: `100/3s`), or stop (None)."""
    app.quota = QuotaMeter(QuotaPolicy.parse(rate_limit)) if rate_limit else None


def _uvicorn_config(app: HubApp, host: str, port: int, log_level: str) -> uvicorn.Config:
    # No access log: it would be noise in tests, and URLs are all a token-free log needs anyway.
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        loop="asyncio",
        timeout_keep_alive=30,
    )


class LocalHub:
    """A Hub-compatible server in a background thread. Use as a context manager or start/stop.

    Starting one also turns xet off in this process's huggingface_hub, which the local hub needs
    (uploads then use the LFS batch API).
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        auth: AuthSource = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: int = 0,
        page_size: int = 1000,
        regular_only: bool = False,
        duplicate_collections: bool = False,
        private_storage_quota: int | None = None,
        rate_limit: str | None = None,
    ) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="localhub-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.app = build_app(
            self.data_dir,
            auth,
            latency_ms=latency_ms,
            page_size=page_size,
            regular_only=regular_only,
            duplicate_collections=duplicate_collections,
            private_storage_quota=private_storage_quota,
            rate_limit=rate_limit,
        )
        self._host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 10.0) -> LocalHub:
        huggingface_hub.constants.HF_HUB_DISABLE_XET = True
        self._server = uvicorn.Server(_uvicorn_config(self.app, self._host, self._port, "warning"))
        self._thread = threading.Thread(target=self._server.run, name="localhub", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()  # frees the data directory for the next try
                raise RuntimeError("the local hub did not start")
            time.sleep(0.005)
        self._port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def endpoint(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def auth(self) -> AuthConfig:
        return self.app.services.auth

    def stats(self) -> dict[str, Any]:
        """`{"total": n, "writes": n, "by_endpoint": {name: n}}` since the last reset."""
        return self.app.stats.snapshot()

    def reset_stats(self) -> None:
        self.app.stats.reset()

    def set_faults(self, rules: list[dict[str, Any] | FaultRule], seed: int = 0) -> None:
        parsed = [r if isinstance(r, FaultRule) else FaultRule.from_dict(r) for r in rules]
        self.app.faults.configure(parsed, seed)

    def clear_faults(self) -> None:
        self.app.faults.configure([], 0)

    def set_latency(self, latency_ms: int) -> None:
        self.app.faults.base_delay_s = latency_ms / 1000

    def set_rate_limit(self, rate_limit: str | None) -> None:
        """Rehearse the Hub's API quota from now on, e.g. `100/3s`; None turns it off."""
        set_rate_limit(self.app, rate_limit)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = self._thread = None
        self.app.services.storage.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _AnnouncingServer(uvicorn.Server):
    """Calls `on_ready(endpoint)` once listening, so port 0 can be reported as the real port."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[str], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_ready is not None:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            self._on_ready(f"http://{host}:{port}")


def serve(
    data_dir: str | Path,
    port: int = 8000,
    host: str = "127.0.0.1",
    *,
    auth: AuthSource = None,
    latency_ms: int = 0,
    regular_only: bool = False,
    duplicate_collections: bool = False,
    private_storage_quota: int | None = None,
    rate_limit: str | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C)."""
    app = build_app(
        data_dir,
        auth,
        latency_ms=latency_ms,
        regular_only=regular_only,
        duplicate_collections=duplicate_collections,
        private_storage_quota=private_storage_quota,
        rate_limit=rate_limit,
    )
    try:
        _AnnouncingServer(_uvicorn_config(app, host, port, "warning"), on_ready).run()
    finally:
        app.services.storage.close()

"""What a request handler sees: the parsed call plus the hub's shared services."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers, QueryParams

from release.localhub.auth import AuthConfig, Principal
from release.localhub.errors import HubError, bad_request, repo_not_found
from release.localhub.hub_collections import CollectionStore
from release.localhub.names import REPO_TYPES
from release.localhub.storage import RepoHandle, RepoStore


@dataclass
class HubSettings:
    page_size: int = 1000  # list_models, tree and commits pages, as on the Hub
    regular_only: bool = False  # answer uploadMode "regular" for every file: no LFS, no xet
    # Create a second collection for an existing title (the real Hub) instead of answering 409.
    duplicate_collections: bool = False
    # Bytes of private-repo storage per namespace; past it writes answer 403 as on the Hub.
    private_storage_quota: int | None = None


class UploadTickets:
    """Short-lived upload permits embedded in LFS hrefs, standing in for presigned URLs."""

    def __init__(self, ttl_s: float = 3600) -> None:
        self._lock = threading.Lock()
        self._tickets: dict[str, tuple[str, int, float]] = {}
        self._ttl = ttl_s

    def issue(self, ticket: str, oid: str, size: int) -> None:
        with self._lock:
            now = time.monotonic()
            self._tickets = {k: v for k, v in self._tickets.items() if v[2] > now}
            self._tickets[ticket] = (oid, size, now + self._ttl)

    def check(self, ticket: str, oid: str) -> int | None:
        """The expected size if the ticket allows uploading this oid."""
        with self._lock:
            entry = self._tickets.get(ticket)
        if entry is None or entry[0] != oid or entry[2] < time.monotonic():
            return None
        return entry[1]


@dataclass
class HubServices:
    storage: RepoStore
    auth: AuthConfig
    collections: CollectionStore
    settings: HubSettings
    tickets: UploadTickets = field(default_factory=UploadTickets)
    cache: dict[Any, Any] = field(default_factory=dict)  # values keyed by immutable state


@dataclass
class Call:
    method: str
    raw_path: str  # still percent-encoded, as routed
    params: dict[str, str]
    query: QueryParams
    headers: Headers
    body: bytes
    principal: Principal
    base_url: str  # scheme://host:port as the client addressed us, for absolute URLs
    hub: HubServices

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            raise bad_request("Invalid JSON body") from None

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true")

    @property
    def repo_type(self) -> str:
        kind = REPO_TYPES.get(self.params.get("type", "models"))
        if kind is None:
            raise HubError(400, f"Repo type {self.params.get('type')!r} is not supported here")
        return kind

    @property
    def repo_id(self) -> str:
        return f"{self.params['namespace']}/{self.params['name']}"

    def repo(self) -> RepoHandle:
        """The addressed repo if the caller may see it; RepoNotFound (401/404) otherwise."""
        handle = self.hub.storage.get(self.repo_type, self.repo_id)
        if handle is None:
            self._redirect_if_moved()
            raise repo_not_found(self.repo_id, self.principal.anonymous)
        self.hub.auth.check_read(self.principal, handle.repo_id, handle.meta.private)
        return handle

    def _redirect_if_moved(self) -> None:
        """Reads of a renamed repo's old id are redirected to the new one, as on the Hub (the
        client follows redirects, and `hf_hub_download` follows same-host relative ones)."""
        if self.method not in ("GET", "HEAD"):
            return
        target = self.hub.storage.moved_to(self.repo_type, self.repo_id)
        if target is None:
            return
        old = f"/{self.params['namespace']}/{self.params['name']}"
        location = self.raw_path.replace(old, f"/{target}", 1)
        if self.query:
            location += f"?{self.query}"
        raise HubError(307, f"Repository moved to {target}", headers={"Location": location})

    def writable_repo(self) -> RepoHandle:
        handle = self.repo()
        self.hub.auth.check_write(self.principal, handle.namespace)
        return handle

    def author(self) -> str:
        return self.principal.user or "anonymous"

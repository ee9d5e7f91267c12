"""JSON views of a repo at a commit: model_info / dataset_info and list_models items."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from release.localhub.cards import card_tags, parse_card_data
from release.localhub.context import HubServices
from release.localhub.errors import bad_request
from release.localhub.storage import Listing, RepoHandle
from release.localhub.timestamps import iso_z

# Keys of a default list_models item on the Hub; `full=true` adds FULL_LIST_KEYS.
LIST_KEYS = (
    "_id",
    "id",
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
)
FULL_LIST_KEYS = ("author", "sha", "lastModified", "gated", "disabled", "siblings")
INFO_KEYS = LIST_KEYS + FULL_LIST_KEYS + ("cardData", "usedStorage", "spaces", "downloadsAllTime")
# Expand names the client may send that this hub knows but has no data for: answered absent.
_KNOWN_ABSENT = {
    "baseModels",
    "childrenModelCount",
    "config",
    "evalResults",
    "gguf",
    "inference",
    "inferenceProviderMapping",
    "mask_token",
    "model-index",
    "resourceGroup",
    "safetensors",
    "transformersInfo",
    "widgetData",
    "citation",
    "description",
    "paperswithcode_id",
    "mainSize",
}


class RepoView:
    """Lazily computes the properties of one repo at one commit."""

    def __init__(self, hub: HubServices, handle: RepoHandle, sha: str, blobs: bool = False):
        self.hub, self.handle, self.sha, self.blobs = hub, handle, sha, blobs
        self._listing: Listing | None = None
        self._card: dict[str, Any] | None | bool = False  # False = not computed yet

    @property
    def listing(self) -> Listing:
        if self._listing is None:
            self._listing = self.hub.storage.listing(self.handle, self.sha)
        return self._listing

    def card(self) -> dict[str, Any] | None:
        if self._card is False:
            readme = self.listing.by_path.get("README.md")
            self._card = None if readme is None else self._parse_card(readme.blob_sha)
        return self._card  # type: ignore[return-value]

    def _parse_card(self, blob_sha: str) -> dict[str, Any] | None:
        key = ("card", blob_sha)
        if key not in self.hub.cache:
            text = self.handle.git.read_blob(blob_sha).decode("utf-8", "replace")
            try:
                self.hub.cache[key] = parse_card_data(text)
            except ValueError:
                self.hub.cache[key] = None
        return self.hub.cache[key]  # type: ignore[no-any-return]

    def siblings(self) -> list[dict[str, Any]]:
        out = []
        for file in self.listing.files:
            entry: dict[str, Any] = {"rfilename": file.path}
            if self.blobs:
                entry["size"] = file.size
                entry["blobId"] = file.blob_sha
                if file.lfs:
                    entry["lfs"] = {
                        "size": file.size,
                        "sha256": file.lfs.oid,
                        "pointerSize": file.pointer_size,
                    }
            out.append(entry)
        return out

    def _providers(self) -> dict[str, Callable[[], Any]]:
        meta = self.handle.meta
        return {
            "_id": lambda: meta.id,
            "id": lambda: self.handle.repo_id,
            "author": lambda: self.handle.namespace,
            "sha": lambda: self.sha,
            "lastModified": lambda: iso_z(
                self.hub.storage.commit_data(self.handle, self.sha).timestamp
            ),
            "createdAt": lambda: iso_z(meta.created_at),
            "private": lambda: meta.private,
            "gated": lambda: meta.gated,
            "disabled": lambda: False,
            "downloads": lambda: 0,
            "downloadsAllTime": lambda: 0,
            "likes": lambda: 0,
            "trendingScore": lambda: 0,
            "tags": lambda: card_tags(self.card() or {}),
            "pipeline_tag": lambda: (self.card() or {}).get("pipeline_tag"),
            "library_name": lambda: (self.card() or {}).get("library_name"),
            "cardData": lambda: self.card(),
            "siblings": self.siblings,
            "spaces": lambda: [],
            "usedStorage": lambda: sum(f.size for f in self.listing.files),
        }

    def render(self, keys: tuple[str, ...] | list[str]) -> dict[str, Any]:
        providers = self._providers()
        out: dict[str, Any] = {}
        for key in keys:
            if key in providers:
                value = providers[key]()
                if key == "cardData" and value is None:
                    continue
                out[key] = value
        if self.handle.repo_type == "model" and "id" in out:
            out["modelId"] = out["id"]
        return out


def check_expand(expand: list[str]) -> list[str]:
    known = set(INFO_KEYS) | _KNOWN_ABSENT
    unknown = [name for name in expand if name not in known]
    if unknown:
        raise bad_request(f"Invalid expand property: {', '.join(unknown)}")
    return expand


def info_keys(expand: list[str]) -> tuple[str, ...]:
    """With `expand` the Hub answers only those keys plus `_id` and `id`."""
    if expand:
        return ("_id", "id", *check_expand(expand))
    return INFO_KEYS

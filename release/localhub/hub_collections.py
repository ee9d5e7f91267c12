"""Collections persisted in one JSON file (DATA_DIR/collections.json), written atomically."""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from release.localhub.errors import HubError, conflict
from release.localhub.timestamps import iso_z

ITEM_TYPES = ("model", "dataset", "space", "paper", "collection")


def _slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "collection"


_PROCESS = secrets.token_hex(5)
_counter = itertools.count(secrets.randbelow(1 << 24))


def _object_id() -> str:
    """A MongoDB ObjectId, as the Hub's collection ids are: creation time (4 bytes), a
    per-process value (5), a counter (3); so ids sort by creation, as clients may rely on."""
    return f"{int(time.time()):08x}{_PROCESS}{next(_counter) % (1 << 24):06x}"


def _collection_id(slug: str) -> str:
    return slug.rsplit("-", 1)[-1]


def _not_found(what: str) -> HubError:
    return HubError(404, f"{what} not found")


class CollectionStore:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, Any]] = (
            json.loads(path.read_text()) if path.exists() else {}
        )
        # The Hub finds a collection by the id ending its slug, whatever the title part says
        # (huggingface_hub's test_update_collection: "Works with both slugs").
        self._slug_by_id = {_collection_id(slug): slug for slug in self._data}

    def _find(self, slug: str) -> dict[str, Any]:
        """The collection a slug names (lock held); 404 when none."""
        found = self._data.get(slug)
        if found is None:
            current = self._slug_by_id.get(_collection_id(slug))
            if current is not None and current.split("/")[0] == slug.split("/")[0]:
                found = self._data[current]
        if found is None:
            raise _not_found("Collection")
        return found

    def _save(self) -> None:
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".collections.")
        with os.fdopen(fd, "w") as handle:
            json.dump(self._data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)

    def get(self, slug: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._find(slug))

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._data.values()))

    def create(
        self,
        namespace: str,
        owner_type: str,
        title: str,
        description: str | None,
        private: bool,
        *,
        duplicate_titles: bool = False,
    ) -> dict[str, Any]:
        """A new collection; a title the namespace already has is a 409 unless `duplicate_titles`.

        huggingface_hub's `test_create_collection_exists_ok` is skipped with "Creating duplicated
        collections work on staging": the real Hub makes a second collection with the same title.
        `duplicate_titles` reproduces that, so clients can be tested against both behaviours.
        """
        with self._lock:
            for existing in self._data.values():
                if duplicate_titles:
                    break
                if existing["owner"]["name"] == namespace and existing["title"] == title:
                    raise conflict("Collection already exists", slug=existing["slug"])
            slug = f"{namespace}/{_slugify(title)}-{_object_id()}"
            position = sum(1 for c in self._data.values() if c["owner"]["name"] == namespace)
            self._slug_by_id[_collection_id(slug)] = slug
            self._data[slug] = {
                "slug": slug,
                "title": title,
                "description": description,
                "owner": {"name": namespace, "type": owner_type},
                "private": private,
                "theme": "default",
                "position": position,
                "upvotes": 0,
                "gating": False,
                "lastUpdated": iso_z(time.time()),
                "items": [],
            }
            self._save()
            return copy.deepcopy(self._data[slug])

    def update(self, slug: str, changes: dict[str, Any]) -> dict[str, Any]:
        allowed = {"title", "description", "private", "theme", "position"}
        with self._lock:
            found = self._find(slug)
            found.update({k: v for k, v in changes.items() if k in allowed})
            found["lastUpdated"] = iso_z(time.time())
            if "title" in changes:
                self._reslug(found)
            self._save()
            return copy.deepcopy(found)

    def _reslug(self, found: dict[str, Any]) -> None:
        """A new title gives a new slug with the same id, as on the Hub (test_update_collection:
        "Different slug, same id"); the old slug keeps resolving through the id."""
        old = found["slug"]
        namespace, ident = old.split("/")[0], _collection_id(old)
        new = f"{namespace}/{_slugify(found['title'])}-{ident}"
        if new == old:
            return
        found["slug"] = new
        self._data = {(new if key == old else key): value for key, value in self._data.items()}
        self._slug_by_id[ident] = new
        for collection in self._data.values():  # collections that hold this one
            for item in collection["items"]:
                if item["type"] == "collection" and item["id"] == old:
                    item["id"] = item["slug"] = new

    def delete(self, slug: str) -> None:
        with self._lock:
            found = self._find(slug)
            del self._data[found["slug"]]
            self._slug_by_id.pop(_collection_id(found["slug"]), None)
            self._save()

    def add_item(self, slug: str, item_id: str, item_type: str, note: str | None) -> dict[str, Any]:
        with self._lock:
            found = self._find(slug)
            if any(i["id"] == item_id and i["type"] == item_type for i in found["items"]):
                raise conflict(f"Item {item_type}:{item_id} is already in the collection")
            item: dict[str, Any] = {
                "_id": secrets.token_hex(12),
                "id": item_id,
                "type": item_type,
                "position": len(found["items"]),
            }
            if item_type == "collection":
                item["slug"] = item_id
            if note:
                item["note"] = {"text": note, "html": note}
            found["items"].append(item)
            found["lastUpdated"] = iso_z(time.time())
            self._save()
            return copy.deepcopy(found)

    def rename_item(self, item_type: str, old_id: str, new_id: str) -> None:
        """A moved repo stays in its collections under its new id."""
        with self._lock:
            changed = False
            for collection in self._data.values():
                for item in collection["items"]:
                    if item["type"] == item_type and item["id"].lower() == old_id.lower():
                        item["id"], changed = new_id, True
            if changed:
                self._save()

    def update_item(
        self, slug: str, item_object_id: str, note: str | None, position: int | None
    ) -> None:
        with self._lock:
            found = self._find(slug)
            items = found["items"]
            index = next((i for i, it in enumerate(items) if it["_id"] == item_object_id), None)
            if index is None:
                raise _not_found("Collection item")
            if note is not None:
                items[index]["note"] = {"text": note, "html": note}
            if position is not None:
                items.insert(max(0, min(position, len(items) - 1)), items.pop(index))
                for number, item in enumerate(items):
                    item["position"] = number
            found["lastUpdated"] = iso_z(time.time())
            self._save()

    def delete_item(self, slug: str, item_object_id: str) -> None:
        with self._lock:
            found = self._find(slug)
            kept = [it for it in found["items"] if it["_id"] != item_object_id]
            if len(kept) == len(found["items"]):
                raise _not_found("Collection item")
            for number, item in enumerate(kept):
                item["position"] = number
            found["items"] = kept
            found["lastUpdated"] = iso_z(time.time())
            self._save()

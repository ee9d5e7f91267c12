"""Collections: create, get, list, update, delete, and add/update/delete items."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from release.localhub.context import Call
from release.localhub.errors import HubError, bad_request, unauthenticated
from release.localhub.hub_collections import ITEM_TYPES
from release.localhub.responses import json_response, paginated

_PLURAL = {
    "models": "model",
    "datasets": "dataset",
    "spaces": "space",
    "papers": "paper",
    "collections": "collection",
}


def _slug(call: Call) -> str:
    return f"{call.params['namespace']}/{call.params['slug']}"


def _visible(call: Call, collection: dict[str, Any]) -> bool:
    owner = collection["owner"]["name"]
    return not collection["private"] or call.hub.auth.is_member(call.principal, owner)


def _readable(call: Call) -> dict[str, Any]:
    collection = call.hub.collections.get(_slug(call))
    if not _visible(call, collection):
        raise HubError(404, "Collection not found")
    return collection


def _writable(call: Call) -> dict[str, Any]:
    collection = _readable(call)
    call.hub.auth.check_write(call.principal, collection["owner"]["name"])
    return collection


def create(call: Call) -> Response:
    body = call.json()
    if call.principal.user is None:
        raise unauthenticated()
    namespace = body.get("namespace") or call.principal.user
    call.hub.auth.check_write(call.principal, namespace)
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise bad_request("A collection needs a title")
    owner_type = "user" if namespace == call.principal.user else "org"
    collection = call.hub.collections.create(
        namespace,
        owner_type,
        title,
        body.get("description"),
        bool(body.get("private", False)),
        duplicate_titles=call.hub.settings.duplicate_collections,
    )
    return json_response(collection)


def get(call: Call) -> Response:
    return json_response(_readable(call))


def list_all(call: Call) -> Response:
    owner = call.query.get("owner")
    item = call.query.get("item")
    wanted_item = None
    if item:
        kind, _, item_id = item.partition("/")
        wanted_item = (_PLURAL.get(kind, kind), item_id)
    found = []
    for collection in call.hub.collections.list():
        if not _visible(call, collection) or (owner and collection["owner"]["name"] != owner):
            continue
        if wanted_item and not any(
            (i["type"], i["id"]) == wanted_item for i in collection["items"]
        ):
            continue
        # The client builds Collection(position=i, **item): a `position` key here is a TypeError.
        collection.pop("position", None)
        collection["items"] = collection["items"][:4]
        found.append(collection)
    if call.query.get("sort") == "lastModified":
        found.sort(key=lambda c: c["lastUpdated"], reverse=True)
    page_size = call.hub.settings.page_size
    if call.query.get("limit", "").isdigit():
        page_size = max(1, min(page_size, int(call.query["limit"])))
    return paginated(call, found, page_size)


def update(call: Call) -> Response:
    _writable(call)
    updated = call.hub.collections.update(_slug(call), call.json())
    return json_response({"data": updated})


def delete(call: Call) -> Response:
    _writable(call)
    call.hub.collections.delete(_slug(call))
    return json_response({})


def add_item(call: Call) -> Response:
    _writable(call)
    body = call.json()
    item = body.get("item") or {}
    item_type, item_id = item.get("type"), item.get("id")
    if item_type not in ITEM_TYPES or not isinstance(item_id, str):
        raise bad_request(f"Invalid item: {item!r}")
    if item_type in ("model", "dataset"):
        handle = call.hub.storage.get(item_type, item_id)
        if handle is None or (
            handle.meta.private and not call.hub.auth.is_member(call.principal, handle.namespace)
        ):
            raise HubError(404, f"{item_type} {item_id} not found")
        item_id = handle.repo_id  # the repo's own case: ids are case-insensitive on the Hub
    collection = call.hub.collections.add_item(_slug(call), item_id, item_type, body.get("note"))
    return json_response(collection)


def update_item(call: Call) -> Response:
    _writable(call)
    body = call.json()
    position = body.get("position")
    call.hub.collections.update_item(
        _slug(call),
        call.params["item"],
        body.get("note"),
        position if isinstance(position, int) else None,
    )
    return json_response({})


def delete_item(call: Call) -> Response:
    _writable(call)
    call.hub.collections.delete_item(_slug(call), call.params["item"])
    return json_response({})

"""The git-lfs batch API with basic transfer: batch -> PUT to a ticketed href -> verify.

The Hub hands out presigned storage URLs that need no auth header; the client sends none on the
PUT. Here the href carries a random single-purpose ticket instead, issued to a caller who passed
the batch call's write check.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from release.localhub.context import Call
from release.localhub.errors import HubError, bad_request
from release.localhub.lfs_store import is_sha256
from release.localhub.responses import json_response
from release.localhub.storage import storage_limit_reached

_LFS_JSON = "application/vnd.git-lfs+json"


def batch(call: Call) -> Response:
    body = call.json()
    if body.get("operation") != "upload":
        raise bad_request("Only the 'upload' operation is supported by the local hub")
    handle = call.writable_repo()  # objects are global and content-addressed
    quota = call.hub.settings.private_storage_quota
    if quota is not None and handle.meta.private:
        # Refused before the bytes travel; the commit checks again with the final tree.
        incoming = sum(
            item["size"]
            for item in body.get("objects", [])
            if isinstance(item.get("size"), int)
            and not call.hub.storage.lfs.has(str(item.get("oid", "")), item["size"])
        )
        used = call.hub.storage.private_usage(handle.namespace) + incoming
        if used > quota:
            raise storage_limit_reached(handle.namespace, used, quota)
    objects = []
    for item in body.get("objects", []):
        oid, size = str(item.get("oid", "")), item.get("size")
        entry: dict[str, Any] = {"oid": oid, "size": size}
        if not is_sha256(oid) or not isinstance(size, int) or size < 0:
            entry["error"] = {"code": 422, "message": "Invalid oid or size"}
        elif not call.hub.storage.lfs.has(oid, size):
            ticket = secrets.token_urlsafe(16)
            call.hub.tickets.issue(ticket, oid, size)
            entry["authenticated"] = True
            entry["actions"] = {
                "upload": {"href": f"{call.base_url}/_lfs/upload/{oid}?ticket={ticket}"},
                "verify": {"href": f"{call.base_url}/_lfs/verify?ticket={ticket}"},
            }
        objects.append(entry)  # no `actions`: already stored, the client skips the upload
    return json_response(
        {"transfer": "basic", "objects": objects}, headers={"Content-Type": _LFS_JSON}
    )


async def upload(call: Call, request: Request) -> Response:
    oid = call.params["oid"]
    size = call.hub.tickets.check(call.query.get("ticket", ""), oid)
    if size is None:
        raise HubError(403, "Invalid or expired upload ticket")
    store = call.hub.storage.lfs
    writer, tmp = store.open_writer()
    try:
        with writer:
            async for chunk in request.stream():
                writer.write(chunk)
        await anyio.to_thread.run_sync(store.commit_upload, tmp, oid, size)
    except ValueError as err:
        raise bad_request(str(err)) from None
    finally:
        if os.path.exists(tmp):  # an aborted or refused upload leaves nothing behind
            os.unlink(tmp)
    return Response(b"", 200)


def verify(call: Call) -> Response:
    body = call.json()
    oid, size = str(body.get("oid", "")), body.get("size")
    if call.hub.tickets.check(call.query.get("ticket", ""), oid) is None:
        raise HubError(403, "Invalid or expired upload ticket")
    if not call.hub.storage.lfs.has(oid, size if isinstance(size, int) else None):
        raise HubError(404, f"Object {oid} not found")
    return json_response({}, headers={"Content-Type": _LFS_JSON})

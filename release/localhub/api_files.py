"""File-level reads: tree, paths-info, commit history, resolve (downloads), validate-yaml."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs

from starlette.responses import FileResponse, Response

from release.localhub.cards import check_readme
from release.localhub.context import Call
from release.localhub.errors import bad_request, entry_not_found
from release.localhub.gitrepo import CommitData, TreeEntry
from release.localhub.responses import json_response, paginated
from release.localhub.storage import FileInfo, Listing, RepoHandle
from release.localhub.timestamps import iso_z

_HISTORY_LIMIT = 1000  # commits walked to find an entry's lastCommit


def _file_entry(file: FileInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "file",
        "oid": file.blob_sha,
        "size": file.size,
        "path": file.path,
    }
    if file.lfs:
        entry["lfs"] = {"oid": file.lfs.oid, "size": file.size, "pointerSize": file.pointer_size}
    return entry


def _dir_entry(entry: TreeEntry) -> dict[str, Any]:
    return {"type": "directory", "oid": entry.sha, "size": 0, "path": entry.path}


def _object_ids(listing: Listing) -> dict[str, str]:
    ids = {f.path: f.blob_sha for f in listing.files}
    ids.update({d.path: d.sha for d in listing.dirs})
    return ids


def _last_commits(call: Call, handle: RepoHandle, sha: str, paths: list[str]) -> dict[str, Any]:
    """For each path, the newest commit that changed it (first-parent walk, bounded)."""
    storage = call.hub.storage
    found: dict[str, Any] = {}
    pending = set(paths)
    history = storage.history(handle, sha)[:_HISTORY_LIMIT]
    for index, commit in enumerate(history):
        ids = _object_ids(storage.listing(handle, commit.sha))
        parent_ids = (
            _object_ids(storage.listing(handle, history[index + 1].sha))
            if index + 1 < len(history)
            else {}
        )
        for path in list(pending):
            if ids.get(path) != parent_ids.get(path):
                found[path] = {
                    "id": commit.sha,
                    "title": _title(commit),
                    "date": iso_z(commit.timestamp),
                }
                pending.discard(path)
        if not pending:
            break
    return found


def _with_expand(
    call: Call, handle: RepoHandle, sha: str, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    last = _last_commits(call, handle, sha, [e["path"] for e in entries])
    # No `securityFileStatus`: the client requires its scan sub-objects, and nothing is scanned.
    for entry in entries:
        if entry["path"] in last:
            entry["lastCommit"] = last[entry["path"]]
    return entries


def list_tree(call: Call) -> Response:
    handle = call.repo()
    sha = call.hub.storage.resolve(handle, call.params["revision"])
    listing = call.hub.storage.listing(handle, sha)
    folder = call.params.get("path", "").strip("/")
    if folder and not any(d.path == folder for d in listing.dirs):
        raise entry_not_found(folder, sha)
    recursive = call.flag("recursive")
    prefix = f"{folder}/" if folder else ""

    def wanted(path: str) -> bool:
        return path.startswith(prefix) and (recursive or "/" not in path[len(prefix) :])

    entries = [_dir_entry(d) for d in listing.dirs if wanted(d.path)]
    entries += [_file_entry(f) for f in listing.files if wanted(f.path)]
    entries.sort(key=lambda e: e["path"])
    if call.flag("expand"):
        page_size = min(50, call.hub.settings.page_size)
        return paginated(
            call, entries, page_size, lambda e: _with_expand(call, handle, sha, [e])[0]
        )
    return paginated(call, entries, call.hub.settings.page_size)


def paths_info(call: Call) -> Response:
    handle = call.repo()
    sha = call.hub.storage.resolve(handle, call.params["revision"])
    form = parse_qs(call.body.decode(), keep_blank_values=True)
    if "application/json" in call.headers.get("content-type", ""):
        raw = call.json()
        form = {"paths": list(raw.get("paths", [])), "expand": [str(raw.get("expand", False))]}
    listing = call.hub.storage.listing(handle, sha)
    dirs = {d.path: d for d in listing.dirs}
    entries = []
    for path in dict.fromkeys(form.get("paths", [])):
        path = path.strip("/")
        if path in listing.by_path:
            entries.append(_file_entry(listing.by_path[path]))
        elif path in dirs:
            entries.append(_dir_entry(dirs[path]))
    if form.get("expand", ["false"])[0].lower() == "true":
        entries = _with_expand(call, handle, sha, entries)
    return json_response(entries)


def _title(commit: CommitData) -> str:
    return commit.message.split("\n", 1)[0]


def _author(commit: CommitData) -> str:
    return commit.author.split(" <", 1)[0]


def list_commits(call: Call) -> Response:
    handle = call.repo()
    sha = call.hub.storage.resolve(handle, call.params["revision"])
    history = call.hub.storage.history(handle, sha)
    formatted = "formatted" in call.query.getlist("expand[]")

    def render(commit: CommitData) -> dict[str, Any]:
        title = _title(commit)
        body = commit.message.split("\n", 1)[1].lstrip("\n") if "\n" in commit.message else ""
        item: dict[str, Any] = {
            "id": commit.sha,
            "title": title,
            "message": body,
            "authors": [{"user": _author(commit)}],
            "date": iso_z(commit.timestamp),
        }
        if formatted:
            item["formatted"] = {"title": html.escape(title), "message": html.escape(body)}
        return item

    return paginated(call, history, call.hub.settings.page_size, render)


def resolve(call: Call) -> Response:
    handle = call.repo()
    meta = handle.meta
    call.hub.auth.check_download(
        call.principal, handle.repo_type, handle.repo_id, meta.gated, meta.granted
    )
    sha = call.hub.storage.resolve(handle, call.params["revision"])
    path = call.params["path"]
    file = call.hub.storage.listing(handle, sha).by_path.get(path)
    if file is None:
        raise entry_not_found(path, sha)
    etag = f'"{file.lfs.oid if file.lfs else file.blob_sha}"'
    headers = {
        "X-Repo-Commit": sha,
        "X-Linked-Etag": etag,
        "ETag": etag,
        "X-Linked-Size": str(file.size),
        "Accept-Ranges": "bytes",
    }
    if file.lfs:
        # Streamed from the LFS store; FileResponse also answers HEAD and Range requests.
        return FileResponse(
            call.hub.storage.lfs.path(file.lfs.oid),
            headers=headers,
            media_type="application/octet-stream",
        )
    data = handle.git.read_blob(file.blob_sha)
    return _bytes_response(call, data, headers)


def _bytes_response(call: Call, data: bytes, headers: dict[str, str]) -> Response:
    status, body = 200, data
    wanted = call.headers.get("range", "")
    if wanted.startswith("bytes=") and "," not in wanted and data:
        first, _, last = wanted[6:].partition("-")
        start = int(first) if first.isdigit() else 0
        end = min(int(last), len(data) - 1) if last.isdigit() else len(data) - 1
        if start <= end:
            status, body = 206, data[start : end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
    headers["Content-Length"] = str(len(body))
    if call.method == "HEAD":
        return Response(b"", status, headers, media_type="application/octet-stream")
    return Response(body, status, headers, media_type="application/octet-stream")


def validate_yaml(call: Call) -> Response:
    """The client calls this before any upload of a README.md; it raises ValueError("Invalid
    metadata in README.md.\n- <message>...") from `errors` on a 400 and warns on `warnings`."""
    content = call.json().get("content")
    if not isinstance(content, str):
        raise bad_request("Missing 'content'")
    errors, warnings = check_readme(content)
    body = {
        "errors": [{"message": m} for m in errors],
        "warnings": [{"message": m} for m in warnings],
    }
    if errors:
        return json_response({"error": "Invalid metadata in README.md", **body}, 400)
    return json_response(body)

"""Write path for content: preupload (LFS or regular?), the NDJSON commit, super-squash, xet."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.responses import Response

from release.localhub.api_repos import repo_url
from release.localhub.cards import check_readme
from release.localhub.context import Call
from release.localhub.errors import HubError, bad_request, revision_not_found
from release.localhub.gitattributes import LfsRules, rules_for
from release.localhub.gitignore import IgnoreRules, ignore_rules
from release.localhub.lfs_store import is_sha256
from release.localhub.names import check_path
from release.localhub.responses import json_response
from release.localhub.storage import AddFile, AddLfsFile, DeletePath, Listing, Operation, RepoHandle

# The Hub refuses regular (non-LFS) files above 10 MiB; larger content must go through LFS.
MAX_REGULAR_SIZE = 10 * 1024 * 1024

# What the Hub answers (400) to a commit whose inline ("regular") files it refuses. The texts are
# the Hub's own, as its users quote them: on `hf upload` / create_commit ("Bad request for commit
# endpoint:" is the client's prefix for a 400) a small binary .ply sent inline because its first
# 512 bytes looked like text got "Your push was rejected because it contains binary files.
# Please use https://huggingface.co/docs/hub/xet to store binary files. Offending files: ...";
# the size text is the Hub's pre-receive refusal of a git push ("... files larger than 10 MiB.
# Please use https://git-lfs.github.com/ to store large files."), the same check on the same
# repos. Offending files are listed as "  - path (ref: refs/heads/main)".
_BINARY_REFUSAL = (
    "Your push was rejected because it contains binary files.\n"
    "Please use https://huggingface.co/docs/hub/xet to store binary files."
)
_SIZE_REFUSAL = (
    "Your push was rejected because it contains files larger than 10 MiB.\n"
    "Please use https://git-lfs.github.com/ to store large files."
)
# No quoted Hub text was found for a text file sent inline at a path its `.gitattributes` routes
# to LFS (the client never does this on its own: preupload answers "lfs" for such a path). The
# local hub refuses it in the same form, so that a client-side guess of "regular" (release's
# `preset_regular_uploads`) that the Hub would answer "lfs" fails every test loudly instead of
# storing a regular blob where the repo's rules expect an LFS pointer.
_LFS_PATH_REFUSAL = (
    "Your push was rejected because it contains files that .gitattributes stores in LFS, "
    "sent as regular files.\nUpload them through LFS (preupload answers uploadMode \"lfs\")."
)


def _branch_head(call: Call, handle: RepoHandle) -> str:
    if call.flag("create_pr"):
        raise bad_request("Pull requests are not supported by the local hub")
    branch = call.params["revision"]
    head = handle.branches.get(branch)
    if head is None:
        raise revision_not_found(branch)
    return head


def _lfs_rules(call: Call, handle: RepoHandle, listing: Listing) -> LfsRules:
    attributes = listing.by_path.get(".gitattributes")
    if attributes is None:
        return LfsRules([])
    key = ("gitattributes", attributes.blob_sha)
    text = call.hub.cache.get(key)
    if text is None:
        text = handle.git.read_blob(attributes.blob_sha).decode("utf-8", "replace")
        call.hub.cache[key] = text
    return rules_for(text)


def _ignore_rules(
    call: Call, handle: RepoHandle, listing: Listing, sent: Any
) -> IgnoreRules | None:
    """The `.gitignore` the client sent (one in the commit), else the branch's, else none."""
    if isinstance(sent, str):
        return ignore_rules(sent)
    existing = listing.by_path.get(".gitignore")
    if existing is None:
        return None
    return ignore_rules(handle.git.read_blob(existing.blob_sha).decode("utf-8", "replace"))


def _upload_mode(call: Call, rules: LfsRules, path: str, size: int, sample: bytes) -> str:
    if call.hub.settings.regular_only or size == 0:
        return "regular"
    if rules.is_lfs(path) or b"\x00" in sample or size >= MAX_REGULAR_SIZE:
        return "lfs"
    return "regular"


def preupload(call: Call) -> Response:
    handle = call.writable_repo()
    head = _branch_head(call, handle)
    listing = call.hub.storage.listing(handle, head)
    rules = _lfs_rules(call, handle, listing)
    body = call.json()
    ignore = _ignore_rules(call, handle, listing, body.get("gitIgnore"))
    answers = []
    for item in body.get("files", []):
        path = check_path(str(item.get("path", "")))
        try:
            sample = base64.b64decode(item.get("sample", ""))
        except (binascii.Error, ValueError):
            raise bad_request(f"Invalid sample for {path!r}") from None
        answer: dict[str, Any] = {
            "path": path,
            "uploadMode": _upload_mode(call, rules, path, int(item.get("size", 0)), sample),
            "shouldIgnore": ignore is not None and ignore.ignores(path),
        }
        existing = listing.by_path.get(path)
        if existing is not None:
            # The client compares this with its sha256 (lfs) or git blob sha1 (regular) to skip
            # unchanged files, so answer in the form the file is stored in.
            answer["oid"] = existing.lfs.oid if existing.lfs else existing.blob_sha
        answers.append(answer)
    return json_response({"files": answers, "commitOid": head})


def _parse_operations(call: Call) -> tuple[dict[str, Any], list[Operation]]:
    header: dict[str, Any] | None = None
    operations: list[Operation] = []
    for number, line in enumerate(call.body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            key, value = record["key"], record["value"]
        except (ValueError, KeyError, TypeError):
            raise bad_request(f"Invalid NDJSON line {number}") from None
        if key == "header":
            header = value
        elif key == "file":
            operations.append(AddFile(check_path(value["path"]), _decode_content(call, value)))
        elif key == "lfsFile":
            oid = str(value.get("oid", ""))
            if value.get("algo", "sha256") != "sha256" or not is_sha256(oid):
                raise bad_request(f"Invalid LFS oid for {value.get('path')!r}")
            operations.append(AddLfsFile(check_path(value["path"]), oid, value.get("size")))
        elif key == "deletedFile":
            operations.append(DeletePath(check_path(value["path"]), folder=False))
        elif key == "deletedFolder":
            operations.append(DeletePath(value["path"], folder=True))
        else:
            raise bad_request(f"Unknown operation key {key!r} on line {number}")
    if header is None or not str(header.get("summary", "")).strip():
        raise bad_request("The commit header with a non-empty summary is required")
    for op in operations:
        # Checked on the commit too, not only in validate-yaml: a client that skips that call
        # still cannot store metadata the Hub refuses.
        if isinstance(op, AddFile) and op.path == "README.md":
            errors, _ = check_readme(op.data.decode("utf-8", "replace"))
            if errors:
                raise bad_request("Invalid metadata in README.md.\n" + _bullets(errors))
    return header, operations


def _bullets(messages: list[str]) -> str:
    return "\n".join(f"- {m}" for m in messages)


def _decode_content(call: Call, value: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(value.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"Invalid base64 content for {value.get('path')!r}") from None


def _refuse_inline(call: Call, handle: RepoHandle, head: str, operations: list[Operation]) -> None:
    """Refuse the commit if an inline ("regular") file is one the Hub stores only in LFS: above
    10 MiB, binary (a NUL byte anywhere: the Hub checks the content, not only the sample that
    preupload saw), or at a path `.gitattributes` routes to LFS (the commit's own if it adds
    one, else the branch's). Empty files are exempt: the client sends them inline whatever
    preupload said. `--regular-only` stores everything inline, as documented."""
    inline = [op for op in operations if isinstance(op, AddFile) and op.data]
    if call.hub.settings.regular_only or not inline:
        return
    ref = f"refs/heads/{call.params['revision']}"
    sent = next((op for op in inline if op.path == ".gitattributes"), None)
    rules = rules_for(sent.data.decode("utf-8", "replace")) if sent is not None \
        else _lfs_rules(call, handle, call.hub.storage.listing(handle, head))
    for refusal, offending in (
        (_SIZE_REFUSAL, [op.path for op in inline if len(op.data) > MAX_REGULAR_SIZE]),
        (_BINARY_REFUSAL, [op.path for op in inline if b"\x00" in op.data]),
        (_LFS_PATH_REFUSAL, [op.path for op in inline if rules.is_lfs(op.path)]),
    ):
        if offending:
            listed = "\n".join(f"  - {path} (ref: {ref})" for path in offending)
            raise bad_request(f"{refusal}\nOffending files:\n{listed}")


def commit(call: Call) -> Response:
    handle = call.writable_repo()
    head = _branch_head(call, handle)
    header, operations = _parse_operations(call)
    _refuse_inline(call, handle, head, operations)
    message = str(header["summary"]).strip()
    if header.get("description"):
        message += "\n\n" + str(header["description"])
    parent = header.get("parentCommit")
    if parent is not None and not (isinstance(parent, str) and 5 <= len(parent) <= 40):
        raise bad_request("Invalid parentCommit")
    sha = call.hub.storage.commit(
        handle,
        call.params["revision"],
        operations,
        message,
        call.author(),
        parent,
        private_quota=call.hub.settings.private_storage_quota,
    )
    return json_response(
        {
            "success": True,
            "commitOid": sha,
            "commitUrl": f"{repo_url(call, handle.repo_type, handle.repo_id)}/commit/{sha}",
            "pullRequestUrl": None,
        }
    )


def super_squash(call: Call) -> Response:
    handle = call.writable_repo()
    message = call.json().get("message") or "Super-squash branch using huggingface_hub"
    sha = call.hub.storage.super_squash(handle, call.params["revision"], message, call.author())
    return json_response({"commitOid": sha})


def xet_write_token(call: Call) -> Response:
    raise HubError(
        501,
        "Xet storage is not available on the local hub: set HF_HUB_DISABLE_XET=1 "
        "(or huggingface_hub.constants.HF_HUB_DISABLE_XET = True) to upload through LFS",
    )

"""Repo endpoints: whoami, create/delete, info, list, settings, refs, branches, tags, access."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from release.localhub.context import Call
from release.localhub.errors import (
    HubError,
    bad_request,
    forbidden,
    repo_not_found,
    unauthenticated,
)
from release.localhub.names import check_ref_name, check_repo_id
from release.localhub.responses import json_response, paginated
from release.localhub.storage import RepoHandle
from release.localhub.views import FULL_LIST_KEYS, LIST_KEYS, RepoView, check_expand, info_keys

_WEB_PREFIX = {"model": "", "dataset": "datasets/"}
_SORT_KEYS = {"lastModified", "createdAt", "downloads", "likes", "trendingScore", "id"}


def repo_url(call: Call, repo_type: str, repo_id: str) -> str:
    return f"{call.base_url}/{_WEB_PREFIX[repo_type]}{repo_id}"


def whoami(call: Call) -> Response:
    user = call.principal.user
    if user is None:
        raise unauthenticated("Invalid credentials in Authorization header")
    auth = call.hub.auth
    orgs = auth.orgs_of(user, call.hub.storage.namespaces())
    return json_response(
        {
            # Not a Hub field: in open mode every namespace is writable, which `orgs` cannot
            # say before a namespace exists (release.hub.access reads it).
            **({"openNamespaces": True} if auth.open_namespaces else {}),
            "type": "user",
            "id": user,
            "name": user,
            "fullname": user,
            "email": None,
            "emailVerified": False,
            "isPro": False,
            "orgs": [
                {"type": "org", "name": org, "fullname": org,
                 "roleInOrg": auth.role_in(user, org)}
                for org in orgs
            ],
            "auth": {
                "type": "access_token",
                "accessToken": {
                    "displayName": call.principal.token_name,
                    "role": call.principal.role,
                },
            },
        }
    )


def _target(call: Call, body: dict[str, Any]) -> tuple[str, str]:
    kind = body.get("type") or "model"
    if kind not in _WEB_PREFIX:
        raise bad_request(f"Repo type {kind!r} is not supported by the local hub")
    if call.principal.user is None:
        raise unauthenticated()
    namespace = body.get("organization") or call.principal.user
    name = body.get("name")
    if not isinstance(name, str):
        raise bad_request("Missing repo name")
    return kind, check_repo_id(namespace, name)


def create_repo(call: Call) -> Response:
    body = call.json()
    kind, repo_id = _target(call, body)
    namespace = repo_id.split("/")[0]
    if not call.hub.auth.namespace_exists(namespace):
        raise forbidden(
            f"You don't have the rights to create a repo under the namespace {namespace}"
        )
    call.hub.auth.check_write(call.principal, namespace)
    private = body.get("private") is True or body.get("visibility") in ("private", "protected")
    url = repo_url(call, kind, repo_id)
    try:
        handle = call.hub.storage.create(kind, repo_id, private, call.author())
    except HubError as err:
        if err.status == 409:  # create_repo(exist_ok=True) reads `url` from this body
            raise HubError(
                409, f"You already created this {kind} repo", extra={"url": url}
            ) from None
        raise
    return json_response({"url": url, "name": repo_id, "id": handle.meta.id})


def delete_repo(call: Call) -> Response:
    kind, repo_id = _target(call, call.json())
    handle = call.hub.storage.get(kind, repo_id)
    if handle is None:
        raise repo_not_found(repo_id, call.principal.anonymous)
    call.hub.auth.check_read(call.principal, repo_id, handle.meta.private)
    call.hub.auth.check_write(call.principal, handle.namespace)
    call.hub.storage.delete(handle)
    return json_response({})


def move_repo(call: Call) -> Response:
    """`POST /api/repos/move` {fromRepo, toRepo, type}: rename or transfer; reads of the old id
    are redirected afterwards (huggingface_hub's test_move_repo_normal_usage and
    test_move_repo_target_already_exists give the 409 text)."""
    body = call.json()
    kind = body.get("type") or "model"
    if kind not in _WEB_PREFIX:
        raise bad_request(f"Repo type {kind!r} is not supported by the local hub")
    if call.principal.user is None:
        raise unauthenticated()
    ids = []
    for key in ("fromRepo", "toRepo"):
        namespace, _, name = str(body.get(key) or "").partition("/")
        ids.append(check_repo_id(namespace, name))
    source, target = ids
    handle = call.hub.storage.get(kind, source)
    if handle is None:
        raise repo_not_found(source, call.principal.anonymous)
    call.hub.auth.check_read(call.principal, handle.repo_id, handle.meta.private)
    call.hub.auth.check_write(call.principal, handle.namespace)
    new_namespace = target.split("/")[0]
    if not call.hub.auth.namespace_exists(new_namespace):
        raise forbidden(f"You don't have the rights to create a repo under {new_namespace}")
    call.hub.auth.check_write(call.principal, new_namespace)
    moved = call.hub.storage.move(handle, target)
    # Collections hold repos, not names: their items follow the rename.
    call.hub.collections.rename_item(kind, handle.repo_id, moved.repo_id)
    return json_response({"url": repo_url(call, kind, moved.repo_id)})


def auth_check(call: Call) -> Response:
    """`GET {R}/auth-check[/write]`: 200 when the caller may read (gated files included) or
    write the repo; RepoNotFound, GatedRepo or 403 otherwise (test_auth_check_gated_repo)."""
    handle = call.repo()
    if call.raw_path.endswith("/write"):
        call.hub.auth.check_write(call.principal, handle.namespace)
    else:
        meta = handle.meta
        call.hub.auth.check_download(
            call.principal, handle.repo_type, handle.repo_id, meta.gated, meta.granted
        )
    return json_response({})


def repo_info(call: Call) -> Response:
    handle = call.repo()
    revision = call.params.get("revision")
    sha = call.hub.storage.resolve(handle, revision or "main")
    expand = call.query.getlist("expand")
    blobs = call.flag("blobs")
    keys = info_keys(expand)
    # Rendered bodies depend only on immutable things (commit sha) and the repo's meta version.
    cache_key = (
        "info",
        handle.repo_type,
        handle.repo_id,
        handle.meta.id,
        handle.version,
        sha,
        blobs,
        keys,
    )
    body = call.hub.cache.get(cache_key)
    if body is None:
        payload = RepoView(call.hub, handle, sha, blobs).render(keys)
        body = json.dumps(payload, separators=(",", ":")).encode()
        if len(call.hub.cache) > 10_000:
            call.hub.cache.clear()
        call.hub.cache[cache_key] = body
    return Response(body, media_type="application/json")


def list_repos(call: Call) -> Response:
    kind = call.repo_type
    author = call.query.get("author")
    search = (call.query.get("search") or "").lower()
    gated = call.query.get("gated")
    handles = [
        h
        for h in call.hub.storage.all(kind)
        if (not author or h.namespace == author)
        and (not search or search in h.repo_id.lower())
        and (not h.meta.private or call.hub.auth.is_member(call.principal, h.namespace))
        and (gated is None or bool(h.meta.gated) == (gated == "true"))
    ]
    tag_filters, pipeline = call.query.getlist("filter"), call.query.get("pipeline_tag")
    if tag_filters or pipeline:
        handles = [h for h in handles if _matches_tags(call, h, tag_filters, pipeline)]
    expand = check_expand(call.query.getlist("expand"))
    if expand:
        keys: tuple[str, ...] = ("_id", "id", *expand)
    else:
        keys = LIST_KEYS + (FULL_LIST_KEYS if call.flag("full") else ())
        keys += ("cardData",) if call.flag("cardData") else ()
    sort = call.query.get("sort")
    handles = _sorted(call, handles, sort)
    page_size = call.hub.settings.page_size
    if call.query.get("limit", "").isdigit():
        page_size = max(1, min(page_size, int(call.query["limit"])))

    def render(handle: RepoHandle) -> dict[str, Any]:
        sha = handle.branches.get("main")
        if sha is None:
            return {"_id": handle.meta.id, "id": handle.repo_id}
        return RepoView(call.hub, handle, sha).render(keys)

    return paginated(call, handles, page_size, render)


def _matches_tags(
    call: Call, handle: RepoHandle, tag_filters: list[str], pipeline: str | None
) -> bool:
    """`filter=` values must all be tags of the repo (from its card), as on the Hub."""
    sha = handle.branches.get("main")
    if sha is None:
        return False
    view = RepoView(call.hub, handle, sha).render(("tags", "pipeline_tag"))
    if pipeline and view.get("pipeline_tag") != pipeline:
        return False
    return all(tag in view["tags"] for tag in tag_filters)


def _sorted(call: Call, handles: list[RepoHandle], sort: str | None) -> list[RepoHandle]:
    if sort and sort not in _SORT_KEYS:
        raise bad_request(f"Invalid sort: {sort}")
    if sort == "createdAt":
        return sorted(handles, key=lambda h: h.meta.created_at, reverse=True)
    if sort == "lastModified":

        def modified(h: RepoHandle) -> int:
            main = h.branches.get("main")
            return call.hub.storage.commit_data(h, main).timestamp if main else 0

        return sorted(handles, key=modified, reverse=True)
    # downloads/likes/trending are all zero locally: a stable order by id keeps pages stable.
    return sorted(handles, key=lambda h: h.repo_id)


def update_settings(call: Call) -> Response:
    handle = call.writable_repo()
    body = call.json()
    changes: dict[str, Any] = {}
    if "private" in body:
        changes["private"] = bool(body["private"])
    if "visibility" in body:
        if body["visibility"] not in ("public", "private", "protected"):
            raise bad_request(f"Invalid visibility: {body['visibility']!r}")
        changes["private"] = body["visibility"] != "public"
    if "gated" in body:
        if body["gated"] not in (False, "auto", "manual"):
            raise bad_request(f"Invalid gated value: {body['gated']!r}")
        changes["gated"] = body["gated"]
    if not changes:
        raise bad_request("Nothing to update")
    call.hub.storage.set_meta(handle, **changes)
    return json_response({})


def list_refs(call: Call) -> Response:
    handle = call.repo()
    branches, tags = handle.branches, handle.tags
    payload: dict[str, Any] = {
        "branches": [
            {"name": n, "ref": f"refs/heads/{n}", "targetCommit": s}
            for n, s in sorted(branches.items())
        ],
        "converts": [],
        "tags": [
            {"name": n, "ref": f"refs/tags/{n}", "targetCommit": s} for n, s in sorted(tags.items())
        ],
    }
    if call.flag("include_prs"):
        payload["pullRequests"] = []
    return json_response(payload)


def create_branch(call: Call) -> Response:
    handle = call.writable_repo()
    branch = check_ref_name(call.params["revision"], "branch")
    start = call.json().get("startingPoint") or "main"
    target = call.hub.storage.resolve(handle, start)
    call.hub.storage.create_branch(handle, branch, target)
    return json_response({})


def delete_branch(call: Call) -> Response:
    handle = call.writable_repo()
    branch = call.params["revision"]
    if branch == "main":
        # The Hub's text (huggingface_hub's test_delete_branch_on_protected_branch_fails).
        raise forbidden("Cannot delete refs/heads/main")
    call.hub.storage.delete_branch(handle, branch)
    return json_response({})


def create_tag(call: Call) -> Response:
    handle = call.writable_repo()
    body = call.json()
    # The revision first: the Hub answers RevisionNotFound for a missing revision even when the
    # tag name is invalid too (huggingface_hub's test_create_tag_on_missing_revision).
    target = call.hub.storage.resolve(handle, call.params["revision"])
    tag = check_ref_name(str(body.get("tag", "")), "tag")
    call.hub.storage.create_tag(handle, tag, target, body.get("message"), call.author())
    return json_response({})


def delete_tag(call: Call) -> Response:
    handle = call.writable_repo()
    call.hub.storage.delete_tag(handle, call.params["revision"])
    return json_response({})


def grant_access(call: Call) -> Response:
    handle = call.writable_repo()
    user = call.json().get("user")
    if not handle.meta.gated:
        raise bad_request("This repository is not gated")
    if not isinstance(user, str) or not call.hub.auth.user_exists(user):
        raise HubError(404, f"User {user!r} not found")
    if user in handle.meta.granted:
        raise bad_request(f"User {user} already has access to this repository")
    call.hub.storage.set_meta(handle, granted=[*handle.meta.granted, user])
    return json_response({"status": "accepted"})

"""The route table, matched against the raw (still percent-encoded) request path.

Revisions arrive as `quote(rev, safe="")`, so `release/v1` is one segment `release%2Fv1`; matching
the raw path and decoding each captured segment afterwards keeps such names intact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from release.localhub import api_collections, api_commit, api_files, api_lfs, api_repos


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    endpoint: str  # stable snake_case name, after the huggingface_hub method where one exists
    write: bool  # counted as a state-changing request in the stats
    handler: Callable[..., Any]
    streaming: bool = False  # handler(call, request) is async and reads the body itself
    fixed: dict[str, str] = field(default_factory=dict)  # params implied by the route
    regex: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(_compile(self.pattern)))


def _compile(pattern: str) -> str:
    out, pos = ["^"], 0
    for match in re.finditer(r"\{(\w+)(\*?)\}", pattern):
        out.append(re.escape(pattern[pos : match.start()]))
        name, rest = match.group(1), match.group(2)
        if name == "type":
            out.append("(?P<type>models|datasets|spaces)")
        else:
            out.append(f"(?P<{name}>.+)" if rest else f"(?P<{name}>[^/]+?)")
        pos = match.end()
    out.append(re.escape(pattern[pos:]) + "$")
    return "".join(out)


_R = "/api/{type}/{namespace}/{name}"


def _table() -> list[Route]:
    routes = [
        Route("GET", "/api/whoami-v2", "whoami", False, api_repos.whoami),
        Route("POST", "/api/repos/create", "create_repo", True, api_repos.create_repo),
        Route("DELETE", "/api/repos/delete", "delete_repo", True, api_repos.delete_repo),
        Route("POST", "/api/repos/move", "move_repo", True, api_repos.move_repo),
        Route("POST", "/api/validate-yaml", "validate_yaml", False, api_files.validate_yaml),
        Route("PUT", "/_lfs/upload/{oid}", "lfs_upload", True, api_lfs.upload, streaming=True),
        Route("POST", "/_lfs/verify", "lfs_verify", False, api_lfs.verify),
        Route("POST", "/api/collections", "collections_create", True, api_collections.create),
        Route("GET", "/api/collections", "collections_list", False, api_collections.list_all),
    ]
    for kind in ("model", "dataset"):
        fixed = {"type": f"{kind}s"}
        routes += [
            Route(
                "GET", f"/api/{kind}s", f"list_{kind}s", False, api_repos.list_repos, fixed=fixed
            ),
            Route(
                "GET",
                f"/api/{kind}s/{{namespace}}/{{name}}",
                f"{kind}_info",
                False,
                api_repos.repo_info,
                fixed=fixed,
            ),
            Route(
                "GET",
                f"/api/{kind}s/{{namespace}}/{{name}}/revision/{{revision}}",
                f"{kind}_info",
                False,
                api_repos.repo_info,
                fixed=fixed,
            ),
        ]
    routes += [
        Route("PUT", f"{_R}/settings", "update_repo_settings", True, api_repos.update_settings),
        Route("GET", f"{_R}/refs", "list_repo_refs", False, api_repos.list_refs),
        Route("GET", f"{_R}/auth-check", "auth_check", False, api_repos.auth_check),
        Route("GET", f"{_R}/auth-check/write", "auth_check", False, api_repos.auth_check),
        Route("POST", f"{_R}/branch/{{revision}}", "create_branch", True, api_repos.create_branch),
        Route(
            "DELETE", f"{_R}/branch/{{revision}}", "delete_branch", True, api_repos.delete_branch
        ),
        Route("POST", f"{_R}/tag/{{revision}}", "create_tag", True, api_repos.create_tag),
        Route("DELETE", f"{_R}/tag/{{revision}}", "delete_tag", True, api_repos.delete_tag),
        Route(
            "POST", f"{_R}/user-access-request/grant", "grant_access", True, api_repos.grant_access
        ),
        Route("POST", f"{_R}/preupload/{{revision}}", "preupload", False, api_commit.preupload),
        Route("POST", f"{_R}/commit/{{revision}}", "commit", True, api_commit.commit),
        Route(
            "POST",
            f"{_R}/super-squash/{{revision}}",
            "super_squash_history",
            True,
            api_commit.super_squash,
        ),
        Route(
            "GET",
            f"{_R}/xet-write-token/{{revision}}",
            "xet_write_token",
            False,
            api_commit.xet_write_token,
        ),
        Route("GET", f"{_R}/tree/{{revision}}", "list_repo_tree", False, api_files.list_tree),
        Route(
            "GET", f"{_R}/tree/{{revision}}/{{path*}}", "list_repo_tree", False, api_files.list_tree
        ),
        Route("POST", f"{_R}/paths-info/{{revision}}", "paths_info", False, api_files.paths_info),
        Route(
            "GET", f"{_R}/commits/{{revision}}", "list_repo_commits", False, api_files.list_commits
        ),
        Route(
            "POST",
            "/datasets/{namespace}/{name}.git/info/lfs/objects/batch",
            "lfs_batch",
            False,
            api_lfs.batch,
            fixed={"type": "datasets"},
        ),
        Route(
            "POST",
            "/{namespace}/{name}.git/info/lfs/objects/batch",
            "lfs_batch",
            False,
            api_lfs.batch,
        ),
    ]
    for method in ("GET", "HEAD"):
        routes += [
            Route(
                method,
                "/datasets/{namespace}/{name}/resolve/{revision}/{path*}",
                "resolve",
                False,
                api_files.resolve,
                fixed={"type": "datasets"},
            ),
            Route(
                method,
                "/{namespace}/{name}/resolve/{revision}/{path*}",
                "resolve",
                False,
                api_files.resolve,
            ),
        ]
    slug = "/api/collections/{namespace}/{slug}"
    routes += [
        Route("GET", slug, "collections_get", False, api_collections.get),
        Route("PATCH", slug, "collections_update", True, api_collections.update),
        Route("DELETE", slug, "collections_delete", True, api_collections.delete),
        Route("POST", f"{slug}/items", "collections_add_item", True, api_collections.add_item),
        Route(
            "PATCH",
            f"{slug}/items/{{item}}",
            "collections_update_item",
            True,
            api_collections.update_item,
        ),
        Route(
            "DELETE",
            f"{slug}/items/{{item}}",
            "collections_delete_item",
            True,
            api_collections.delete_item,
        ),
    ]
    return routes


ROUTES = _table()


def match(method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    """The first route for this method and raw path, with its captured segments decoded."""
    for route in ROUTES:
        if route.method != method:
            continue
        found = route.regex.match(raw_path)
        if found:
            params = {k: unquote(v) for k, v in found.groupdict().items()}
            return route, {**params, **route.fixed}
    return None

"""Can this token write where a plan writes? Decided from one `whoami`, before the first write.

Without this check a read-only token, or a namespace the token cannot write to, reaches apply
and every write is refused by the Hub one by one (after the repos before it were created).
`whoami-v2` tells enough to refuse up front (hub-api.md section 3, huggingface_hub `_login.py`
and `_oauth.py` read the same fields):

* `name`: the user's own namespace;
* `orgs[].name` / `orgs[].roleInOrg`: the orgs and the role in each (`admin`, `write`,
  `contributor` can create repos; `read` cannot);
* `auth.accessToken.role`: `read`, `write` or `fineGrained`; a fine-grained token lists
  `auth.accessToken.fineGrained.scoped[]` = `{entity: {type, name}, permissions: [...]}`, where
  `repo.write` is the permission to create and write repos.

Anything this module does not recognise (another auth type, a role it does not know) is let
through: the Hub stays the judge, and a wrong refusal would block a valid release. The local
hub in open mode (the demo's) says `openNamespaces: true`: its tokens may write anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

WRITING_ORG_ROLES = frozenset({"admin", "write", "contributor"})


def write_problems(whoami: Mapping[str, Any], namespaces: Iterable[str]) -> list[str]:
    """Why the token `whoami` describes cannot write to each of `namespaces` ([] if it can)."""
    namespaces = sorted(set(namespaces))
    if not namespaces:
        return []
    auth = whoami.get("auth") or {}
    if auth.get("type", "access_token") != "access_token":
        return []  # OAuth and others: orgs may list only what the app was granted
    token = auth.get("accessToken") or {}
    role = token.get("role")
    name = str(token.get("displayName") or "this token")
    if role == "read":
        return [f"the token '{name}' is read-only (whoami: role read), and the plan writes to "
                f"{', '.join(repr(ns) for ns in namespaces)}"]
    if whoami.get("openNamespaces") is True:
        return []
    user = str(whoami.get("name") or "")
    orgs = {str(org.get("name", "")).lower(): org.get("roleInOrg")
            for org in whoami.get("orgs") or [] if isinstance(org, Mapping)}
    problems = []
    for namespace in namespaces:
        problem = _namespace_problem(namespace, user, orgs)
        if problem is None and role == "fineGrained":
            problem = _scope_problem(namespace, token.get("fineGrained") or {}, name)
        if problem is not None:
            problems.append(problem)
    return problems


def _namespace_problem(namespace: str, user: str, orgs: Mapping[str, Any]) -> str | None:
    key = namespace.lower()  # the Hub's namespaces are case-insensitive
    if key == user.lower():
        return None
    if key not in orgs:
        listed = ", ".join(sorted(orgs)) or "none"
        return (f"'{namespace}' is neither the token's user '{user}' nor an org it belongs to "
                f"(its orgs: {listed})")
    role = orgs[key]
    if role is None or role in WRITING_ORG_ROLES:
        return None
    return f"the token's user '{user}' has the role '{role}' in '{namespace}', which cannot write"


def _scope_problem(namespace: str, fine_grained: Mapping[str, Any], name: str) -> str | None:
    key = namespace.lower()
    for scope in fine_grained.get("scoped") or []:
        entity = str((scope.get("entity") or {}).get("name", "")).lower()
        writes = "repo.write" in (scope.get("permissions") or [])
        # A scope on the namespace itself, or on repos inside it (enough for those repos).
        if writes and (entity == key or entity.startswith(key + "/")):
            return None
    return f"the fine-grained token '{name}' has no 'repo.write' permission on '{namespace}'"

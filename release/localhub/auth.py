"""Users, organisations and tokens, and the Hub's visibility and write rules built on them.

Two modes. Strict (an auth config is given): only listed tokens work, a user writes to their own
namespace and to orgs they belong to. Open (the default, for the embedded demo): one user
`local-user` with `DEFAULT_TOKEN` who owns every namespace, so orgs appear on first write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from release.localhub.errors import (
    INVALID_TOKEN_MESSAGE,
    HubError,
    forbidden,
    repo_not_found,
    unauthenticated,
)

DEFAULT_USER = "local-user"
DEFAULT_TOKEN = "hf_local_dev_token"


@dataclass(frozen=True)
class Token:
    value: str
    user: str
    role: str  # "read" or "write"
    name: str = "token"


@dataclass(frozen=True)
class Principal:
    """Who is calling: `user` is None for anonymous calls."""

    user: str | None
    role: str | None = None
    token_name: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.user is None


ANONYMOUS = Principal(None)


@dataclass
class AuthConfig:
    users: set[str] = field(default_factory=set)
    orgs: dict[str, set[str]] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    open_namespaces: bool = False
    # org -> member -> role in the org, as whoami's `roleInOrg` (default "admin"); a "read"
    # member sees the org's private repos but cannot write, as on the Hub.
    org_roles: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def default(cls) -> AuthConfig:
        token = Token(DEFAULT_TOKEN, DEFAULT_USER, "write", "local-dev")
        return cls({DEFAULT_USER}, {}, {DEFAULT_TOKEN: token}, open_namespaces=True)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AuthConfig:
        """From `{users: [name], orgs: [{name, members}], tokens: [{value, user, role, name?}]}`.

        A member is a user name, or `{name, role}` with the role in the org (`admin`, `write`,
        `contributor` or `read`; default `admin`).
        """
        users = {u if isinstance(u, str) else u["name"] for u in raw.get("users", [])}
        org_roles = {o["name"]: {m if isinstance(m, str) else m["name"]:
                                 "admin" if isinstance(m, str) else m.get("role", "admin")
                                 for m in o.get("members", [])} for o in raw.get("orgs", [])}
        orgs = {name: set(members) for name, members in org_roles.items()}
        tokens = {}
        for item in raw.get("tokens", []):
            role = item.get("role", "read")
            if role not in ("read", "write") or item["user"] not in users:
                raise ValueError(f"bad token entry for user {item.get('user')!r} (role {role!r})")
            tokens[item["value"]] = Token(
                item["value"], item["user"], role, item.get("name", "token")
            )
        unknown = {m for members in orgs.values() for m in members} - users
        if unknown:
            raise ValueError(f"org members are not users: {sorted(unknown)}")
        return cls(users, orgs, tokens, bool(raw.get("open_namespaces", False)), org_roles)

    @classmethod
    def load(cls, path: Path) -> AuthConfig:
        text = path.read_text()
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return cls.from_dict(raw or {})

    # identity -----------------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            return ANONYMOUS
        scheme, _, value = authorization.partition(" ")
        token = self.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise HubError(401, INVALID_TOKEN_MESSAGE)
        return Principal(token.user, token.role, token.name)

    def orgs_of(self, user: str, known_namespaces: set[str]) -> list[str]:
        if self.open_namespaces:
            return sorted(ns for ns in known_namespaces if ns != user)
        return sorted(org for org, members in self.orgs.items() if user in members)

    def is_member(self, principal: Principal, namespace: str) -> bool:
        """Owner of the namespace or member of the org: sees private repos and gated files."""
        if principal.user is None:
            return False
        if self.open_namespaces or namespace == principal.user:
            return True
        return principal.user in self.orgs.get(namespace, set())

    def namespace_exists(self, namespace: str) -> bool:
        return self.open_namespaces or namespace in self.users or namespace in self.orgs

    # rules --------------------------------------------------------------------------------------
    def check_read(self, principal: Principal, repo_id: str, private: bool) -> None:
        if private and not self.is_member(principal, repo_id.split("/")[0]):
            raise repo_not_found(repo_id, principal.anonymous)

    def check_write(self, principal: Principal, namespace: str) -> None:
        if principal.user is None:
            raise unauthenticated()
        if principal.role != "write":
            raise forbidden("You don't have the rights to write with a read-only token")
        if not self.is_member(principal, namespace) or self.role_in(principal.user,
                                                                    namespace) == "read":
            raise forbidden(f"You don't have the rights to write to the namespace {namespace}")

    def role_in(self, user: str, org: str) -> str:
        """The user's `roleInOrg` (admin unless the auth config says otherwise)."""
        return self.org_roles.get(org, {}).get(user, "admin")

    def check_download(
        self,
        principal: Principal,
        repo_type: str,
        repo_id: str,
        gated: bool | str,
        granted: list[str],
    ) -> None:
        """A gated repo's files are for members and granted users only (GatedRepo otherwise)."""
        if not gated or self.is_member(principal, repo_id.split("/")[0]):
            return
        if principal.user is not None and principal.user in granted:
            return
        if principal.anonymous:
            message = (
                f"Access to {repo_type} {repo_id} is restricted. You must have access to it and "
                "be authenticated to access it. Please log in."
            )
            raise HubError(401, message, "GatedRepo")
        # The Hub's text for a signed-in user without access (huggingface_hub's errors.py
        # GatedRepoError example and tests/test_file_download.py match it).
        message = (
            f"Access to {repo_type} {repo_id} is restricted and you are not in the authorized list"
        )
        raise HubError(403, message, "GatedRepo")

    def user_exists(self, user: str) -> bool:
        return self.open_namespaces or user in self.users

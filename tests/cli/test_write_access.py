"""Writes a check could have prevented: a read-only token, or a namespace the token cannot write
to, is refused before the first write, from one `whoami`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from errorkit import Newcomer

from release.hub.access import write_problems
from release.localhub import LocalHub

AUTH: dict[str, Any] = {
    "users": ["alice", "bob", "carol"],
    "orgs": [{"name": "acme", "members": ["alice", {"name": "carol", "role": "read"}]}],
    "tokens": [
        {"value": "hf_alice_w", "user": "alice", "role": "write", "name": "alice-write"},
        {"value": "hf_alice_r", "user": "alice", "role": "read", "name": "alice-read"},
        {"value": "hf_bob_w", "user": "bob", "role": "write", "name": "bob-write"},
        {"value": "hf_carol_w", "user": "carol", "role": "write", "name": "carol-write"},
    ],
}


@pytest.fixture
def strict_hub(tmp_path: Path) -> Any:
    with LocalHub(tmp_path / "strict-hub", auth=AUTH) as hub:
        yield hub


@pytest.mark.parametrize(("token", "problem"), [
    ("hf_alice_r", "the token 'alice-read' is read-only (whoami: role read), and the plan "
                   "writes to 'acme'"),
    ("hf_bob_w", "'acme' is neither the token's user 'bob' nor an org it belongs to (its "
                 "orgs: none)"),
    ("hf_carol_w", "the token's user 'carol' has the role 'read' in 'acme', which cannot write"),
])
def test_apply_refuses_a_token_that_cannot_write_before_the_first_write(
        release, strict_hub: LocalHub, monkeypatch: pytest.MonkeyPatch, token: str,
        problem: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LOCALHUB_TOKEN", token)
    args = (f"hub.endpoint={strict_hub.endpoint}", "hub.token_env=LOCALHUB_TOKEN")
    plan = release("plan", *args)  # planning only reads: a read token may plan
    assert plan.code == 0, plan.err
    release("apply", "--auto-approve", *args).check(
        "Error: the token (from $LOCALHUB_TOKEN) cannot write where this plan writes; nothing "
        f"was written:\n  - {problem}\nuse a token with write access there: 'hf auth login', "
        "or the variable hub.token_env names", hub=strict_hub, secrets=(token,))


def test_a_token_that_can_write_passes(release, strict_hub: LocalHub,
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LOCALHUB_TOKEN", "hf_alice_w")
    result = release("apply", "--auto-approve", f"hub.endpoint={strict_hub.endpoint}",
                     "hub.token_env=LOCALHUB_TOKEN")
    assert result.code == 0, result.err
    assert strict_hub.stats()["writes"] > 0


def test_a_saved_plan_is_checked_too(release, newcomer: Newcomer, strict_hub: LocalHub,
                                     monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    args = (f"hub.endpoint={strict_hub.endpoint}", "hub.token_env=LOCALHUB_TOKEN")
    monkeypatch.setenv("LOCALHUB_TOKEN", "hf_alice_r")
    assert release("plan", "-o", "plan.json", *args).code == 0
    release("apply", "plan.json", *args).check("is read-only (whoami: role read)",
                                               hub=strict_hub)


# The real Hub's whoami-v2 shapes (fields as huggingface_hub's _login.py / _oauth.py read them).
def _hub_whoami(role: str, orgs: list[dict[str, Any]], **token: Any) -> dict[str, Any]:
    return {"type": "user", "name": "alice", "orgs": orgs,
            "auth": {"type": "access_token",
                     "accessToken": {"displayName": "ci", "role": role, **token}}}


def test_hub_shapes_classic_tokens() -> None:
    orgs = [{"type": "org", "name": "AllenAI", "roleInOrg": "write"},
            {"type": "org", "name": "viewers", "roleInOrg": "read"},
            {"type": "org", "name": "helpers", "roleInOrg": "contributor"}]
    assert write_problems(_hub_whoami("write", orgs), ["allenai", "alice", "helpers"]) == []
    assert write_problems(_hub_whoami("write", orgs), ["viewers", "elsewhere"]) == [
        "'elsewhere' is neither the token's user 'alice' nor an org it belongs to (its orgs: "
        "allenai, helpers, viewers)",
        "the token's user 'alice' has the role 'read' in 'viewers', which cannot write"]
    assert write_problems(_hub_whoami("read", orgs), ["allenai"]) == [
        "the token 'ci' is read-only (whoami: role read), and the plan writes to 'allenai'"]
    assert write_problems(_hub_whoami("read", orgs), []) == []


def test_hub_shapes_fine_grained_tokens() -> None:
    orgs = [{"type": "org", "name": "allenai", "roleInOrg": "admin"},
            {"type": "org", "name": "other", "roleInOrg": "admin"}]
    fine = {"canReadGatedRepos": True, "global": ["discussion.write"], "scoped": [
        {"entity": {"_id": "1", "type": "org", "name": "allenai"},
         "permissions": ["repo.content.read", "repo.write"]},
        {"entity": {"_id": "2", "type": "org", "name": "other"},
         "permissions": ["repo.content.read"]},
        {"entity": {"_id": "3", "type": "model", "name": "alice/one-repo"},
         "permissions": ["repo.write"]}]}
    whoami = _hub_whoami("fineGrained", orgs, fineGrained=fine)
    assert write_problems(whoami, ["allenai", "alice"]) == []
    assert write_problems(whoami, ["other"]) == [
        "the fine-grained token 'ci' has no 'repo.write' permission on 'other'"]


def test_unknown_shapes_are_let_through() -> None:
    # An OAuth token or a role this code does not know: the Hub stays the judge.
    oauth = {"type": "user", "name": "alice", "orgs": [],
             "auth": {"type": "oauth", "expiresAt": "2030-01-01T00:00:00.000Z"}}
    assert write_problems(oauth, ["alice", "an-org-the-app-was-not-shown"]) == []
    assert write_problems(_hub_whoami("write", [{"name": "x"}]), ["x"]) == []

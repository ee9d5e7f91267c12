"""Addresses are parsed and printed in one place (`release.address`), and the alias layer lets
fingerprints, targets, collections and status follow a repo under its previous id."""

from __future__ import annotations

import dataclasses

import pytest
from plancase import CASES, load_case

from release.address import Address, AddressError, AddressKind, Aliases
from release.plan import Plan, build_plan
from release.plan.fingerprint import fingerprint_of
from release.plan.targets import Selection
from release.state import DesiredState, ObservedRepo, ObservedState

ADDRESSES = [
    "repo:org/A", "settings:org/A", "card:org/A", "files:org/A@main", "branch:org/A@run-a",
    "tag:org/A@v1.0", "collection:org/Tulu 3", "collection:org/A/B title",
    "collection-item:org/Tulu 3@org/A",
]


@pytest.mark.parametrize("text", ADDRESSES)
def test_parse_and_print_round_trip(text: str) -> None:
    assert str(Address.parse(text)) == text


def test_parts() -> None:
    tag = Address.parse("tag:org/A@v1.0")
    assert (tag.kind, tag.repo_id, tag.ref, tag.namespace) == (AddressKind.TAG, "org/A",
                                                               "v1.0", "org")
    collection = Address.parse("collection:org/A/B title")
    assert (collection.repo_id, collection.namespace, collection.title) == (None, "org",
                                                                             "A/B title")
    item = Address.parse("collection-item:org/T@x@org/A")  # a title may hold '@'
    assert (item.title, item.ref) == ("T@x", "org/A")
    assert str(tag.moved("org/B")) == "tag:org/B@v1.0"


@pytest.mark.parametrize("text", ["org/A", "rm:org/A", "repo:", "collection-item:org/T"])
def test_not_an_address(text: str) -> None:
    with pytest.raises(AddressError):
        Address.parse(text)


def test_aliases_follow_chains_and_refuse_cycles() -> None:
    aliases = Aliases({"org/A": "org/B", "org/B": "org/C"})
    assert aliases.current("org/A") == "org/C" and aliases.current("org/X") == "org/X"
    assert aliases.names("org/C") == ("org/C", "org/B", "org/A")
    assert str(aliases.current_address(Address.parse("card:org/A"))) == "card:org/C"
    with pytest.raises(AddressError, match="cycle"):
        Aliases({"org/A": "org/B", "org/B": "org/A"})


def _observed(aliases: Aliases) -> ObservedState:
    old = ObservedRepo(repo_id="org/Old", private=True, gated="auto", sha="a" * 40,
                       branches={"main": "a" * 40}, tags={"v1": "a" * 40})
    return ObservedState(repos={"org/Old": old}, aliases=aliases)


def test_fingerprints_follow_a_repo_to_its_previous_id() -> None:
    moved = _observed(Aliases({"org/Old": "org/New"}))
    assert fingerprint_of(moved, "settings:org/New") == {"private": True, "gated": "auto"}
    assert fingerprint_of(moved, "tag:org/New@v1") == {"target": "a" * 40}
    assert fingerprint_of(_observed(Aliases()), "settings:org/New") is None


def test_targets_select_a_repo_by_its_previous_id() -> None:
    desired = DesiredState(repos=(), namespaces=("org",))
    selection = Selection(["org/Old"], desired, _observed(Aliases({"org/Old": "org/New"})))
    assert selection.selects_repo("org/New")


def test_a_repo_known_under_an_alias_is_not_orphaned() -> None:
    case = load_case(CASES / "idempotent.yaml")
    desired, observed = case["desired"], case["observed"]
    renamed = desired.repos[0]
    new_id = renamed.repo_id + "-v2"
    desired = dataclasses.replace(desired, prune=True, repos=(
        dataclasses.replace(renamed, repo_id=new_id), *desired.repos[1:]))
    # Without the alias, the old id is a managed repo the config no longer declares.
    assert [c.kind for c in build_plan(desired, observed).changes].count("delete_repo") == 1
    moved = dataclasses.replace(observed, aliases=Aliases({renamed.repo_id: new_id}))
    plan = build_plan(desired, moved)
    assert "delete_repo" not in [c.kind for c in plan.changes]
    assert "orphaned" not in [n.code for n in plan.notices]
    assert plan.aliases == {renamed.repo_id: new_id}
    assert Plan.from_json(plan.to_json()) == plan

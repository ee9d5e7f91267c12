"""`release show --format json` has its own versioned model (issue 17): written key by key,
so an internal field of the desired state does not leak into the public format."""

from __future__ import annotations

import dataclasses

from release.show import JSON_FORMAT_VERSION, show_document
from release.state import DesiredBranch, DesiredFile, DesiredRepo, DesiredState, DesiredTag


def test_the_document_has_exactly_its_declared_keys() -> None:
    card = DesiredFile.from_bytes("README.md", b"# card\n")
    repo = DesiredRepo(repo_id="org/A", family="f", variant="1B", axes=(("size", "1B"),),
                       branches=(DesiredBranch(name="main", files=(card,)),),
                       tags=(DesiredTag(name="v1"),))
    document = show_document(DesiredState(namespaces=("org",), repos=(repo,)))
    assert document["format_version"] == JSON_FORMAT_VERSION == 1
    assert sorted(document) == ["collections", "config_digest", "families", "format_version",
                                "namespaces", "prune", "repos"]
    [shown] = document["repos"]
    assert sorted(shown) == sorted(
        ["repo_id", "family", "variant", "axes", "visibility", "gated", "card_text",
         "branches", "tags", "provenance", "repo_type", "adopt", "visibility_managed"])
    assert shown["branches"][0]["files"] == [{
        "path": "README.md", "size": 7, "sha256": card.sha256, "git_sha1": card.git_sha1,
        "local_path": None}]  # never the bytes


def test_an_internal_field_does_not_change_the_format() -> None:
    @dataclasses.dataclass(frozen=True)
    class PlannerRepo(DesiredRepo):
        planner_only: str = "internal"

    repo = PlannerRepo(repo_id="org/A", family="f", variant="1B", axes=())
    document = show_document(DesiredState(namespaces=("org",), repos=(repo,)))
    assert "planner_only" not in document["repos"][0]

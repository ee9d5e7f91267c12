"""Branches and tags: create/delete, names with `/`, short oids, exist_ok, refusals."""

from __future__ import annotations

import pytest
from huggingface_hub import CommitOperationAdd
from huggingface_hub.errors import BadRequestError, HfHubHTTPError, RevisionNotFoundError

from release.localhub.testing import BOB_TOKEN


@pytest.fixture
def api(make_api):
    api = make_api()
    api.create_repo("alice/refs")
    return api


def test_refs_listing_has_branches_converts_and_tags(api):
    refs = api.list_repo_refs("alice/refs")
    assert [b.name for b in refs.branches] == ["main"] and refs.converts == [] and refs.tags == []
    assert refs.branches[0].ref == "refs/heads/main"
    assert api.list_repo_refs("alice/refs", include_pull_requests=True).pull_requests == []


def test_branch_lifecycle_with_slash_and_starting_point(api):
    first = api.model_info("alice/refs").sha
    second = api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="alice/refs").oid
    api.create_branch("alice/refs", branch="sft/tulu3_8b_seed42", revision=first)
    api.create_branch("alice/refs", branch="dev")
    api.create_branch("alice/refs", branch="dev", exist_ok=True)  # 409 swallowed
    with pytest.raises(HfHubHTTPError) as err:
        api.create_branch("alice/refs", branch="dev")
    assert err.value.response.status_code == 409
    branches = {b.name: b.target_commit for b in api.list_repo_refs("alice/refs").branches}
    assert branches == {"main": second, "dev": second, "sft/tulu3_8b_seed42": first}
    assert api.model_info("alice/refs", revision="sft/tulu3_8b_seed42").sha == first
    api.delete_branch("alice/refs", branch="sft/tulu3_8b_seed42")
    with pytest.raises(RevisionNotFoundError):
        api.model_info("alice/refs", revision="sft/tulu3_8b_seed42")
    with pytest.raises(RevisionNotFoundError):
        api.delete_branch("alice/refs", branch="sft/tulu3_8b_seed42")
    with pytest.raises(RevisionNotFoundError):
        api.create_branch("alice/refs", branch="orphan", revision="ghost")


def test_branch_names_are_checked_like_git_refs(api):
    for bad in ("has space", "a..b", "end.lock", "x~1", "trailing/", "a" * 40):
        with pytest.raises(BadRequestError):
            api.create_branch("alice/refs", branch=bad)
    api.create_branch("alice/refs", branch="release")
    with pytest.raises(HfHubHTTPError) as err:  # git cannot hold both release and release/v1
        api.create_branch("alice/refs", branch="release/v1")
    assert err.value.response.status_code == 409


def test_main_cannot_be_deleted(api):
    with pytest.raises(HfHubHTTPError) as err:
        api.delete_branch("alice/refs", branch="main")
    assert err.value.response.status_code == 403


def test_tags_by_short_oid_never_move_and_can_be_recreated(api):
    first = api.model_info("alice/refs").sha
    api.create_tag("alice/refs", tag="v1.0", revision=first[:7], tag_message="first release")
    second = api.create_commit(
        "alice/refs", [CommitOperationAdd("y.txt", b"y")], commit_message="y"
    ).oid
    api.create_tag("alice/refs", tag="v1.0", exist_ok=True)  # swallowed, tag not moved
    api.create_tag("alice/refs", tag="rel/2.0", revision="main")
    tags = {t.name: t.target_commit for t in api.list_repo_refs("alice/refs").tags}
    assert tags == {"v1.0": first, "rel/2.0": second}
    with pytest.raises(HfHubHTTPError) as err:
        api.create_tag("alice/refs", tag="v1.0")
    assert err.value.response.status_code == 409
    api.delete_tag("alice/refs", tag="v1.0")
    api.create_tag("alice/refs", tag="v1.0", revision=second)  # the only way to move a tag
    assert api.model_info("alice/refs", revision="v1.0").sha == second
    with pytest.raises(RevisionNotFoundError):
        api.delete_tag("alice/refs", tag="never")
    with pytest.raises(RevisionNotFoundError):
        api.create_tag("alice/refs", tag="v9", revision="0000000")


def test_refs_need_write_rights(api, make_api):
    bob = make_api(BOB_TOKEN)
    for call in (
        lambda: bob.create_branch("alice/refs", branch="b"),
        lambda: bob.create_tag("alice/refs", tag="t"),
        lambda: bob.delete_branch("alice/refs", branch="main"),
    ):
        with pytest.raises(HfHubHTTPError) as err:
            call()
        assert err.value.response.status_code == 403
